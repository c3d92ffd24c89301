"""Reads that are more than a queryset verb: the pages and API call these."""

import re
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from django.db.models import Q

from adoption.choices import Status
from adoption.models import Adoption, Checkpoint, Organization


def published_adoptions():
    """Published records with what a list shows, newest first."""
    return Adoption.objects.published().with_related()


# Curation reads: likely duplicates of a submission and the diff of a change request.

_NAME_NOISE = re.compile(r"\b(the|inc|ltd|llc|gmbh|sa|ag|co|corp|corporation|company|pte|plc)\b")
_DUPLICATE_STATUSES_HIDDEN = (Status.WITHDRAWN,)
DUPLICATE_LIMIT = 20


def _normal_name(text: str) -> str:
    """'The AI Singapore, Ltd.' -> 'ai singapore': case, punctuation and legal suffixes ignored."""
    text = re.sub(r"[^\w\s]", " ", (text or "").casefold())
    return " ".join(_NAME_NOISE.sub(" ", text).split())


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", (text or "").casefold()))


def _names_overlap(a: str, b: str) -> bool:
    """Product names overlap when one contains the other or they share most of their words."""
    na, nb = _normal_name(a), _normal_name(b)
    if not na and not nb:
        return True  # neither names a product: same adopter and family is likely the same thing
    if not na or not nb:
        return False
    if na in nb or nb in na:
        return True
    ta, tb = _tokens(na), _tokens(nb)
    return len(ta & tb) / len(ta | tb) >= 0.5


def _names_near(a: str, b: str) -> bool:
    na, nb = _normal_name(a), _normal_name(b)
    if not na or not nb:
        return False
    return na == nb or na.replace(" ", "") == nb.replace(" ", "") or SequenceMatcher(None, na, nb).ratio() >= 0.9


def normal_url(url: str) -> str:
    """Scheme, 'www.', case of the host, a trailing slash and the fragment do not make a URL different."""
    parts = urlsplit((url or "").strip())
    host = parts.netloc.casefold().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def adoption_duplicates(adoption: Adoption, *, viewer=None) -> list[dict]:
    """Likely duplicates of `adoption`, each {"adoption": Adoption, "reasons": [str]}, strongest first.

    Same adopter and family with an overlapping product name, a shared source URL, or an adopter
    whose name or alias is near-identical. A warning, never a block. With `viewer`, only records that
    user may see are returned (contributors never learn of others' unpublished records).
    """
    candidates = Adoption.objects.exclude(pk=adoption.pk).exclude(status__in=_DUPLICATE_STATUSES_HIDDEN)
    if viewer is not None:
        candidates = candidates.visible_to(viewer)
    reasons: dict[int, list[str]] = {}

    def add(pk: int, reason: str) -> None:
        if reason not in reasons.setdefault(pk, []):
            reasons[pk].append(reason)

    same = candidates.filter(adopter_id=adoption.adopter_id, family_id=adoption.family_id)
    for pk, product in same.values_list("pk", "product_name"):
        if _names_overlap(adoption.product_name, product):
            add(pk, f"same adopter and family, product name '{product or '(none)'}' overlaps")

    urls = {normal_url(url): url for url in adoption.evidence.values_list("url", flat=True)}
    if urls:
        hosts = {key.split("/", 1)[0] for key in urls}
        shared = candidates.filter(
            Q.create([("evidence__url__icontains", host) for host in hosts], connector=Q.OR)
        ).values_list("pk", "evidence__url")
        for pk, url in shared:
            if normal_url(url) in urls:
                add(pk, f"cites the same source {urls[normal_url(url)]}")

    adopter = adoption.adopter
    own_names = adopter.all_names
    near_orgs = [
        org_pk for org_pk, name, aliases in Organization.objects.exclude(pk=adopter.pk)
        .filter(adoptions__isnull=False).distinct().values_list("pk", "name", "aliases")
        if any(_names_near(mine, theirs) for mine in own_names for theirs in [name, *(aliases or [])])
    ]
    for pk, name in candidates.filter(adopter_id__in=near_orgs).values_list("pk", "adopter__name"):
        add(pk, f"adopter '{name}' has a near-identical name to '{adopter.name}'")

    ranked = sorted(reasons, key=lambda pk: (-len(reasons[pk]), pk))[:DUPLICATE_LIMIT]
    rows = candidates.with_related().in_bulk(ranked)
    return [{"adoption": rows[pk], "reasons": reasons[pk]} for pk in ranked if pk in rows]


def change_request_diff(change_request) -> list[dict]:
    """Field by field: {"field", "label", "current", "proposed", "changed"} for each proposed field.

    `current` is the record as it stands now, so a curator sees what approval would overwrite."""
    from adoption.services.records import change_values_json

    adoption = change_request.adoption
    current = change_values_json(adoption)
    rows = []
    for field, proposed in change_request.proposed.items():
        label = Adoption._meta.get_field(field).verbose_name if field != "started_on" else "started on"
        rows.append({
            "field": field, "label": str(label).capitalize(), "current": _shown(field, current.get(field)),
            "proposed": _shown(field, proposed), "changed": current.get(field) != proposed,
        })
    return rows


def _shown(field: str, value) -> str:
    if value in (None, "", []):
        return "—"
    if field == "checkpoint":
        return str(Checkpoint.objects.filter(pk=value).values_list("repo_id", flat=True).first() or value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)

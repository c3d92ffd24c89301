"""Reads that are more than a queryset verb: the pages and API call these."""

import re
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from django.db.models import Q

from adoption.choices import Action, Status
from adoption.models import Adoption, Checkpoint, Evidence, Organization
from adoption.roles import is_curator


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


# History: who wrote a record's content (four eyes), and what of its past the public may read.

# Events the public sees on a record's page and history: publication and the public decisions after it.
PUBLIC_EVENTS = frozenset({Action.APPROVE, Action.CHANGE_APPROVED, Action.RETRACT, Action.IMPORT})
PUBLIC_COMMENTS = frozenset({Action.RETRACT})  # a retraction's reason is public; other comments are not
PUBLIC_VERSIONS = (Status.PUBLISHED, Status.RETRACTED)
_NOT_A_CHANGE = frozenset({"version", "updated_at", "confidence", "status"})


def _content_columns() -> list[str]:
    from adoption.services.records import CONTENT_FIELDS

    return [Adoption._meta.get_field(name).attname for name in (*CONTENT_FIELDS, "checkpoint_note")]


def content_authors(adoptions) -> dict[int, frozenset[int]]:
    """For each record, the users who changed its content (fields or sources) since it was last published.

    Read from the row history, whatever the write path: a history row whose content differs from the
    row before it (or that created the record), and every saved source row (the link checker writes
    none). Partners are left out: only the reference import sets them. Two queries for any number."""
    ids = [adoption.pk for adoption in adoptions]
    columns = _content_columns()
    authors: dict[int, set[int]] = {pk: set() for pk in ids}
    published_at: dict[int, object] = {}
    previous = None
    rows = Adoption.history.filter(id__in=ids).order_by("id", "history_id").values(
        "id", "status", "history_user_id", "history_date", *columns
    )
    for row in rows:
        first = previous is None or previous["id"] != row["id"]
        if row["history_user_id"] and (first or any(row[c] != previous[c] for c in columns)):
            authors[row["id"]].add(row["history_user_id"])
        if row["status"] == Status.PUBLISHED:
            # Published content was seen by a second curator: authorship counts again from here.
            authors[row["id"]].clear()
            published_at[row["id"]] = row["history_date"]
        previous = row
    sources = Evidence.history.filter(adoption_id__in=ids, history_user__isnull=False).values_list(
        "adoption_id", "history_user_id", "history_date"
    )
    for pk, user_id, when in sources:
        if pk not in published_at or when > published_at[pk]:
            authors[pk].add(user_id)
    return {pk: frozenset(users) for pk, users in authors.items()}


def adoption_content_authors(adoption: Adoption) -> frozenset[int]:
    """content_authors() of one record, kept on the instance (a list primes it for all its rows at once)."""
    if "_content_authors" not in adoption.__dict__:
        adoption._content_authors = content_authors([adoption])[adoption.pk]
    return adoption._content_authors


def prime_content_authors(adoptions) -> None:
    """Read the authors of many records in one go, so buttons on a list cost no query per row."""
    adoptions = [adoption for adoption in adoptions if "_content_authors" not in adoption.__dict__]
    found = content_authors(adoptions) if adoptions else {}
    for adoption in adoptions:
        adoption._content_authors = found[adoption.pk]


def sees_full_history(adoption: Adoption, user) -> bool:
    """The record's contributor and the curators see all of its past; everyone else its public history."""
    owner = getattr(user, "is_authenticated", False) and adoption.created_by_id == user.pk
    return owner or is_curator(user)


def adoption_events(adoption: Adoption, user) -> list:
    """The moderation log as `user` may read it: the public sees publication and the decisions after it
    (no draft-stage events, no contributor names), and of the comments only a retraction's reason."""
    events = list(adoption.events.all())
    if sees_full_history(adoption, user):
        return events
    public = [event for event in events if event.action in PUBLIC_EVENTS]
    for event in public:
        if event.action not in PUBLIC_COMMENTS:
            event.comment = ""
    return public


def adoption_versions(adoption: Adoption, user):
    """The record's saved versions, newest first: for the public, only those it stood published (or retracted) in."""
    versions = adoption.history.select_related("history_user", "adopter", "family").order_by(
        "-history_date", "-history_id"
    )
    if not sees_full_history(adoption, user):
        versions = versions.filter(status__in=PUBLIC_VERSIONS)
    return versions


def adoption_history_entries(adoption: Adoption, user, *, limit: int = 30) -> list[dict]:
    """The record page's history: each version `user` may see with a label and the fields changed since
    the previous one shown (so a hidden draft never shows through a diff)."""
    versions = list(adoption_versions(adoption, user)[: limit + 1])
    entries = []
    for newer, older in zip(versions[:limit], [*versions[1:], None], strict=False):
        if newer.history_type == "+":
            label = "Created"
        elif newer.history_type == "-":
            label = "Deleted"
        elif older is None or older.status != newer.status:
            label = newer.get_status_display()
        else:
            label = "Changed"
        changed = []
        if older is not None:
            changed = [c.field for c in newer.diff_against(older).changes if c.field not in _NOT_A_CHANGE]
        entries.append({"record": newer, "label": label, "changed": changed})
    return entries

"""Reads that are more than a queryset verb: the pages, API, admin and services call these.

Here the records' reads: the contributor's and curators' lists, likely duplicates, a change request's
diff, and what of a record's history each reader sees. Which organization a slug or a name means, and
to whom, is in `selectors.organizations`.
"""

import re
from difflib import SequenceMatcher
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Case, Prefetch, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from adoption.choices import Action, Status
from adoption.dates import format_partial_date
from adoption.models import Adoption, ChangeRequest, Checkpoint, Evidence, ModerationEvent, Organization
from adoption.models.querysets import REVIEW_QUEUE
from adoption.roles import is_curator
from adoption.text import name_words


def published_adoptions():
    """Published records with what a list shows, newest first."""
    return Adoption.objects.published().with_related()


def latest_published(limit: int = 8):
    """The most recently published records, for the home page."""
    return published_adoptions().order_by("-published_at", "-id")[:limit]


def first_start_date():
    """The earliest start date among published records (None when none has one): where a time axis begins."""
    return (
        Adoption.objects.published().filter(started_on__isnull=False)
        .order_by("started_on").values_list("started_on", flat=True).first()
    )


def contributor_records(user):
    """A contributor's own records, last changed first, each with the comments others left on its log
    (`curator_comments`, newest first): what 'my submissions' lists."""
    comments = ModerationEvent.objects.exclude(comment="").exclude(actor=user).order_by("-created_at", "-id")
    return (
        Adoption.objects.filter(created_by=user).with_related()
        .prefetch_related(Prefetch("events", queryset=comments, to_attr="curator_comments"))
        .order_by("-updated_at", "-id")
    )


def contributor_change_requests(user):
    """The corrections a contributor proposed, newest first."""
    return (ChangeRequest.objects.filter(created_by=user).select_related("adoption__adopter", "adoption__family")
            .order_by("-created_at"))


def review_queue_ordering(user) -> tuple:
    """The curators' queue order, the same on the moderation page and in the admin (order_by arguments):
    records waiting for a curator or in review before all others; among them those `user` holds in review
    first, then the longest waiting (since submission, else creation); then by id."""
    in_queue = Case(When(status__in=REVIEW_QUEUE, then=Value(0)), default=Value(1))
    user_id = getattr(user, "pk", None)
    held = Case(When(status=Status.IN_REVIEW, reviewer_id=user_id, then=Value(0)), default=Value(1)) if user_id \
        else Value(1)
    return in_queue.asc(), held.asc(), Coalesce("submitted_at", "created_at").asc(), "pk"


# Curation reads: likely duplicates of a submission and the diff of a change request.

_NAME_NOISE = frozenset({"the", "inc", "ltd", "llc", "gmbh", "sa", "ag", "co", "corp", "corporation", "company",
                         "pte", "plc"})
_DUPLICATE_STATUSES_HIDDEN = (Status.WITHDRAWN,)
DUPLICATE_LIMIT = 20
# pg_trgm similarity (shared trigrams over all trigrams) from which two product names of one family are
# likely the same product: 'SEA-LION' ~ 'SEA-LION v3' (0.75), 'Qwen' !~ 'Qwen-SEA-LION-v4' (0.29).
SIMILAR_PRODUCT = 0.45
# Query parameters that say how a reader arrived, not what the page is.
_TRACKING = re.compile(
    r"(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|_hsenc|_hsmi|mkt_tok"
    r"|ref_src|spm|si)", re.IGNORECASE,
)


def _normal_name(text: str) -> str:
    """'The AI Singapore, Ltd.' -> 'ai singapore': name_words() without the article and legal suffixes."""
    return " ".join(word for word in name_words(text) if word not in _NAME_NOISE)


def _names_near(a: str, b: str) -> bool:
    na, nb = _normal_name(a), _normal_name(b)
    if not na or not nb:
        return False
    return na == nb or na.replace(" ", "") == nb.replace(" ", "") or SequenceMatcher(None, na, nb).ratio() >= 0.9


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each alphanumeric word, lower-cased, padded with two spaces before and one after."""
    words = re.findall(r"[^\W_]+", (text or "").lower())
    return {f"  {word} "[i:i + 3] for word in words for i in range(len(word) + 1)}


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(a, b), for the SQLite demo (PostgreSQL computes it in the query)."""
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _similar_products(candidates, adoption: Adoption) -> list[tuple[int, str]]:
    """(pk, product name) of the family's records whose product name is similar to this one's."""
    same_family = candidates.filter(family_id=adoption.family_id).exclude(product_name="")
    if connection.vendor == "postgresql":
        return list(
            same_family.annotate(similarity=TrigramSimilarity("product_name", adoption.product_name))
            .filter(similarity__gte=SIMILAR_PRODUCT).order_by("-similarity").values_list("pk", "product_name")
        )
    return [(pk, product) for pk, product in same_family.values_list("pk", "product_name")
            if trigram_similarity(adoption.product_name, product) >= SIMILAR_PRODUCT]


def normal_url(url: str) -> str:
    """The part of a URL that says which page it is: no scheme, 'www.', default port, trailing slash,
    fragment or tracking parameters; host in lower case, the other parameters sorted."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return (url or "").strip()
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    if port and port != {"http": 80, "https": 443}.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    query = sorted((key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING.fullmatch(key))
    return host + unquote(parts.path).rstrip("/") + (f"?{urlencode(query)}" if query else "")


def _url_needle(url: str) -> str:
    """A substring every usual spelling of the URL contains, to narrow the query: its path (a port or
    a trailing dot may come between host and path), or its host when the path says little."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    path = parts.path.rstrip("/")
    return path if len(path) >= 4 else (parts.hostname or "").rstrip(".").removeprefix("www.")


def adoption_duplicates(adoption: Adoption, *, viewer=None) -> list[dict]:
    """Likely duplicates of `adoption`, each {"adoption": Adoption, "reasons": [str]}, strongest first.

    Reasons: the same adopter and family; a similar product name in the same family (pg_trgm
    similarity; the same measure in Python on SQLite); a source in common (URLs compared normalised);
    an adopter with a near-identical name in the same family. A warning, never a block. With `viewer`,
    only records that user may see are returned (contributors never learn of others' unpublished
    records); withdrawn records are left out.
    """
    candidates = Adoption.objects.exclude(pk=adoption.pk).exclude(status__in=_DUPLICATE_STATUSES_HIDDEN)
    if viewer is not None:
        candidates = candidates.visible_to(viewer)
    # Each reason twice: in English for the API ("reasons"), in the reader's language for pages ("reasons_shown").
    reasons: dict[int, list[str]] = {}
    shown: dict[int, list[str]] = {}

    def add(pk: int, reason: str, reason_shown: str) -> None:
        if reason not in reasons.setdefault(pk, []):
            reasons[pk].append(reason)
            shown.setdefault(pk, []).append(reason_shown)

    for pk in candidates.filter(adopter_id=adoption.adopter_id, family_id=adoption.family_id).values_list(
            "pk", flat=True):
        add(pk, "same adopter and family", _("same adopter and family"))

    if adoption.product_name.strip():
        for pk, product in _similar_products(candidates, adoption):
            add(pk, f"similar product name '{product}'",
                _("similar product name '%(product)s'") % {"product": product})

    urls = {normal_url(url): url for url in adoption.evidence.values_list("url", flat=True)}
    needles = {_url_needle(url) for url in urls.values()} - {""}
    if needles:
        shared = candidates.filter(
            Q.create([("evidence__url__icontains", needle) for needle in needles], connector=Q.OR)
        ).values_list("pk", "evidence__url")
        for pk, url in shared:
            if normal_url(url) in urls:
                source = urls[normal_url(url)]
                add(pk, f"cites the same source {source}", _("cites the same source %(url)s") % {"url": source})

    adopter = adoption.adopter
    own_names = adopter.all_names
    near_orgs = [
        org_pk for org_pk, name, aliases in Organization.objects.exclude(pk=adopter.pk)
        .filter(adoptions__family_id=adoption.family_id).distinct().values_list("pk", "name", "aliases")
        if any(_names_near(mine, theirs) for mine in own_names for theirs in [name, *(aliases or [])])
    ]
    near = candidates.filter(adopter_id__in=near_orgs, family_id=adoption.family_id)
    for pk, name in near.values_list("pk", "adopter__name"):
        add(pk, f"adopter '{name}' has a near-identical name to '{adopter.name}'",
            _("adopter '%(name)s' has a near-identical name to '%(other)s'") % {"name": name, "other": adopter.name})

    ranked = sorted(reasons, key=lambda pk: (-len(reasons[pk]), pk))[:DUPLICATE_LIMIT]
    rows = candidates.with_related().in_bulk(ranked)
    return [{"adoption": rows[pk], "reasons": reasons[pk], "reasons_shown": shown[pk]} for pk in ranked if pk in rows]


def change_request_diff(change_request) -> list[dict]:
    """Field by field: {"field", "label", "current", "proposed", "changed"} for each proposed field.

    `current` is the record as it stands now, so a curator sees what approval would overwrite."""
    adoption = change_request.adoption
    current = change_values_json(adoption)
    rows = []
    for field, proposed in change_request.proposed.items():
        label = Adoption._meta.get_field(field).verbose_name if field != "started_on" else _("started on")
        rows.append({
            "field": field, "label": str(label).capitalize(), "current": _shown(field, current.get(field)),
            "proposed": _shown(field, proposed), "changed": current.get(field) != proposed,
        })
    return rows


def change_values_json(record: Adoption) -> dict:
    """The changeable fields of a record as a change request writes them."""
    return {
        "relation": record.relation, "stage": record.stage, "product_name": record.product_name,
        "product_url": record.product_url,
        "started_on": format_partial_date(record.started_on, record.started_precision) or None,
        "ended_on": record.ended_on.isoformat() if record.ended_on else None,
        "sectors": list(record.sectors), "languages": list(record.languages), "summary": record.summary,
        "checkpoint": record.checkpoint_id,
    }


def _shown(field: str, value) -> str:
    if value in (None, "", []):
        return "—"
    if field == "checkpoint":
        return str(Checkpoint.objects.filter(pk=value).values_list("repo_id", flat=True).first() or value)
    if isinstance(value, list):  # sectors, languages
        return ", ".join(str(item) for item in value)
    if field in ("relation", "stage"):  # a choice's label in the reader's language, not its value ("pilot")
        return str(dict(Adoption._meta.get_field(field).flatchoices).get(value, value))
    return str(value)


# History: who wrote a record's content (four eyes), and what of its past the public may read.

# Events the public sees on a record's page and history: publication and the public decisions after it.
PUBLIC_EVENTS = frozenset({Action.APPROVE, Action.CHANGE_APPROVED, Action.RETRACT, Action.IMPORT})
PUBLIC_COMMENTS = frozenset({Action.RETRACT})  # a retraction's reason is public; other comments are not
PUBLIC_VERSIONS = (Status.PUBLISHED, Status.RETRACTED)
_NOT_A_CHANGE = frozenset({"version", "updated_at", "confidence", "status"})


# The fields that make a record's content: what its writers fill in and four eyes look at.
CONTENT_FIELDS = (
    "adopter", "family", "checkpoint", "relation", "stage", "product_name", "product_url", "started_on",
    "started_precision", "ended_on", "sectors", "languages", "summary",
)


def _content_columns() -> list[str]:
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
            label = pgettext("history", "Created")
        elif newer.history_type == "-":
            label = pgettext("history", "Deleted")
        elif older is None or older.status != newer.status:
            label = newer.get_status_display()
        else:
            label = pgettext("history", "Changed")
        changed = []
        if older is not None:
            changed = [c.field for c in newer.diff_against(older).changes if c.field not in _NOT_A_CHANGE]
        entries.append({"record": newer, "label": label, "changed": changed})
    return entries

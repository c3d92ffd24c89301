"""Does the Hub agree with a record? Its product's repo id looked up in the latest Hub snapshot.

- `corroborated`: the Hub lists the product's bases and one of its ancestors is a checkpoint of the record's
  family (a catalogue checkpoint, or a repo under one of the family's Hub prefixes);
- `contradicted`: the Hub names bases, and they lead only to other families (both claims are shown);
- `unverifiable`: no snapshot, no Hugging Face repo id on the record, the repo is not in the snapshot, or
  its bases lead to no family the registry knows.

Read on demand (one recursive query over the snapshot's partition), never stored: a new snapshot or a
corrected record changes the answer at once.
"""

import datetime
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection
from django.utils.translation import gettext as _

from adoption.models import Adoption, Checkpoint, HubSnapshot, ModelFamily

CORROBORATED, CONTRADICTED, UNVERIFIABLE = "corroborated", "contradicted", "unverifiable"
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")

# Every ancestor of the given models (as the snapshot spells them), with its depth: one query for any number.
_ANCESTORS = """
WITH RECURSIVE anc(start, node, depth) AS (
    SELECT child, parent, 1 FROM hub_edge WHERE snapshot_date = %(date)s AND child = ANY(%(models)s)
    UNION
    SELECT anc.start, e.parent, anc.depth + 1
    FROM anc JOIN hub_edge e ON e.snapshot_date = %(date)s AND e.child = anc.node
    WHERE anc.depth < 50
)
SELECT start, node, min(depth) FROM anc GROUP BY start, node ORDER BY start, min(depth), node
"""
# The snapshot's own spelling of repo ids given in any case (Hub repo ids are case-insensitive): the all
# lower-case ones through the primary key, the others through the index of those (migration 0020).
_SPELLING = """
SELECT repo_id FROM hub_model WHERE snapshot_date = %(date)s AND repo_id = ANY(%(keys)s)
UNION ALL
SELECT repo_id FROM hub_model
WHERE snapshot_date = %(date)s AND lower(repo_id) = ANY(%(keys)s) AND repo_id <> lower(repo_id)
"""


def hub_repo_id(product_url: str) -> str | None:
    """'org/name' from a repo id or a huggingface.co URL of a model; None for anything else."""
    text = (product_url or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.hostname not in ("huggingface.co", "www.huggingface.co", "hf.co"):
            return None
        segments = [segment for segment in parts.path.split("/") if segment]
        text = "/".join(segments[:2]) if len(segments) >= 2 and segments[0] not in ("datasets", "spaces") else ""
    return text if _REPO.match(text) else None


def _family_of(repo_id: str, checkpoints: dict[str, int], prefixes: list[tuple[str, int]]) -> int | None:
    """The family a repo is a checkpoint of: a catalogue checkpoint, else the longest Hub prefix it lies under
    (the import's rule, adoption.services.hub.lineage)."""
    key = repo_id.lower()
    if key in checkpoints:
        return checkpoints[key]
    return next((family for prefix, family in prefixes if key.startswith(prefix)), None)


def hub_check(adoption: Adoption) -> dict:
    """{"status", "snapshot", "repo_id", "bases": [{"repo_id", "family"}], "reason"} for the record: the
    API's answer, its reason in English."""
    return _hub_check(adoption)[0]


def hub_check_shown(adoption: Adoption) -> dict:
    """hub_check for pages: the reason in the reader's language."""
    answer, shown = _hub_check(adoption)
    return {**answer, "reason": shown}


def _latest_snapshot() -> datetime.date | None:
    """The latest snapshot's date (None on SQLite, which holds no snapshot)."""
    if connection.vendor != "postgresql":
        return None
    return HubSnapshot.objects.order_by("-date").values_list("date", flat=True).first()


@dataclass(frozen=True)
class _Families:
    """What tells the family of a repo (a catalogue checkpoint, or a Hub prefix, longest first) and the slugs."""

    checkpoints: dict[str, int]
    prefixes: list[tuple[str, int]]
    slugs: dict[int, str]

    @classmethod
    def read(cls) -> "_Families":
        checkpoints = {repo.lower(): family for repo, family in Checkpoint.objects.values_list("repo_id", "family_id")}
        prefixes = sorted(((prefix.lower(), pk) for pk, values in ModelFamily.objects.values_list("id", "hub_prefixes")
                           for prefix in (values if isinstance(values, list) else []) if prefix),
                          key=lambda p: -len(p[0]))
        return cls(checkpoints, prefixes, dict(ModelFamily.objects.values_list("id", "slug")))


def contradicted_records() -> tuple[datetime.date | None, list[dict]]:
    """(latest snapshot's date, [{"adoption", "check"}]): the published records whose product the snapshot traces
    only to other families, for the curators (the check's reason in the reader's language). The same few
    queries whatever the number of records: the records, their repos' spellings, all their ancestors, the
    families."""
    snapshot = _latest_snapshot()
    if snapshot is None:
        return None, []
    records = [adoption for adoption in Adoption.objects.published().exclude(product_url="")
               .select_related("adopter", "family").order_by("adopter__name", "pk")
               if hub_repo_id(adoption.product_url) is not None]
    return snapshot, [{"adoption": adoption, "check": {**answer, "reason": shown}}
                      for adoption, (answer, shown) in zip(records, _hub_checks(records, snapshot), strict=True)
                      if answer["status"] == CONTRADICTED]


def _hub_check(adoption: Adoption) -> tuple[dict, str]:
    """The answer with its reason in English, and the reason in the active language."""
    return _hub_checks([adoption], _latest_snapshot())[0]


def _hub_checks(adoptions: list[Adoption], snapshot: datetime.date | None) -> list[tuple[dict, str]]:
    """_hub_check of each record against `snapshot`, in order, with one query for the spellings of all their
    repos and one for all their ancestors."""
    repo_ids = [hub_repo_id(adoption.product_url) for adoption in adoptions]
    spellings, ancestors = {}, {}
    wanted = sorted({repo_id.lower() for repo_id in repo_ids if repo_id})
    if snapshot is not None and wanted:
        with connection.cursor() as cursor:
            cursor.execute(_SPELLING, {"date": snapshot, "keys": wanted})
            spellings = {spelled.lower(): spelled for (spelled,) in cursor.fetchall()}
            if spellings:
                # The snapshot's edges name a model as the snapshot spells it.
                cursor.execute(_ANCESTORS, {"date": snapshot, "models": sorted(spellings.values())})
                for start, node, depth in cursor.fetchall():
                    ancestors.setdefault(start, []).append((node, depth))
    families = _Families.read() if ancestors else None
    return [_answer(adoption, repo_id, snapshot, spellings, ancestors, families)
            for adoption, repo_id in zip(adoptions, repo_ids, strict=True)]


def _answer(adoption: Adoption, repo_id: str | None, snapshot, spellings: dict, ancestors: dict,
            families: "_Families | None") -> tuple[dict, str]:
    answer = {"status": UNVERIFIABLE, "snapshot": snapshot.isoformat() if snapshot else None, "repo_id": repo_id,
              "bases": [], "reason": ""}
    if snapshot is None:
        answer["reason"] = "No Hugging Face Hub snapshot has been imported."
        return answer, _("No Hugging Face Hub snapshot has been imported.")
    if repo_id is None:
        answer["reason"] = "The record names no Hugging Face repo id (product_url)."
        return answer, _("The record names no Hugging Face repo id (product_url).")
    spelling = spellings.get(repo_id.lower())
    if spelling is None:
        answer["reason"] = f"{repo_id} is not in the Hub snapshot of {snapshot.isoformat()}."
        return answer, _("%(repo)s is not in the Hub snapshot of %(date)s.") % {
            "repo": repo_id, "date": snapshot.isoformat()}
    found_ancestors = ancestors.get(spelling, [])
    if not found_ancestors:
        answer["reason"] = "The Hub lists no base model for it."
        return answer, _("The Hub lists no base model for it.")
    slugs = families.slugs
    family_of = {node: _family_of(node, families.checkpoints, families.prefixes) for node, _depth in found_ancestors}
    answer["bases"] = [{"repo_id": node, "family": slugs.get(family_of[node])} for node, depth in found_ancestors
                       if depth == 1]
    found = {family for family in family_of.values() if family is not None}
    shown = ""
    if adoption.family_id in found:
        answer["status"] = CORROBORATED
    elif found:
        answer["status"] = CONTRADICTED
        named = ", ".join(sorted(slugs[family] for family in found))
        answer["reason"] = f"The Hub traces {repo_id} to {named}, not to {slugs.get(adoption.family_id)}."
        shown = _("The Hub traces %(repo)s to %(found)s, not to %(family)s.") % {
            "repo": repo_id, "found": named, "family": slugs.get(adoption.family_id)}
    else:
        answer["reason"] = "Its bases on the Hub lead to no family the registry knows."
        shown = _("Its bases on the Hub lead to no family the registry knows.")
    return answer, shown

"""Import of the reference data: UN M49 geography, model families and the verified adoptions.

Idempotent: rows are matched by natural keys (M49 code, ISO code, family slug, organization name or
alias, reference id) and a second run creates nothing. Records already imported are never
overwritten, since curators may have corrected them through the workflow since.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction

from adoption.choices import (
    EvidenceKind,
    ImportFlag,
    OrganizationKind,
    RegionLevel,
    Relation,
    Stage,
    Status,
    confidence_from_kinds,
)
from adoption.dates import parse_partial_date
from adoption.localnames import english_country_name
from adoption.models import Adoption, Checkpoint, Country, Evidence, ModelFamily, Organization, Region
from adoption.models.records import checkpoint_fits_family
from adoption.selectors.organizations import organizations_named
from adoption.text import name_key

from . import catalogue, moderation

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
IMPORT_ACTOR = "load_reference_data"

KIND_MAP = {
    "government": OrganizationKind.GOVERNMENT,
    "public_research_initiative": OrganizationKind.PUBLIC_PROGRAMME,
    "university": OrganizationKind.UNIVERSITY,
    "startup": OrganizationKind.STARTUP,
    "company": OrganizationKind.COMPANY,
    "ngo": OrganizationKind.NGO,
}
RELATION_MAP = {
    "continued_pretraining": Relation.CONTINUED_PRETRAINING,
    "fine_tune": Relation.FINE_TUNE,
    "adapter_lora": Relation.ADAPTER,
    "distillation": Relation.DISTILLATION,
    "merge": Relation.MERGE,
    "quantization": Relation.QUANTIZATION,
    "deployment_api_use": Relation.DEPLOYMENT,
    "national_strategy_announcement": Relation.POLICY_COMMITMENT,
}
# The source's own confidence decides the kind of its first (primary) source.
PRIMARY_EVIDENCE_KIND = {
    "verified_model_card": EvidenceKind.MODEL_CARD,
    "verified_announcement": EvidenceKind.OFFICIAL_ANNOUNCEMENT,
    "reported_press": EvidenceKind.PRESS,
    "unverified": EvidenceKind.OTHER,
}
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
REGION_NAMES_WORLD = ("001", "World")


@dataclass
class ImportReport:
    """What a run did, by kind of row: created / unchanged / updated, plus rows imported with flags."""

    created: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    flagged: dict[str, list[str]] = field(default_factory=dict)
    missing_families: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


def m49(code: str) -> str:
    """The CSV writes M49 codes without leading zeros; the standard (and our keys) use three digits."""
    return code.strip().zfill(3) if code and code.strip() else ""


def _upsert(model, report: ImportReport, label: str, lookup: dict, values: dict):
    """Create, or update only the fields that differ, so a repeat run reports 'unchanged'."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created[label] += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[label] += 1
    else:
        report.unchanged[label] += 1
    return obj


def load_geography(path: Path, report: ImportReport) -> None:
    """Regions at every M49 level, then all countries with their place in the hierarchy."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    world = _upsert(Region, report, "regions", {"code": REGION_NAMES_WORLD[0]},
                    {"name": REGION_NAMES_WORLD[1], "level": RegionLevel.WORLD, "parent": None})
    regions = {world.code: world}
    levels = (
        ("region_code", "region_name", RegionLevel.REGION, None),
        ("subregion_code", "subregion_name", RegionLevel.SUBREGION, "region_code"),
        ("intermediate_region_code", "intermediate_region_name", RegionLevel.INTERMEDIATE, "subregion_code"),
    )
    for code_col, name_col, level, parent_col in levels:
        for row in rows:
            code = m49(row[code_col])
            if not code or code in regions:
                continue
            parent = regions[m49(row[parent_col])] if parent_col else world
            regions[code] = _upsert(Region, report, "regions", {"code": code},
                                    {"name": row[name_col].strip(), "level": level, "parent": parent})
    for row in rows:
        iso2 = row["iso2"].strip().upper()
        _upsert(Country, report, "countries", {"iso2": iso2}, {
            "iso3": row["iso3"].strip().upper(),
            "numeric": m49(row["m49"]),
            "name": english_country_name(iso2),
            "region": regions.get(m49(row["region_code"])),
            "subregion": regions.get(m49(row["subregion_code"])),
            "intermediate_region": regions.get(m49(row["intermediate_region_code"])),
            "ldc": row["ldc"] == "True",
            "lldc": row["lldc"] == "True",
            "sids": row["sids"] == "True",
        })


def _split(value: str, sep: str = ";") -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def ensure_organization(report: ImportReport, name: str, *, alias: str = "", kind: str = "", country_iso2: str = "",
                        city: str = "") -> Organization:
    """The organization called `name` or `alias` (organizations_named: case, accents, spacing and
    punctuation aside; in that country or none), else a new one; fill only fields still blank, keep the alias."""
    country = Country.objects.filter(iso2=country_iso2).first() if country_iso2 else None
    country_id = country.pk if country else None
    found = organizations_named(name, country_id) or (
        organizations_named(alias, country_id) if alias else []
    )
    if not found:
        fields = {"kind": kind, "country": country, "city": city}
        if alias and name_key(alias) != name_key(name):
            fields["aliases"] = [alias]
        report.created["organizations"] += 1
        return catalogue.organization_create(name=name, **fields)
    org = found[0]
    blanks = {}
    if kind and not org.kind:
        blanks["kind"] = kind
    if country and not org.country_id:
        blanks["country"] = country
    if city and not org.city:
        blanks["city"] = city
    if alias and f"|{name_key(alias)}|" not in org.name_keys:
        blanks["aliases"] = [*org.aliases, alias]
    if blanks:
        org = catalogue.organization_update(organization=org, user=None, data=blanks)
        report.updated["organizations"] += 1
    else:
        report.unchanged["organizations"] += 1
    return org


def developer_names(raw: str) -> tuple[str, str]:
    """'Meta Platforms (Meta AI)' -> ('Meta Platforms', the full wording as an alias)."""
    short = raw.split(" (", 1)[0].strip()
    return short, (raw.strip() if short != raw.strip() else "")


def load_families(path: Path, report: ImportReport) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        name, alias = developer_names(row["developer_org"])
        origin = row["developer_country"].strip().upper()
        developer = ensure_organization(report, name, alias=alias, kind=OrganizationKind.COMPANY, country_iso2=origin)
        released, precision = (None, "")
        if row["first_open_weight_release"].strip():
            released, precision = parse_partial_date(row["first_open_weight_release"])
        notes = "\n\n".join(filter(None, [
            f"Family as the source names it: {row['family']}" if row["family"] != row["family_key"] else "",
            row["notes"].strip(),
            "Sources: " + "; ".join(_split(row["source_urls"], "|")) if row["source_urls"].strip() else "",
        ]))
        slug = row["family_key"].strip().lower()
        existing = ModelFamily.objects.filter(slug=slug).first()
        if existing:
            report.unchanged["families"] += 1
            continue
        catalogue.family_create(
            slug=slug, name=row["family_key"].strip(), developer=developer,
            origin_country=Country.objects.filter(iso2=origin).first(),
            default_license=row["typical_license"].strip()[:300], first_release=released,
            first_release_precision=precision, hub_prefixes=_split(row["hub_prefixes"]), notes=notes,
        )
        report.created["families"] += 1


def _family_for(name: str, families: dict[str, ModelFamily]) -> ModelFamily | None:
    """'Gemma 3' -> the gemma family; matches the family key as the first word."""
    first = re.split(r"[\s-]", name.strip(), maxsplit=1)[0].casefold()
    return families.get(first) or families.get(name.strip().casefold())


def _checkpoint(report: ImportReport, family: ModelFamily, described: str) -> tuple[Checkpoint | None, str, bool]:
    """A repo id named by the source becomes a catalogue checkpoint; anything else stays a description.

    Returns (checkpoint, the description to keep, whether the row is flagged as described).
    """
    text = described.strip()
    head = re.split(r" \(|;", text, maxsplit=1)[0].strip()
    if not REPO_ID.match(head):
        return None, text, True
    checkpoint = Checkpoint.objects.filter(repo_id__iexact=head).first()
    if checkpoint is None:
        checkpoint = catalogue.checkpoint_create(family=family, repo_id=head)
        report.created["checkpoints"] += 1
    elif not checkpoint_fits_family(checkpoint, family):
        return None, text, True
    return checkpoint, (text if text != head else ""), False


def _evidence(row: dict) -> list[dict]:
    primary = PRIMARY_EVIDENCE_KIND.get(row["confidence"].strip(), EvidenceKind.OTHER)
    sources = []
    for position, url in enumerate(dict.fromkeys(_split(row["source_urls"], "|"))):
        host = urlsplit(url).hostname or ""
        if position == 0:
            kind = primary
        elif host == "huggingface.co" or host.endswith(".huggingface.co"):
            kind = EvidenceKind.MODEL_CARD
        elif host.endswith("arxiv.org"):
            kind = EvidenceKind.PAPER
        else:
            kind = EvidenceKind.OTHER
        sources.append({"url": url, "kind": kind, "publisher": host.removeprefix("www.")[:200]})
    return sources


@transaction.atomic
def _import_adoption(report: ImportReport, *, reference_id: str, row: dict, adopter: Organization,
                     partners: list[Organization], family: ModelFamily, flags: list[str]) -> None:
    checkpoint, checkpoint_note, described = _checkpoint(report, family, row["base_checkpoint"])
    if row["base_family_key"].strip().lower() == "multiple":
        checkpoint, checkpoint_note, described = None, row["base_checkpoint"].strip(), False
    flags = list(flags) + ([ImportFlag.DESCRIBED_CHECKPOINT] if described else [])
    started_on, precision = (None, "")
    if row["date"].strip():
        started_on, precision = parse_partial_date(row["date"])
    summary = "\n\n".join(filter(None, [
        row["notes"].strip(), f"Date basis: {row['date_basis'].strip()}" if row["date_basis"].strip() else "",
    ]))[:4000]
    evidence = _evidence(row)
    # Made as a draft, then published by the moderation service, the way an approval publishes.
    adoption = Adoption(
        reference_id=reference_id, adopter=adopter, family=family, checkpoint=checkpoint,
        checkpoint_note=checkpoint_note[:300], relation=RELATION_MAP[row["relationship_kind"].strip()],
        product_name=row["derived_model"].strip()[:300], stage=Stage.ANNOUNCED, started_on=started_on,
        started_precision=precision, summary=summary, status=Status.DRAFT,
        confidence=confidence_from_kinds(e["kind"] for e in evidence), import_flags=sorted(set(flags)),
    )
    adoption.full_clean()
    adoption.save()
    adoption.partners.set(partners)
    for source in evidence:
        item = Evidence(adoption=adoption, **source)
        item.full_clean()
        item.save()
    adoption = moderation.adoption_publish_import(
        adoption=adoption, system=IMPORT_ACTOR, comment=f"Imported from reference record {row['record_id']}."
    )
    report.created["adoptions"] += 1
    if adoption.import_flags:
        report.flagged[reference_id] = adoption.import_flags


def load_adoptions(path: Path, report: ImportReport, progress=None) -> None:
    """One published record per reference row (one per family for a multi-model deployment)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    families = {family.slug: family for family in ModelFamily.objects.all()}
    for row in progress(rows) if progress else rows:
        record_id = row["record_id"].strip()
        key = row["base_family_key"].strip()
        if key.lower() == "multiple":
            names = _split(row["base_model_family"].split(":", 1)[-1])
            targets = []
            for name in names:
                family = _family_for(name, families)
                if family is None:
                    report.missing_families.setdefault(record_id, []).append(name)
                else:
                    targets.append((f"{record_id}:{family.slug}", family))
            base_flags = [ImportFlag.MULTI_MODEL]
        else:
            family = families.get(key.lower())
            if family is None:
                report.missing_families.setdefault(record_id, []).append(key)
                continue
            targets, base_flags = [(record_id, family)], []
        if not row["adopter_country"].strip():
            base_flags.append(ImportFlag.NO_COUNTRY)
        if not row["adopter_kind"].strip():
            base_flags.append(ImportFlag.NO_KIND)
        if not row["date"].strip():
            base_flags.append(ImportFlag.NO_DATE)
        if row["confidence"].strip() == "unverified":
            base_flags.append(ImportFlag.UNVERIFIED)
        pending = [(ref, fam) for ref, fam in targets if not Adoption.objects.filter(reference_id=ref).exists()]
        report.unchanged["adoptions"] += len(targets) - len(pending)
        if not pending:
            continue
        adopter = ensure_organization(
            report, row["adopter"].strip(), alias=row["adopter_name"].strip(),
            kind=KIND_MAP.get(row["adopter_kind"].strip(), ""), country_iso2=row["adopter_country"].strip().upper(),
            city=row["adopter_city"].strip(),
        )
        partners = [ensure_organization(report, name) for name in _split(row["partners"])]
        for reference_id, family in pending:
            _import_adoption(report, reference_id=reference_id, row=row, adopter=adopter, partners=partners,
                             family=family, flags=base_flags)


def load_reference_data(data_dir: Path = DATA_DIR, progress=None) -> ImportReport:
    """Geography, then families, then adoptions; each step idempotent."""
    report = ImportReport()
    with transaction.atomic():
        load_geography(data_dir / "m49_regions.csv", report)
        load_families(data_dir / "reference" / "base_models.csv", report)
    load_adoptions(data_dir / "reference" / "adoptions.csv", report, progress=progress)
    return report

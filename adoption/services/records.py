"""Writes to adoption records: create and edit drafts, with their evidence and a proposed adopter.

Status changes are the moderation services' job (moderation.py); these functions only write content,
and only while the record is a draft or sent back. Errors come back as one ValidationError keyed by
field, evidence errors under "evidence", so forms and the API can show them next to the input.
"""

import datetime
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from adoption.choices import Action, DatePrecision, EvidenceKind, Relation, Stage, Status, confidence_from_kinds
from adoption.dates import parse_partial_date
from adoption.models import Adoption, Checkpoint, Evidence, Organization
from adoption.roles import is_contributor, is_curator
from adoption.selectors import CONTENT_FIELDS, change_values_json
from adoption.selectors.organizations import organization_has_live_records, organizations_named

from . import catalogue, links, outbound
from .errors import ActionForbidden, TransitionNotAllowed
from .moderation import adoption_submit
from .validation import check_adopter, full_clean
from .workflow import EDITABLE_STATUSES, check_version, event_log, locked

EVIDENCE_FIELDS = ("url", "kind", "title", "publisher", "published_on", "quote")
NEW_ADOPTER_FIELDS = ("name", "kind", "country", "city")
# Fields a change request may propose, and how their values travel as JSON.
CHANGEABLE_FIELDS = (
    "relation", "stage", "product_name", "product_url", "started_on", "ended_on", "sectors", "languages",
    "summary", "checkpoint",
)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_http_url = URLValidator(
    schemes=["http", "https"], message=gettext_lazy("Enter a full web address starting with http:// or https://."),
)


def split_list(value) -> list[str]:
    """'health, education' or a list -> ['health', 'education'] (commas or new lines; blanks and repeats dropped)."""
    items = re.split(r"[,\n]", value or "") if isinstance(value, str) else value
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def _clean_list(value, field: str, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, str | list | tuple) or not all(isinstance(item, str) for item in value):
        errors[field] = [_("Give a list of short texts.")]
        return []
    items = split_list(value)
    if any(len(item) > 80 for item in items):
        errors[field] = [_("Each entry must be at most 80 characters.")]
    return items


def _apply_content(record: Adoption, data: dict, errors: dict) -> None:
    """Copy `data` onto the record, normalising dates and lists; field errors go into `errors`."""
    unknown = set(data) - set(CONTENT_FIELDS)
    if unknown:
        errors["non_field_errors"] = [_("Not editable: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}]
    for name in CONTENT_FIELDS:
        if name not in data or name in ("started_on", "started_precision"):
            continue
        value = data[name]
        if name in ("sectors", "languages"):
            value = _clean_list(value, name, errors)
            if name == "languages":
                value = [code.lower() for code in value]
                bad = [code for code in value if not LANGUAGE_CODE.match(code)]
                if bad:
                    errors[name] = [_("Use ISO 639 codes (e.g. 'en', 'ms', 'fil'); not: %(codes)s.")
                                    % {"codes": ", ".join(bad)}]
        elif name in ("product_name", "product_url", "summary"):
            value = (value or "").strip()
            if name == "product_url" and value and (problem := unusable_url(value, as_what="product")):
                errors[name] = [problem]  # a repo id has no scheme; a URL follows the sources' rules
        setattr(record, name, value)
    if "started_on" in data:
        started, precision = data["started_on"], data.get("started_precision") or ""
        if isinstance(started, str) and started.strip():
            try:
                started, precision = parse_partial_date(started)
            except ValidationError as exc:
                errors["started_on"] = exc.messages
                started = None
        elif not started:
            started, precision = None, ""
        elif isinstance(started, datetime.date) and not precision:
            precision = DatePrecision.DAY
        record.started_on, record.started_precision = started, precision


def _has_scheme(url: str) -> bool:
    try:
        return bool(urlsplit(url).scheme)
    except ValueError:
        return True


def unusable_url(url: str, *, as_what: str = "source") -> str | None:
    """'<url> cannot be a source: <why>.' for an address that can never be public (the link checker's
    rules, applied to the text alone: names that resolve to such addresses stay its job)."""
    if _has_scheme(url) and (reason := outbound.unreachable_url_reason(url)):
        shown = url if len(url) <= 120 else url[:117] + "..."
        if as_what == "product":
            return _("%(url)s cannot be a product link: %(reason)s.") % {"url": shown, "reason": reason}
        return _("%(url)s cannot be a source: %(reason)s.") % {"url": shown, "reason": reason}
    return None


def unusable_evidence_url(url: str) -> str | None:
    """Why `url` can never be public evidence, or None (the form checks each source with it)."""
    return unusable_url(url)


def evidence_url_problem(url: str) -> str | None:
    """Why `url` cannot be cited as a source, or None: the one rule for the pages and the API."""
    if problem := unusable_evidence_url(url):
        return problem
    try:
        _http_url(url)
    except ValidationError:
        return _("Enter a full web address starting with http:// or https://.")
    return None


def _evidence_rows(evidence: list[dict], errors: dict) -> list[Evidence]:
    """Validate each source; messages name the source by position ("Source 2: ...")."""
    rows, messages, seen = [], [], set()
    if not isinstance(evidence, list | tuple):
        errors["evidence"] = [_("Give the sources as a list.")]
        return []
    for n, item in enumerate(evidence, start=1):
        if not isinstance(item, dict):
            messages.append(_("Source %(number)s: give url, kind, title, publisher, published_on and quote.")
                            % {"number": n})
            continue
        unknown = set(item) - set(EVIDENCE_FIELDS) - {"id", "link_status", "link_checked_at"}
        if unknown:
            messages.append(_("Source %(number)s: unknown fields %(fields)s.")
                            % {"number": n, "fields": ", ".join(sorted(unknown))})
        url = str(item.get("url") or "").strip()
        if problem := evidence_url_problem(url):
            messages.append(_source(n, problem))
            continue
        if url in seen:
            messages.append(_("Source %(number)s: %(url)s is listed twice.") % {"number": n, "url": url})
            continue
        seen.add(url)
        kind = item.get("kind") or EvidenceKind.OTHER
        if kind not in EvidenceKind.values:
            messages.append(_("Source %(number)s: kind must be one of %(kinds)s.")
                            % {"number": n, "kinds": ", ".join(EvidenceKind.values)})
            continue
        published_on = item.get("published_on") or None
        if isinstance(published_on, str):
            try:
                published_on = datetime.date.fromisoformat(published_on)
            except ValueError:
                messages.append(_("Source %(number)s: give the publication date as YYYY-MM-DD.") % {"number": n})
                continue
        row = Evidence(
            url=url, kind=kind, title=str(item.get("title") or "").strip(),
            publisher=str(item.get("publisher") or "").strip(), published_on=published_on,
            quote=str(item.get("quote") or "").strip(),
        )
        try:
            row.full_clean(exclude=["adoption"], validate_unique=False)
        except ValidationError as exc:
            messages.extend(_source(n, message) for message in _flat(exc))
            continue
        rows.append(row)
    if messages:
        errors["evidence"] = messages
    return rows


def _source(n: int, problem: str) -> str:
    # Translators: a problem with one of a record's cited sources, e.g. "Source 2: this field cannot be blank."
    return _("Source %(number)s: %(problem)s") % {"number": n, "problem": problem}


def _flat(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" if field != "__all__" else m for field, ms in exc.message_dict.items() for m in ms]
    return exc.messages


def _new_adopter(new_adopter: dict, user, errors: dict) -> Organization | None:
    """The organization a proposal names: the one already called so (by name or alias, in that country),
    published or proposed by anyone, else a new proposed one. A proposal no one else's live record still
    names (it was left by a rejection or a withdrawal) takes the new details."""
    unknown = set(new_adopter) - set(NEW_ADOPTER_FIELDS)
    name = str(new_adopter.get("name") or "").strip()
    if unknown or not name:
        errors["new_adopter"] = [_("Give name, kind, country and city only; a name is needed.") if unknown
                                 else _("Give name, kind, country and city; a name is needed.")]
        return None
    fields = {key: new_adopter[key] for key in ("kind", "country", "city") if new_adopter.get(key)}
    country = fields.get("country")
    country_id = getattr(country, "pk", country) or None
    matches = organizations_named(name, country_id)
    if country_id is None and len(matches) > 1:
        errors["new_adopter"] = [_("Several organizations are called %(name)s: give the country to say which.")
                                 % {"name": name}]
        return None
    try:
        if not matches:
            return catalogue.organization_create(user=user, name=name, is_published=False, **fields)
        org = matches[0]
        if org.is_published or organization_has_live_records(org, besides=user):
            return org
        return catalogue.organization_repropose(organization=org, user=user, **fields)
    except ValidationError as exc:
        errors["new_adopter"] = _flat(exc)
        return None


def _replace_evidence(record: Adoption, rows: list[Evidence], user) -> None:
    """Keep sources whose URL stays (and their link health), drop the others, add the new ones."""
    current = {row.url: row for row in record.evidence.all()}
    wanted = {row.url for row in rows}
    for url, old in current.items():
        if url not in wanted:
            old._history_user = user
            old.delete()
    added = []
    for row in rows:
        old = current.get(row.url)
        if old is None:
            row.adoption = record
            row._history_user = user
            row.save()
            added.append(row.pk)
        elif any(getattr(old, name) != getattr(row, name) for name in EVIDENCE_FIELDS):
            for name in EVIDENCE_FIELDS:
                setattr(old, name, getattr(row, name))
            old._history_user = user
            old.save()
    links.queue_link_checks(added)


def _refresh_confidence(record: Adoption) -> None:
    confidence = confidence_from_kinds(record.evidence.values_list("kind", flat=True))
    if confidence != record.confidence:
        record.confidence = confidence
        record.save(update_fields=["confidence"])


def adoption_create(*, user, data: dict, evidence: list[dict], new_adopter: dict | None = None,
                    submit: bool = False) -> Adoption:
    """Create a draft owned by `user` (submitted at once with `submit=True`).

    The adopter is `data["adopter"]` or an unpublished organization made from `new_adopter`; the
    confidence is derived from the evidence kinds. Raises ValidationError keyed by field."""
    if not is_contributor(user):
        raise ActionForbidden(_("Sign in to propose a record."))
    errors: dict = {}
    with transaction.atomic():
        record = Adoption(created_by=user, status=Status.DRAFT, stage=Stage.ANNOUNCED)
        _apply_content(record, data, errors)
        if new_adopter:
            if data.get("adopter"):
                errors["new_adopter"] = [_("Choose an existing adopter or propose a new one, not both.")]
            else:
                record.adopter = _new_adopter(new_adopter, user, errors)
        proposed_id = record.adopter_id if new_adopter else None  # named by the proposal: shared, allowed
        check_adopter(record.adopter if record.adopter_id else None, user, errors, current_id=proposed_id)
        if not record.relation and "relation" not in errors:
            errors["relation"] = [_("Choose how the adopter builds on the family: %(relations)s.")
                                  % {"relations": ", ".join(Relation.values)}]
        rows = _evidence_rows(evidence or [], errors)
        full_clean(record, errors)
        record._history_user = user
        record.save()
        _replace_evidence(record, rows, user)
        _refresh_confidence(record)
        event_log(adoption=record, user=user, action=Action.CREATE, to_status=Status.DRAFT)
        if submit:
            record = adoption_submit(adoption=record, user=user)
    return record


def adoption_update(*, adoption: Adoption, user, data: dict, evidence: list[dict] | None = None,
                    expected_version: int | None = None) -> Adoption:
    """Edit a draft or a record sent back (its owner, or a curator); bumps the version.

    A given evidence list replaces the old one (sources kept by URL keep their link health)."""
    errors: dict = {}
    with transaction.atomic():
        record = locked(adoption)
        check_version(record, expected_version)
        owner = record.created_by_id is not None and record.created_by_id == getattr(user, "pk", None)
        if not (is_contributor(user) and (owner or is_curator(user))):
            raise ActionForbidden(_("Only the contributor who created this record, or a curator, can edit it."))
        if record.status not in EDITABLE_STATUSES:
            raise TransitionNotAllowed(Action.EDIT, record.status)
        current_adopter = record.adopter_id
        _apply_content(record, data, errors)
        if "adopter" in data:
            check_adopter(data["adopter"], user, errors, current_id=current_adopter)
        rows = _evidence_rows(evidence, errors) if evidence is not None else None
        full_clean(record, errors)
        record.version += 1
        record._history_user = user
        record.save()
        if rows is not None:
            _replace_evidence(record, rows, user)
            _refresh_confidence(record)
        event_log(adoption=record, user=user, action=Action.EDIT, from_status=record.status, to_status=record.status)
    return record


# Change requests carry JSON values; these turn them into field values and back.


def change_values_clean(record: Adoption, proposed: dict) -> dict:
    """Validate proposed values against a copy of the record; return them normalised (JSON).

    Only values that differ from the record are kept; no difference at all is an error."""
    if not isinstance(proposed, dict) or not proposed:
        raise ValidationError({"proposed": [_("Propose at least one field to change.")]})
    unknown = set(proposed) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed by a change request.")] for field in unknown})
    errors: dict = {}
    copy = Adoption.objects.get(pk=record.pk)
    data = dict(proposed)
    if "checkpoint" in data and data["checkpoint"] not in (None, ""):
        reference = str(data["checkpoint"])
        is_id = reference.isascii() and reference.isdecimal() and len(reference) < 19  # not '³', not 10**40
        checkpoint = Checkpoint.objects.filter(**{"pk" if is_id else "repo_id": reference}).first()
        if checkpoint is None:
            errors["checkpoint"] = [_("No such checkpoint.")]
        data["checkpoint"] = checkpoint
    elif "checkpoint" in data:
        data["checkpoint"] = None
    if "ended_on" in data:
        try:
            data["ended_on"] = datetime.date.fromisoformat(data["ended_on"]) if data["ended_on"] else None
        except (TypeError, ValueError):
            errors["ended_on"] = [_("Give the end date as YYYY-MM-DD.")]
            data.pop("ended_on")
    if "started_on" in data and data["started_on"] is not None and not isinstance(data["started_on"], str):
        errors["started_on"] = [_("Give the start date as YYYY, YYYY-MM or YYYY-MM-DD.")]
        data.pop("started_on")
    _apply_content(copy, {k: v for k, v in data.items() if k not in errors}, errors)
    full_clean(copy, errors)
    cleaned = {field: value for field, value in change_values_json(copy).items()
               if field in proposed and value != change_values_json(record)[field]}
    if not cleaned:
        raise ValidationError({"proposed": [_("The proposed values are the same as the record's.")]})
    return cleaned


def change_values_apply(record: Adoption, proposed: dict) -> None:
    """Write validated proposed values onto the (locked) record; validates again before saving."""
    data = dict(proposed)
    if "checkpoint" in data:
        data["checkpoint"] = Checkpoint.objects.filter(pk=data["checkpoint"]).first() if data["checkpoint"] else None
    if "ended_on" in data:
        data["ended_on"] = datetime.date.fromisoformat(data["ended_on"]) if data["ended_on"] else None
    errors: dict = {}
    _apply_content(record, data, errors)
    full_clean(record, errors)

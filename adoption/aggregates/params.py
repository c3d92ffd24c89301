"""Map parameters: parsed and validated from a query string, without touching the database."""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from adoption import geo
from adoption.choices import OrganizationKind, Relation, Stage
from adoption.dates import parse_partial_date, period_end
from adoption.services.maps import TAG_MAX

GROUP_BYS = ("country", "subregion", "region", "city")
SPLITS = ("origin_country", "family", "relation", "stage", "adopter_kind", "none")
UNITS = ("adoptions", "adopters")
FORMATS = ("json", "geojson", "csv")
TIMESERIES_FORMATS = ("json", "csv")
INTERVALS = ("year", "quarter", "month")
LIST_FILTERS = ("family", "origin_country", "relation", "stage", "adopter_kind", "sector", "language", "region",
                "country")
DATE_FILTERS = ("since", "until")
UNKNOWN = "unknown"
NO_SPLIT = "all"  # the one split key when split=none
MAP_PARAMS = ("group_by", "split", "unit", "format", "as_of", *LIST_FILTERS, *DATE_FILTERS)
TIMESERIES_PARAMS = ("interval", "split", "unit", "format", "as_of", *LIST_FILTERS, *DATE_FILTERS)
_ISO2 = re.compile(r"^[A-Z]{2}$")
_M49 = re.compile(r"^\d{1,3}$")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_CHOICES = {"relation": Relation.values, "stage": Stage.values, "adopter_kind": OrganizationKind.values}


@dataclass(frozen=True)
class MapParams:
    """Validated, normalised map parameters. Build with `from_query`; hashable, so usable as a cache key."""

    group_by: str = "country"
    split: str = "origin_country"
    unit: str = "adoptions"
    interval: str = "quarter"
    format: str = "json"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    since: datetime.date | None = None
    until: datetime.date | None = None
    since_raw: str = ""
    until_raw: str = ""
    as_of: datetime.datetime | None = None

    @classmethod
    def from_query(cls, query, *, timeseries: bool = False) -> "MapParams":
        """Parse a QueryDict (or a plain dict of strings). Multiple values of a filter, repeated or
        comma-separated, mean any of them. Unknown parameters are refused (a typo must not be ignored)."""
        allowed = TIMESERIES_PARAMS if timeseries else MAP_PARAMS
        errors: dict[str, list[str]] = {}
        values: dict[str, list[str]] = {}
        for key in query:
            raw = query.getlist(key) if hasattr(query, "getlist") else [query[key]]
            if key.startswith("_"):  # cache-busters such as jQuery's _=123
                continue
            if key not in allowed:
                errors[key] = [f"Unknown parameter. Allowed: {', '.join(allowed)}."]
                continue
            values[key] = [part.strip() for item in raw for part in str(item).split(",") if part.strip()]

        def single(name: str, choices: tuple[str, ...], default: str) -> str:
            given = values.get(name, [])
            if not given:
                return default
            if len(given) > 1 or given[0] not in choices:
                errors[name] = [f"Choose one of: {', '.join(choices)}."]
                return default
            return given[0]

        kwargs = {
            "split": single("split", SPLITS, "origin_country"),
            "unit": single("unit", UNITS, "adoptions"),
            # A timeseries has no geography: JSON or CSV only.
            "format": single("format", TIMESERIES_FORMATS if timeseries else FORMATS, "json"),
        }
        if timeseries:
            kwargs["interval"] = single("interval", INTERVALS, "quarter")
        else:
            kwargs["group_by"] = single("group_by", GROUP_BYS, "country")
        filters = {}
        for name in LIST_FILTERS:
            if items := values.get(name):
                try:
                    filters[name] = tuple(sorted(set(_check_filter(name, items))))
                except ValidationError as exc:
                    errors[name] = exc.messages
        for name in DATE_FILTERS:
            given = values.get(name, [])
            if len(given) > 1:
                errors[name] = ["Give one date."]
            elif given:
                try:
                    date, precision = parse_partial_date(given[0])
                except ValidationError as exc:
                    errors[name] = exc.messages
                    continue
                kwargs[name] = date if name == "since" else period_end(date, precision)
                kwargs[f"{name}_raw"] = given[0]
        if kwargs.get("since") and kwargs.get("until") and kwargs["since"] > kwargs["until"]:
            errors["until"] = ["The end of the period is before its start (since)."]
        if given := values.get("as_of"):
            try:
                kwargs["as_of"] = _parse_instant(given)
            except ValidationError as exc:
                errors["as_of"] = exc.messages
        if errors:
            raise ValidationError(errors)
        return cls(filters=tuple(sorted(filters.items())), **kwargs)

    def get(self, name: str) -> tuple[str, ...]:
        """The values of a list filter ('' -> none given)."""
        return dict(self.filters).get(name, ())

    def filters_echo(self) -> dict:
        """The filters as the response repeats them: {"family": "qwen", "since": "2024"}."""
        echo = {name: ",".join(values) for name, values in self.filters}
        if self.since_raw:
            echo["since"] = self.since_raw
        if self.until_raw:
            echo["until"] = self.until_raw
        return echo

    def cache_key(self, *, kind: str) -> str:
        """A stable text of everything that shapes the answer (not the format of a full answer)."""
        parts = [kind, self.group_by if kind == "map" else self.interval, self.split, self.unit,
                 self.as_of.isoformat() if self.as_of else "", self.since_raw, self.until_raw]
        parts += [f"{name}={','.join(values)}" for name, values in self.filters]
        return "|".join(parts)


def _check_filter(name: str, items: list[str]) -> list[str]:
    if name in _CHOICES:
        bad = [item for item in items if item not in _CHOICES[name]]
        if bad:
            raise ValidationError(f"Unknown value {bad[0]!r}. Choose from: {', '.join(_CHOICES[name])}.")
        return items
    if name in ("country", "origin_country"):
        items = [item.upper() for item in items]
        bad = [item for item in items if not _ISO2.match(item) or item not in geo.m49_countries()]
        if bad:
            raise ValidationError(f"{bad[0]!r} is not an ISO 3166-1 alpha-2 country code.")
        return items
    if name == "region":
        items = [item.zfill(3) if _M49.match(item) else item for item in items]
        bad = [item for item in items if item not in geo.m49_region_names()]
        if bad:
            raise ValidationError(f"{bad[0]!r} is not a UN M49 area code (e.g. 001, 142, 035).")
        return items
    if name == "family":
        bad = [item for item in items if not _SLUG.match(item)]
        if bad:
            raise ValidationError(f"{bad[0]!r} is not a family slug.")
        return items
    too_long = [item for item in items if len(item) > TAG_MAX]
    if too_long:
        raise ValidationError(f"Values are at most {TAG_MAX} characters.")
    return items


# The UTC offsets in use run from -12:00 to +14:00; PostgreSQL refuses some beyond, so those are a 400 here.
MAX_OFFSET = datetime.timedelta(hours=14)
INSTANT_HELP = "Enter an ISO 8601 date or date-time, e.g. 2025-06-30 or 2025-06-30T12:00:00Z."


def _parse_instant(given: list[str]) -> datetime.datetime:
    """The instant of as_of, in UTC. A bare date means the end of that day (UTC)."""
    if len(given) != 1:
        raise ValidationError("Give one instant.")
    text = given[0].replace(" ", "+")  # a '+' of a UTC offset arrives as a space when not URL-encoded
    try:
        # Checked first: parse_datetime reads a bare date as its midnight.
        instant = datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time.max)
    except ValueError:
        try:
            instant = parse_datetime(text)
        except ValueError:
            instant = None
    if instant is None:
        raise ValidationError(INSTANT_HELP)
    if timezone.is_naive(instant):
        return timezone.make_aware(instant, datetime.UTC)
    offset = instant.utcoffset()
    if abs(offset) > MAX_OFFSET:
        raise ValidationError(f"A UTC offset is between -14:00 and +14:00, not {_offset_text(offset)}.")
    try:
        return instant.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first instant a date-time can hold
        raise ValidationError("This instant is out of the range of dates (years 1 to 9999).") from None


def _offset_text(offset: datetime.timedelta) -> str:
    sign, seconds = ("-", -offset.total_seconds()) if offset < datetime.timedelta(0) else ("+", offset.total_seconds())
    return f"{sign}{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"

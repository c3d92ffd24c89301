"""Map parameters: the cleaned form of the shared filter grammar (adoption.filtersets), as one hashable value."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from adoption import filtersets

GROUP_BYS = tuple(value for value, _ in filtersets.GROUP_BY_CHOICES)
SPLITS = tuple(value for value, _ in filtersets.SPLIT_CHOICES)
UNITS = tuple(value for value, _ in filtersets.UNIT_CHOICES)
FORMATS = tuple(value for value, _ in filtersets.MAP_FORMAT_CHOICES)
TIMESERIES_FORMATS = tuple(value for value, _ in filtersets.TIMESERIES_FORMAT_CHOICES)
INTERVALS = tuple(value for value, _ in filtersets.INTERVAL_CHOICES)
# The filters that take values (the dates are since/until, the instant as_of).
LIST_FILTERS = tuple(name for name, spec in filtersets.MapFilters.base_filters.items()
                     if isinstance(spec, filtersets.ValuesFilter))


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
        """Parse a QueryDict (or a plain dict of strings) with the shared grammar; a ValidationError keyed by
        parameter when anything is wrong (an unknown parameter too: a typo must not be ignored)."""
        filterset_class = filtersets.TimeseriesFilterSet if timeseries else filtersets.MapFilterSet
        form = filterset_class(query).form
        if not form.is_valid():
            raise ValidationError(form.parameter_errors())
        return cls.from_form(form)

    @classmethod
    def from_form(cls, form) -> "MapParams":
        """The parameters of a valid map or timeseries form (the API's or the /map/ page's)."""
        data = form.cleaned_data
        since, until = data.get("since"), data.get("until")
        kwargs = {name: data[name] for name in ("group_by", "split", "unit", "interval", "format")
                  if data.get(name)}
        return cls(
            filters=tuple((name, data[name]) for name in sorted(LIST_FILTERS) if data.get(name)),
            since=since.first if since else None, until=until.last if until else None,
            since_raw=since.text if since else "", until_raw=until.text if until else "",
            as_of=data.get("as_of"), **kwargs,
        )

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

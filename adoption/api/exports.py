"""Streamed list exports (DESIGN §4): `?format=csv|ndjson` on a list answers every matching row as a download.

The rows are read with a server-side cursor a chunk at a time (`QuerySet.iterator(chunk_size=...)`), their
lists of nested objects (evidence, partners) with one query per chunk, turned into the list's JSON items
(ValuesPlan: the serializer's fields over `values()` rows) and written by the format's renderer
(adoption.api.renderers), so memory stays flat whatever the registry holds. The CSV columns are the JSON
item's fields with nested objects flattened (`adopter_country_iso2`); the file name names the filters.
"""

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from .renderers import ExportRenderer, ListCSVRenderer, NDJSONRenderer, content_type

CHUNK_SIZE = 1000

# CSV columns renamed from the JSON field they hold (the contract's names).
RENAMED = {"started_precision": "started_on_precision"}
# Lists of objects become one column per field kept, the values joined: URLs and slugs hold no space,
# names may (and may hold a comma).
LISTS_OF_OBJECTS = {
    "partners": (("partner_slugs", "slug", " "), ("partner_names", "name", "; ")),
    "evidence": (("evidence_urls", "url", " "),),
}
# Lists of text (sectors, languages) are joined with this.
TEXT_LIST_SEPARATOR = "; "


def _getter(path: tuple[str, ...]) -> Callable[[dict], object]:
    def get(item):
        for key in path:
            if item is None:
                return None
            item = item[key]
        return item

    return get


def _joined(path: tuple[str, ...], key: str, separator: str) -> Callable[[dict], str]:
    get = _getter(path)

    def join(item):
        return separator.join(str(value[key]) for value in get(item) or ())

    return join


def _value(path: tuple[str, ...]) -> Callable[[dict], object]:
    """A field's value; a list (of text: sectors, languages) joined."""
    get = _getter(path)

    def value(item):
        found = get(item)
        return TEXT_LIST_SEPARATOR.join(map(str, found)) if isinstance(found, list) else found

    return value


@dataclass(frozen=True)
class Columns:
    """The CSV header and, for a JSON item, its row in the same order."""

    names: tuple[str, ...]
    getters: tuple[Callable[[dict], object], ...]
    # The serializer field each column comes from (a list of objects: the ListSerializer), for typed writers.
    fields: tuple[serializers.Field, ...] = ()

    def row(self, item: dict) -> list:
        return [get(item) for get in self.getters]

    @classmethod
    def of(cls, serializer: serializers.Serializer) -> "Columns":
        """Columns for what `serializer` writes: nested objects flattened with `_` (null: empty cells),
        lists joined (see LISTS_OF_OBJECTS, TEXT_LIST_SEPARATOR)."""
        names, getters, fields = [], [], []
        for name, getter, field in _flatten(serializer, ()):
            names.append(name)
            getters.append(getter)
            fields.append(field)
        return cls(tuple(names), tuple(getters), tuple(fields))


def _flatten(serializer: serializers.Serializer, path: tuple[str, ...]) -> Iterator[tuple[str, Callable, object]]:
    for field_name, field in serializer.fields.items():
        if field.write_only:
            continue
        field_path = (*path, field_name)
        name = "_".join(field_path)
        if isinstance(field, serializers.ListSerializer):
            if name not in LISTS_OF_OBJECTS:
                raise ImproperlyConfigured(f"Say how the export flattens the list of objects {name!r}.")
            for column, key, separator in LISTS_OF_OBJECTS[name]:
                yield column, _joined(field_path, key, separator), field
        elif isinstance(field, serializers.Serializer):
            yield from _flatten(field, field_path)
        else:
            yield RENAMED.get(name, name), _value(field_path), field


FILENAME_MAX = 120


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-.")


def export_filename(base: str, query: dict[str, str], extension: str) -> str:
    """`adoptions_family-qwen_country-SG.csv`: the filters by name and value, in safe characters only
    (several values joined with `+`); cut short if very long."""
    parts = [base]
    for name, value in query.items():
        value = _safe(value.replace(",", "+"))
        if value:
            parts.append(f"{name}-{value}")
    return f"{'_'.join(parts)[:FILENAME_MAX].rstrip('_-.+')}.{extension}"


class ValuesPlan:
    """How to write a serializer's items from `values()` rows rather than model instances: building a model
    instance and running the serializer per row costs milliseconds, which a hundred thousand rows make
    minutes. The plan reads the columns its fields' sources name (nested objects through their relation,
    None when the relation is empty) and formats each value with the serializer's own field, so an item is
    what the serializer writes. A list of nested objects is read per chunk by `many` (name → a function
    from the chunk's ids to each id's list); a method field by `computed` (name → columns, function)."""

    def __init__(self, serializer: serializers.Serializer, *, prefix: str = "", many=None, computed=None):
        self.columns: list[str] = []
        self.steps: list[tuple[str, Callable[[dict], object]]] = []
        many, computed = many or {}, computed or {}
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if name in computed:
                columns, function = computed[name]
                columns = [f"{prefix}{column}" for column in columns]
                self.columns += columns
                self.steps.append((name, lambda row, c=columns, f=function: f(*(row[column] for column in c))))
                continue
            if isinstance(field, serializers.ListSerializer):
                if name not in many:
                    raise ImproperlyConfigured(f"Say how the export reads the list of objects {name!r}.")
                continue  # filled per chunk
            source = prefix + field.source.replace(".", "__")
            self.columns.append(source)
            if isinstance(field, serializers.Serializer):
                nested = ValuesPlan(field, prefix=f"{source}__")
                self.columns += nested.columns
                self.steps.append((name, lambda row, s=source, n=nested: None if row[s] is None else n.item(row)))
            elif isinstance(field, serializers.SerializerMethodField):
                raise ImproperlyConfigured(f"Say how the export computes {name!r}.")
            elif isinstance(field, serializers.SlugRelatedField):  # the related row's slug, read in the query
                self.columns[-1] = f"{source}__{field.slug_field}"
                self.steps.append((name, lambda row, s=self.columns[-1]: row[s]))
            else:
                if isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
                    # Looked up once, not per value (the current time zone is a context-local read).
                    field.timezone = field.default_timezone()
                self.steps.append(
                    (name, lambda row, s=source, f=field: None if row[s] is None else f.to_representation(row[s]))
                )
        self.many = many
        self.names = [name for name, field in serializer.fields.items() if not field.write_only]

    def item(self, row: dict) -> dict:
        return {name: step(row) for name, step in self.steps}

    def chunks(self, queryset) -> Iterator[list[dict]]:
        """The queryset's items a chunk at a time, read with a server-side cursor (PostgreSQL)."""
        columns = dict.fromkeys([*self.columns, "pk"])
        rows = queryset.prefetch_related(None).values(*columns).iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
            items = [self.item(row) for row in chunk]
            if self.many:
                ids = [row["pk"] for row in chunk]
                lists = {name: read(ids) for name, read in self.many.items()}
                for row, item in zip(chunk, items, strict=True):
                    item.update({name: found.get(row["pk"], []) for name, found in lists.items()})
                items = [{name: item[name] for name in self.names} for item in items]  # the serializer's order
            yield items


def related_lists(queryset, serializer: serializers.Serializer, owner: str, prefix: str = "") -> Callable[[list], dict]:
    """For ValuesPlan's `many`: the items of `queryset` (ordered) grouped by the `owner` column's value;
    `prefix` leads from the queryset's model to the serializer's (a many-to-many's through model)."""
    plan = ValuesPlan(serializer, prefix=prefix)

    def read(ids) -> dict[int, list[dict]]:
        found: dict[int, list[dict]] = {}
        for row in queryset.filter(**{f"{owner}__in": ids}).values(*dict.fromkeys([owner, *plan.columns])):
            found.setdefault(row[owner], []).append(plan.item(row))
        return found

    return read


class ExportMixin:
    """A list that also answers `?format=csv` and `?format=ndjson` (or an Accept header naming them) with
    every matching row, streamed, no pagination. The negotiation and the errors are the maps' (an unknown
    format is a 400; errors are JSON whatever the format asked for).

    `export_name` starts the file name; `export_serializer_class` (default: the list's) writes the items."""

    export_name: str
    export_serializer_class = None
    export_renderer_classes = (ListCSVRenderer, NDJSONRenderer)

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers += [renderer() for renderer in self.export_renderer_classes]
        return renderers

    def perform_content_negotiation(self, request, force=False):
        # A method the endpoint lacks has no action: it answers 405, in JSON, whatever ?format= asks for.
        return super().perform_content_negotiation(request, force=force or getattr(self, "action", None) is None)

    def get_export_serializer(self) -> serializers.Serializer:
        serializer_class = self.export_serializer_class or self.get_serializer_class()
        return serializer_class(context=self.get_serializer_context())

    def export_columns(self) -> Columns:
        return Columns.of(self.get_export_serializer())

    def export_plan(self) -> ValuesPlan:
        """How the items are read (override for lists of nested objects or method fields)."""
        return ValuesPlan(self.get_export_serializer())

    def export_query(self) -> dict[str, str]:
        """The filters the request gave, as the FilterSet cleaned them (values normalised), ordering aside."""
        filterset = self.filterset_class(self.request.query_params, queryset=self.get_queryset().none(),
                                         request=self.request)
        query = filterset.form.query() if filterset.is_valid() else {}
        query.pop("ordering", None)
        return query

    def list(self, request, *args, **kwargs):
        renderer = request.accepted_renderer
        if not isinstance(renderer, ExportRenderer):
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        chunks = self.export_plan().chunks(queryset)
        response = StreamingHttpResponse(renderer.stream(chunks, self.export_columns()),
                                         content_type=content_type(renderer))
        filename = export_filename(self.export_name, self.export_query(), renderer.format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and isinstance(getattr(request, "accepted_renderer", None), ExportRenderer):
            # An error on the way to an export: JSON, like every API error.
            request.accepted_renderer = self.get_renderers()[0]
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def export_responses(serializer_class, *, what: str, errors: dict) -> dict:
    """extend_schema responses of a list that exports: the paginated JSON list, the export formats' 200
    answers, and `errors` (JSON whatever the format asked for)."""
    return {
        **{(code, "application/json"): response for code, response in errors.items()},
        (200, "application/json"): serializer_class(many=True),
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description=f"With `format=csv`: every matching {what}, streamed, one row each. The columns are the "
                        "JSON fields with nested objects flattened (`adopter_country_iso2`); lists are joined "
                        "(URLs and slugs with a space, other text with `; `). Text that a spreadsheet would "
                        "run as a formula (starting with = + - @) is prefixed with `'`; text is quoted, "
                        "numbers not. The file name names the filters.",
        ),
        (200, "application/x-ndjson"): OpenApiResponse(
            OpenApiTypes.STR,
            description=f"With `format=ndjson`: every matching {what}, streamed, one JSON object per line, each "
                        "as in the JSON list.",
        ),
    }


EXPORT_FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv", "ndjson"], default="json",
    description="json: the paginated list; csv or ndjson: every matching row as a streamed download (no pages), "
                "named after the filters (`adoptions_family-qwen_country-SG.csv`). Errors are JSON whatever "
                "the format.",
)

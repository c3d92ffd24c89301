"""GET /api/v1/ecosystem/...: the Hub ecosystem figures (DESIGN §4, a contract), precomputed when a snapshot
is imported (manage.py import_hub_snapshot), so each answer is one indexed read.

Parameters follow the one grammar (adoption.filtersets, as the maps): an unknown one, an empty one or a value
outside the allowed ones is a 400 naming what is allowed; a snapshot date that was not imported is a 404
saying where the dates are."""

import datetime
from collections import defaultdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from adoption import filtersets
from adoption.api import examples
from adoption.api.authentication import TokenAuthentication
from adoption.api.renderers import ExportContentNegotiation
from adoption.selectors.ecosystem import NoSnapshot, figure, snapshots

from .base import errors

ATTRIBUTIONS = tuple(value for value, _label in filtersets.ATTRIBUTION_CHOICES)
MEASURES = tuple(value for value, _label in filtersets.MEASURE_CHOICES)
INTERVALS = tuple(value for value, _label in filtersets.ECOSYSTEM_INTERVAL_CHOICES)


def read_params(request, form_class) -> dict:
    """The query read with the parameter grammar's form for the endpoint (adoption.filtersets): a 400 keyed by
    parameter for one that is unknown, empty or not one of the allowed values; the cleaned values else."""
    if empty := filtersets.empty_parameters(request.query_params):
        raise ValidationError(empty)
    form = form_class(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.parameter_errors())
    return form.cleaned_data


def read_figure(kind: str, date: datetime.date | None):
    try:
        return figure(kind, date)
    except NoSnapshot as error:
        raise NotFound(str(error)) from None


def by_interval(series: dict, interval: str) -> list[dict]:
    """The monthly series regrouped by quarter or year (a model is created in one month: counts add up)."""
    if interval == "month":
        return series["periods"]
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in series["periods"]:
        year, month = entry["period"].split("-")
        period = year if interval == "year" else f"{year}-Q{(int(month) - 1) // 3 + 1}"
        totals[period] += entry["total"]
        for slug, n in entry["families"].items():
            counts[period][slug] += n
    periods = []
    for period in sorted(totals):
        ordered = dict(sorted(counts[period].items(), key=lambda item: (-item[1], item[0])))
        periods.append({"period": period, "total": totals[period], "families": ordered,
                        "shares": {slug: round(n / totals[period], 4) for slug, n in ordered.items()}})
    return periods


def families_change(families: list[dict], before: list[dict]) -> list[dict]:
    """Each family with `change`: its counts and downloads minus those of the earlier snapshot (0 if absent)."""
    earlier = {entry["family"]: entry for entry in before}
    changed = []
    for entry in families:
        old = earlier.get(entry["family"])
        old_derivatives = old["derivatives"] if old else {"direct": 0, "all": 0}
        changed.append({**entry, "change": {
            "direct": entry["derivatives"]["direct"] - old_derivatives["direct"],
            "all": entry["derivatives"]["all"] - old_derivatives["all"],
            "downloads": entry["downloads"] - (old["downloads"] if old else 0)}})
    return changed


def shares_change(shares: dict, before: dict) -> dict:
    """The total, each country's share and the unknown share minus the earlier snapshot's."""
    countries = sorted(set(shares["shares"]) | set(before["shares"]))
    return {"total": shares["total"] - before["total"],
            "shares": {country: round(shares["shares"].get(country, 0) - before["shares"].get(country, 0), 4)
                       for country in countries},
            "unknown": round(shares["unknown"] - before["unknown"], 4)}


SNAPSHOT = OpenApiParameter(
    "snapshot", OpenApiTypes.DATE, required=False,
    description="The snapshot's date (YYYY-MM-DD), one of /api/v1/ecosystem/snapshots/; default: the latest.")
COMPARE = OpenApiParameter(
    "compare", OpenApiTypes.DATE, required=False,
    description="Another snapshot's date (YYYY-MM-DD): the answer adds `change`, this snapshot's figures minus "
                "that one's.")
COUNT = {"type": "integer"}
BY_SLUG = {"type": "object", "additionalProperties": {"type": "integer"}}
SHARES_BY_KEY = {"type": "object", "additionalProperties": {"type": "number"}}
SNAPSHOTS_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["date", "models", "edges", "malformed"],
    "properties": {"date": {"type": "string", "format": "date"}, "models": COUNT, "edges": COUNT,
                   "malformed": COUNT}}}
FAMILIES_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["family", "origin_country", "derivatives", "downloads"],
    "properties": {
        "family": {"type": "string", "description": "The family's slug."},
        "origin_country": {"type": "string", "nullable": True, "description": "ISO 3166-1 alpha-2."},
        "derivatives": {"type": "object", "required": ["direct", "all", "by_relation"], "properties": {
            "direct": COUNT, "all": COUNT,
            "by_relation": {"type": "object", "required": ["finetune", "adapter", "quantized", "merge"],
                            "properties": dict.fromkeys(("finetune", "adapter", "quantized", "merge"), COUNT)}}},
        "downloads": COUNT,
        "change": {"type": "object", "description": "With `compare`: minus the other snapshot's figures.",
                   "required": ["direct", "all", "downloads"],
                   "properties": {"direct": COUNT, "all": COUNT, "downloads": COUNT}}}}}
SHARES_SCHEMA = {
    "type": "object", "required": ["snapshot", "attribution", "measure", "total", "shares", "unknown"],
    "properties": {"snapshot": {"type": "string", "format": "date"}, "attribution": {"enum": list(ATTRIBUTIONS)},
                   "measure": {"enum": list(MEASURES)}, "total": COUNT, "shares": SHARES_BY_KEY,
                   "unknown": {"type": "number"},
                   "compare": {"type": "string", "format": "date"},
                   "change": {"type": "object", "description": "With `compare`: minus the other snapshot's figures.",
                              "required": ["total", "shares", "unknown"],
                              "properties": {"total": COUNT, "shares": SHARES_BY_KEY, "unknown": {"type": "number"}}}}}
NEW_DERIVATIVES_SCHEMA = {
    "type": "object", "required": ["snapshot", "interval", "periods", "undated"],
    "properties": {
        "snapshot": {"type": "string", "format": "date"}, "interval": {"enum": list(INTERVALS)},
        "periods": {"type": "array", "items": {
            "type": "object", "required": ["period", "total", "families", "shares"],
            "properties": {"period": {"type": "string"}, "total": COUNT, "families": BY_SLUG,
                           "shares": SHARES_BY_KEY}}},
        "undated": COUNT}}


def answer(schema: dict, description: str, example) -> OpenApiResponse:
    return OpenApiResponse(schema, description, examples=[OpenApiExample("An answer", value=example,
                                                                         response_only=True)])


class _EcosystemView(APIView):
    # The same answer for everyone (like the maps): no session; a token still identifies a throttled client.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    # ?format= names JSON or the browsable API; another is a 400 naming them, as on the lists.
    content_negotiation_class = ExportContentNegotiation


class SnapshotsView(_EcosystemView):
    @extend_schema(
        operation_id="ecosystem_snapshots", summary="List the imported Hub snapshots", auth=[],
        responses={200: answer(SNAPSHOTS_SCHEMA, "The snapshots, newest first.", examples.HUB_SNAPSHOTS),
                   **errors(400)},
        description="Every imported snapshot of the Hugging Face Hub's model listing, newest first: its date, "
                    "the models it holds, their declared bases (edges, child to parent) and the lines of the "
                    "file that were skipped as malformed. An empty array before the first import.",
    )
    def get(self, request):
        read_params(request, filtersets.EcosystemSnapshotsForm)
        return Response(snapshots())


class FamiliesView(_EcosystemView):
    @extend_schema(
        operation_id="ecosystem_families", summary="Derivatives per model family on the Hub", auth=[],
        parameters=[SNAPSHOT, COMPARE],
        responses={200: answer(FAMILIES_SCHEMA, "Per family, most derivatives first.", examples.HUB_FAMILIES),
                   **errors(400, 404)},
        description="Per registry family with checkpoints in the snapshot: the family's own checkpoints are "
                    "its catalogue checkpoints' repos and the repos under its Hub repo prefixes. `direct` "
                    "counts models whose declared base is one of them; `all` every other model with one of "
                    "them among its ancestors (a merge of two families counts in both); `by_relation` splits "
                    "`all` by each model's own relation to its base (finetune, adapter, quantized, merge); "
                    "`downloads` sums the Hub's downloads (last 30 days) of the family's checkpoints and all "
                    "their descendants. With `compare`, each family adds `change`: the difference from that "
                    "snapshot. 404 when no snapshot of a date given was imported.",
    )
    def get(self, request):
        params = read_params(request, filtersets.EcosystemFamiliesForm)
        _, payload = read_figure("families", params["snapshot"])
        if params["compare"]:
            payload = families_change(payload, read_figure("families", params["compare"])[1])
        return Response(payload)


class SharesView(_EcosystemView):
    @extend_schema(
        operation_id="ecosystem_shares", summary="Shares of the Hub's models by country", auth=[],
        parameters=[
            SNAPSHOT, COMPARE,
            OpenApiParameter("attribution", OpenApiTypes.STR, enum=ATTRIBUTIONS, required=False,
                             description="`base_origin` (default): the origin country of the model's root "
                                         "families; `uploader`: the country of the organization whose Hub "
                                         "handle uploaded it."),
            OpenApiParameter("measure", OpenApiTypes.STR, enum=MEASURES, required=False,
                             description="`downloads` (default, the Hub's last 30 days) or `models`."),
        ],
        responses={200: answer(SHARES_SCHEMA, "Shares of the total by ISO 3166-1 alpha-2 code, and the "
                                              "unknown share.", examples.HUB_SHARES),
                   **errors(400, 404)},
        description="The snapshot's downloads (or models) by country, as shares of the total. By `base_origin` "
                    "a model counts for the origin country of its root ancestors' families; one whose roots "
                    "have several origins, none known, or lie in a cycle counts as `unknown`. By `uploader` "
                    "it counts for the country of the registry organization whose Hugging Face handle is "
                    "its author; `unknown` when there is none. With `compare`, `change` gives the difference "
                    "from that snapshot.",
    )
    def get(self, request):
        params = read_params(request, filtersets.EcosystemSharesForm)
        kind = f"shares:{params['attribution'] or 'base_origin'}:{params['measure'] or 'downloads'}"
        date, payload = read_figure(kind, params["snapshot"])
        answer = {"snapshot": date.isoformat(), **payload}
        if params["compare"]:
            compare, before = read_figure(kind, params["compare"])
            answer |= {"compare": compare.isoformat(), "change": shares_change(payload, before)}
        return Response(answer)


class NewDerivativesView(_EcosystemView):
    @extend_schema(
        operation_id="ecosystem_new_derivatives", summary="New derivatives per family and period", auth=[],
        parameters=[
            SNAPSHOT,
            OpenApiParameter("interval", OpenApiTypes.STR, enum=INTERVALS, required=False,
                             description="The periods: `month` (default), `quarter` or `year`."),
        ],
        responses={200: answer(NEW_DERIVATIVES_SCHEMA, "Per period, oldest first.", examples.HUB_NEW_DERIVATIVES),
                   **errors(400, 404)},
        description="Models with a declared base, by the period of their creation on the Hub (`createdAt`): "
                    "how many in all, and per family how many descend from its checkpoints and what share of "
                    "the period's new derivatives that is (a merge of two families counts in both). "
                    "`undated`: derivatives without a creation date.",
    )
    def get(self, request):
        params = read_params(request, filtersets.EcosystemNewDerivativesForm)
        interval = params["interval"] or "month"
        date, series = read_figure("new-derivatives", params["snapshot"])
        return Response({"snapshot": date.isoformat(), "interval": interval,
                         "periods": by_interval(series, interval), "undated": series["undated"]})

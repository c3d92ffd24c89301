"""GET /api/v1/: where everything is, so a client (or a person following the footer's link) can start here."""

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# Endpoints that are not a router's list, by the name the root gives them and their URL name.
EXTRA = {
    "auth-token": "api:auth-token",
    "maps-adoption": "api:maps-adoption",
    "maps-timeseries": "api:maps-timeseries",
    # The other ecosystem figures need a snapshot date from this list (404 before the first import).
    "ecosystem-snapshots": "api:ecosystem-snapshots",
    "schema": "api-schema",
    "docs": "api-docs",
}
ROOT_SCHEMA = {
    "type": "object",
    "description": "Endpoint names and their absolute URLs.",
    "additionalProperties": {"type": "string", "format": "uri"},
}


def endpoints(request, routers) -> dict[str, str]:
    """Every router's lists and the EXTRA endpoints, as absolute URLs (the names a client can rely on)."""
    names = {prefix: f"api:{basename}-list" for router in routers for prefix, _viewset, basename in router.registry}
    found = {}
    for name, url_name in {**names, **EXTRA}.items():
        try:
            found[name] = request.build_absolute_uri(reverse(url_name))
        except NoReverseMatch:  # a viewset without a list
            continue
    return found


ROOT_DOCS = extend_schema(
    operation_id="api_root", auth=[], summary="The endpoints",
    responses={200: OpenApiResponse(ROOT_SCHEMA, "Endpoint names and their absolute URLs.", examples=[
        OpenApiExample("The API root", response_only=True, value={
            "adoptions": "https://registry.example.org/api/v1/adoptions/",
            "maps-adoption": "https://registry.example.org/api/v1/maps/adoption/",
            "schema": "https://registry.example.org/api/schema/",
        }),
    ])},
    description="The API's endpoints by name, as absolute URLs: lists, the token exchange, the maps, the "
                "OpenAPI schema and its interactive documentation. Anyone may read it.",
)


class ApiRootView(APIView):
    """The endpoints by name (anonymous, JSON)."""

    permission_classes = [AllowAny]
    routers = ()  # set by the URLconf

    @ROOT_DOCS
    def get(self, request):
        return Response(endpoints(request, self.routers))

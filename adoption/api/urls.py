"""REST API v1 under /api/v1/ (contract: DESIGN §4)."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("maps/", include("adoption.api.maps_urls")),
]

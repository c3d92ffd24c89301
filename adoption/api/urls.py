"""REST API v1 under /api/v1/ (contract: DESIGN §4); any other path under /api/ is a JSON 404 (registry/urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("countries", views.CountryViewSet, basename="country")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("families", views.FamilyViewSet, basename="family")
router.register("checkpoints", views.CheckpointViewSet, basename="checkpoint")
router.register("adoptions", views.AdoptionViewSet, basename="adoption")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("imports", views.ImportViewSet, basename="import")
router.register("releases", views.ReleaseViewSet, basename="release")


urlpatterns = [
    path("", views.ApiRootView.as_view(routers=[router]), name="root"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("maps/", include("adoption.api.maps_urls")),
    path("ecosystem/snapshots/", views.SnapshotsView.as_view(), name="ecosystem-snapshots"),
    path("ecosystem/families/", views.FamiliesView.as_view(), name="ecosystem-families"),
    path("ecosystem/shares/", views.SharesView.as_view(), name="ecosystem-shares"),
    path("ecosystem/new-derivatives/", views.NewDerivativesView.as_view(), name="ecosystem-new-derivatives"),
    *router.urls,
]

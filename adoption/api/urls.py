"""REST API v1 under /api/v1/ (contract: DESIGN §4)."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
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
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")



@csrf_exempt  # answers 404 whatever the method; nothing to protect
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/ answers a JSON 404, like the API's own, not the HTML error page."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("maps/", include("adoption.api.maps_urls")),
    *router.urls,
    # Only paths ending in a slash: a path without one is still redirected (APPEND_SLASH) to its slashed form.
    re_path(r"^.*/$", not_found),
]

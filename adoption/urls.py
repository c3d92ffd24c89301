"""Page URLs of the adoption app (contract: DESIGN §4)."""

from django.urls import path

from adoption.views import browse

app_name = "adoption"

urlpatterns = [
    path("", browse.home, name="home"),
    path("adoptions/<int:pk>/", browse.adoption_detail, name="adoption-detail"),
    path("organizations/<slug:slug>/", browse.organization_detail, name="organization-detail"),
    path("families/<slug:slug>/", browse.family_detail, name="family-detail"),
]

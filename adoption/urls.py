"""Page URLs of the adoption app (contract: DESIGN §4)."""

from django.urls import path

from adoption.feeds import AdoptionFeed
from adoption.views import browse, contribute, data, imports, indexes, maps, moderation

app_name = "adoption"

urlpatterns = [
    path("", browse.home, name="home"),
    path("map/", maps.map_page, name="map"),
    path("map/map.svg", maps.map_svg, name="map-svg"),
    path("adoptions/", browse.adoption_list, name="adoption-list"),
    path("feeds/adoptions.atom", AdoptionFeed(), name="adoption-feed"),
    path("adoptions/<int:pk>/", browse.adoption_detail, name="adoption-detail"),
    path("adoptions/<int:pk>/propose-change/", contribute.propose_change, name="propose-change"),
    path("organizations/", indexes.organization_list, name="organization-list"),
    path("organizations/<slug:slug>/", browse.organization_detail, name="organization-detail"),
    path("families/", indexes.family_list, name="family-list"),
    path("families/<slug:slug>/", browse.family_detail, name="family-detail"),
    path("countries/", indexes.country_list, name="country-list"),
    path("countries/<str:iso2>/", browse.country_detail, name="country-detail"),
    path("data/", data.data_page, name="data"),
    path("data/<str:version>/<str:name>", data.release_file, name="release-file"),
    path("contribute/", contribute.contribute, name="contribute"),
    path("contribute/adopters.json", contribute.adopter_search, name="adopter-search"),
    path("contribute/import/", imports.import_upload, name="import-upload"),
    path("contribute/import/template.csv", imports.import_template, name="import-template"),
    path("contribute/import/<int:pk>/", imports.import_detail, name="import-detail"),
    path("contribute/import/<int:pk>/import/", imports.import_confirm, name="import-confirm"),
    path("me/submissions/", contribute.my_submissions, name="my-submissions"),
    path("me/submissions/<int:pk>/edit/", contribute.edit_submission, name="submission-edit"),
    path("me/submissions/<int:pk>/<slug:action>/", contribute.submission_action, name="submission-action"),
    path("moderation/", moderation.queue, name="moderation-queue"),
    path("moderation/<int:pk>/", moderation.review, name="moderation-review"),
    path("moderation/hub/", moderation.hub_contradictions, name="moderation-hub"),
    path("moderation/change-requests/<int:pk>/", moderation.change_request_review, name="change-request-review"),
    path("moderation/organizations/<slug:slug>/merge/", moderation.organization_merge, name="organization-merge"),
]

"""Root URLs: the adoption app's pages and API, accounts, admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("adoption.api.urls")),
    path("", include("adoption.urls")),
]

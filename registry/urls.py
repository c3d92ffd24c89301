"""Root URLs: the adoption app's pages and API, accounts, admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from adoption.api.exceptions import NOT_FOUND_NAME, not_found
from adoption.api.openapi import SchemaView
from registry import accounts, i18n

# A lost database connection (or a mail limit the cache cannot count) answers 503 with Retry-After, not a 500.
handler500 = "registry.unavailable.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", accounts.account, name="account"),
    path("accounts/language/", accounts.account_language_change, name="account-language"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/confirm/<uidb64>/<token>/", accounts.signup_confirm, name="signup-confirm"),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path("accounts/token/", accounts.api_token, name="api-token"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("adoption.api.urls")),
    # OpenAPI 3 and its interactive docs (Swagger UI from drf-spectacular-sidecar: local assets, no CDN).
    # Neither is throttled: clients and their generators fetch the schema often.
    path("api/schema/", SchemaView.as_view(throttle_classes=[]), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", throttle_classes=[]),
         name="api-docs"),
    # Whatever else is under /api/ (newlines included: [\s\S], not '.') is a JSON 404, not the pages' HTML one.
    re_path(r"^api/[\s\S]*$", not_found, name=NOT_FOUND_NAME),
    path("", include("adoption.urls")),
]

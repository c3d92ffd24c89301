"""Serve cached map answers before URL resolution, DRF and the rest of the middleware.

A GET of /api/v1/maps/adoption/ or /api/v1/maps/timeseries/ whose answer for the current data version
is already rendered (or whose If-None-Match still matches) is answered here from the cache, with the
same bytes and headers the view gives; anything else (a bad parameter, a first request, a cache
outage) goes on to the view. Cached answers are as cheap as static files, so they skip the API
throttles, like static files do; computing an answer stays throttled in the view.
Place it right after WhiteNoiseMiddleware and GZipMiddleware (which then compresses its answers too).
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.module_loading import import_string

# What a map answer varies on: its format (Accept) and, through GZipMiddleware above, its encoding. Said
# on every answer, a 304 and an answer too short to compress included, so caches see one Vary.
MAP_VARY = "Accept, Accept-Encoding"
MAP_PATHS = {"api/v1/maps/adoption/": False, "api/v1/maps/timeseries/": True}
# Middleware placed below this one that add security headers to every answer. The view's answer passes
# through them on its way out; a cached answer returns from here, so their headers are added here too
# (the same for every map answer: no CSP nonce is used). SecurityMiddleware, above, wraps both alike.
HEADER_MIDDLEWARE = ("django.middleware.clickjacking.XFrameOptionsMiddleware",
                     "django.middleware.csp.ContentSecurityPolicyMiddleware")


class CachedMapMiddleware:
    """Answer a map GET from the cache when it can (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._headers: list[tuple[str, str]] | None = None

    def __call__(self, request):
        if request.method == "GET":
            timeseries = MAP_PATHS.get(request.path_info.lstrip("/"))
            if timeseries is not None:
                from adoption.api.maps import cached_response

                request.get_host()  # the host check the rest of the stack would make (DisallowedHost -> 400)
                response = cached_response(request, timeseries=timeseries)
                if response is not None:
                    for name, value in self._security_headers(request):
                        response.headers[name] = value
                    response.headers["Vary"] = MAP_VARY
                    return response
                response = self.get_response(request)
                if response.status_code in (200, 304):
                    # A map's values are English whatever the language (only a 400's messages follow it), and
                    # the cached answer above is served before the language is chosen: vary as it does.
                    response.headers["Vary"] = MAP_VARY
                    response.headers.pop("Content-Language", None)
                return response
        return self.get_response(request)

    def _security_headers(self, request) -> list[tuple[str, str]]:
        """The headers HEADER_MIDDLEWARE add, as they add them (worked out once: settings are fixed)."""
        if self._headers is None:
            probe = HttpResponse()
            before = dict(probe.headers)
            for path in reversed([path for path in settings.MIDDLEWARE if path in HEADER_MIDDLEWARE]):
                probe = import_string(path)(self.get_response).process_response(request, probe)
            self._headers = [(name, value) for name, value in probe.headers.items() if before.get(name) != value]
        return self._headers

"""Serve cached map answers before URL resolution, DRF and the rest of the middleware (issue 5).

A GET of /api/v1/maps/adoption/ or /api/v1/maps/timeseries/ whose answer for the current data version
is already rendered (or whose If-None-Match still matches) is answered here from the cache, with the
same bytes and headers the view gives; anything else (a bad parameter, a first request, a cache
outage) goes on to the view. Cached answers are as cheap as static files, so they skip the API
throttles, like static files do; computing an answer stays throttled in the view.
Place it right after WhiteNoiseMiddleware.
"""

MAP_PATHS = {"api/v1/maps/adoption/": False, "api/v1/maps/timeseries/": True}


class CachedMapMiddleware:
    """Answer a map GET from the cache when it can (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            timeseries = MAP_PATHS.get(request.path_info.lstrip("/"))
            if timeseries is not None:
                from adoption.api.maps import cached_response

                request.get_host()  # the host check the rest of the stack would make (DisallowedHost -> 400)
                response = cached_response(request, timeseries=timeseries)
                if response is not None:
                    return response
        return self.get_response(request)

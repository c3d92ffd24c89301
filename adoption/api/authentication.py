"""Token authentication that tells a client sending an OAuth-style `Bearer` header what to send instead."""

from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`. A `Bearer` header answers 401 saying so, rather than being ignored
    (the request would otherwise run as anonymous and a write would fail with a puzzling 401 or 403)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == b"bearer":
            raise exceptions.AuthenticationFailed(
                "This API does not take Bearer tokens: send 'Authorization: Token <key>' "
                "(POST your username and password to /api/v1/auth/token/ to get a key)."
            )
        return super().authenticate(request)

"""POST /api/v1/auth/token/: a username and password for an API token.

Failed attempts count towards the log-in lock-out like the log-in pages' (django-axes sees authenticate());
a locked-out client gets 429 from axes' middleware whatever it sends.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import serializers as s
from ..parsers import FormParser, JSONParser
from .base import errors


@extend_schema(summary="Get an API token", request=s.TokenInputSerializer,
               responses={200: s.TokenSerializer, **errors(400, 413)}, auth=[],
               description="Exchange a username and password for an API token (send it as "
                           "`Authorization: Token <key>`; a `Bearer` header is refused with 401).")
class TokenView(APIView):
    """POST username and password, receive {"token": ...} (the same token on every call)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]

    def post(self, request):
        serializer = s.TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [_("Unable to sign in with this username and password.")]})
        # A token issued is a successful log-in: it ends the client's run of failures, as on the log-in pages.
        AxesProxyHandler.user_logged_in(sender=type(self), request=request._request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

"""The API's OpenAPI description (GET /api/schema/), beyond what drf-spectacular
reads from the views by itself:

- SessionJWTScheme: our authentication class is a bearer scheme, so Swagger
  UI's "Authorize" button takes an access token (drf-spectacular knows
  simplejwt's JWTAuthentication, not its subclasses);
- the token serializers: simplejwt's, as drf-spectacular describes them (a
  login takes a username and a password and gives two tokens), for our
  subclasses too;
- AutoSchema: every operation lists the errors it can answer, each in the
  one shape of config/hardening.py's exception_handler (ErrorSerializer).
"""

from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
    TokenVerifySerializerExtension,
)
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import permissions, serializers
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.views import TokenViewBase


class SessionJWTScheme(SimpleJWTScheme):
    """'Authorization: Bearer <access token>', as for simplejwt's own class."""

    target_class = "accounts.tokens.SessionJWTAuthentication"


class LoginSerializerScheme(TokenObtainPairSerializerExtension):
    target_class = "accounts.tokens.TokenObtainPairWithClaimsSerializer"


class RefreshSerializerScheme(TokenRefreshSerializerExtension):
    target_class = "accounts.tokens.RotatingRefreshSerializer"


# What verify and logout answer when they succeed: {}, exactly. (An object
# without properties would be dropped, as if there were no body at all.)
EMPTY_OBJECT = {"type": "object", "properties": {}, "additionalProperties": False}


class VerifySerializerScheme(TokenVerifySerializerExtension):
    """A token in, {} out."""

    target_class = "accounts.tokens.AccountAwareVerifySerializer"

    def map_serializer(self, auto_schema, direction):
        if direction == "response":
            return EMPTY_OBJECT
        return super().map_serializer(auto_schema, direction)


class LogoutSerializerScheme(OpenApiSerializerExtension):
    """A refresh token in, {} out."""

    target_class = "accounts.tokens.LogoutSerializer"

    def map_serializer(self, auto_schema, direction):
        if direction == "response":
            return EMPTY_OBJECT

        class Logout(serializers.Serializer):
            refresh = serializers.CharField()

        return auto_schema._map_serializer(Logout, direction)


class MessageSerializer(serializers.Serializer):
    """What hello, protected and staff answer."""

    message = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    """A success that only says what happened (the password change)."""

    detail = serializers.CharField()


class FieldErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API (config/hardening.py)."""

    detail = serializers.CharField(help_text="For people: what went wrong.")
    code = serializers.CharField(
        help_text="For programs: a stable code, such as invalid, "
        "not_authenticated, token_not_valid, session_ended, throttled."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=FieldErrorSerializer()),
        required=False,
        help_text="Validation errors only (code invalid): each field's errors.",
    )


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers of each operation:
    what a view's parsers, authentication, permissions, throttles and
    query parameters (page, format) can refuse with. A view's own
    @extend_schema(responses=...) for a status code wins."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:  # excluded from the description
            return None
        responses = operation["responses"]
        for status, description in self.error_answers(operation):
            if str(status) not in responses:
                answer = self._get_response_for_code(ErrorSerializer, str(status))
                responses[str(status)] = {**answer, "description": description}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_answers(self, operation):
        view = self.view
        query = {
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        }
        reads_body = self.method in ("POST", "PUT", "PATCH") and (
            self.get_request_serializer() is not None
        )
        if reads_body:
            yield 400, "Invalid input (code invalid, errors by field), or broken JSON."
        if view.get_authenticators() or isinstance(view, TokenViewBase):
            yield 401, "Not authenticated: a wrong password, or a bad or ended token."
        allowed = (permissions.AllowAny, permissions.IsAuthenticated)
        if any(not isinstance(p, allowed) for p in view.get_permissions()):
            yield 403, "Authenticated, but not allowed."
        if query & {"page", "format"}:
            yield 404, "No such page, or no such format (code not_found)."
        if reads_body:
            yield 413, "A request body over 64 KB (code too_large)."
            yield 415, "A request body in a media type this endpoint does not read."
        throttles = view.get_throttles()
        if getattr(view, "throttle_scope", None) or any(
            not isinstance(t, ScopedRateThrottle) for t in throttles
        ):
            yield 429, "Too many requests: wait as many seconds as Retry-After says."

from django.contrib.auth.password_validation import validate_password
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.keys import published_keys
from accounts.models import LoginSession
from config.hardening import NoStore, PasswordThrottle
from config.openapi import DetailSerializer


class LoginView(NoStore, TokenObtainPairView):
    """POST /api/token/: simplejwt's login, throttled, and never cached."""

    throttle_scope = "login"


class RefreshView(NoStore, TokenRefreshView):
    """POST /api/token/refresh/: simplejwt's refresh, throttled, never cached."""

    throttle_scope = "refresh"


class PasswordChangeSerializer(serializers.Serializer):
    # Never trimmed: "  a passphrase  " is stored with its spaces.
    old_password = serializers.CharField(write_only=True, trim_whitespace=False)
    new_password = serializers.CharField(write_only=True, trim_whitespace=False)

    def validate_old_password(self, value):
        if not self.context["user"].check_password(value):
            raise serializers.ValidationError("Wrong password.", "wrong_password")
        return value

    def validate_new_password(self, value):
        validate_password(value, self.context["user"])  # Django's validators
        return value


@extend_schema(request=PasswordChangeSerializer, responses=DetailSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
@throttle_classes([PasswordThrottle])  # guessing the old password: 5 a minute
def change_password_view(request):
    """Change the password, and end every session: every device logs in again."""
    serializer = PasswordChangeSerializer(
        data=request.data, context={"user": request.user}
    )
    serializer.is_valid(raise_exception=True)
    request.user.set_password(serializer.validated_data["new_password"])
    request.user.save()
    # Every session ends now. (Without this, CHECK_REVOKE_TOKEN would refuse
    # the old tokens anyway: a password changed in the admin relies on that.)
    LoginSession.end("password", user_id=request.user.pk)
    return Response({"detail": "Password changed: log in again."})


@require_GET
def jwks_view(request):
    """GET /.well-known/jwks.json: the public keys that check our tokens, by
    key id. Anyone may read them: they check a signature, they cannot make one."""
    return JsonResponse({"keys": published_keys()})

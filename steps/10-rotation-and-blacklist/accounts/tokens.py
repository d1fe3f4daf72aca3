from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken


class TokenObtainPairWithClaimsSerializer(TokenObtainPairSerializer):
    """POST /api/token/, adding two claims to every token it issues."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        # Anyone holding the token can read these: never put secrets here.
        # They are a snapshot taken at login: refreshing copies them as they
        # were, so they go stale when the user changes.
        token["username"] = user.username
        token["is_staff"] = user.is_staff
        return token


def tokens_for(user):
    """Tokens made by hand (a script, a sign-up flow), with the same claims.

    get_token() is RefreshToken.for_user(user) plus our claims, and for_user()
    does not refuse a deactivated account: simplejwt 5.5.1 only logs a warning
    and issues the tokens anyway. So check first, as the login view does.
    """
    if not user.is_active:
        raise ValueError(f"{user.get_username()} is inactive: no tokens")
    refresh = TokenObtainPairWithClaimsSerializer.get_token(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def log_out_everywhere(user_id):
    """Blacklist every refresh token the user still has: all devices."""
    alive = OutstandingToken.objects.filter(
        user_id=user_id, blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in alive], ignore_conflicts=True
    )


class SingleUseRefreshToken(RefreshToken):
    """The refresh token our refresh endpoint reads: used once, then dead."""

    def blacklist(self):
        # get_or_create: of two requests rotating the same token at the same
        # moment, the unique BlacklistedToken row lets only one create it. The
        # other must fail, or both would walk away with a live new token.
        blacklisted, created = super().blacklist()
        if not created:
            raise TokenError(_("Token is blacklisted"))
        return blacklisted, created


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """POST /api/token/refresh/: rotation, with reuse detection.

    A refresh token is used once. If one that was already rotated out (or
    logged out) comes back, either the client or a thief holds a copy, and we
    cannot tell which: refuse it and revoke every refresh token of the user
    (RFC 9700, section 4.14.2). Everyone logs in again; the thief cannot.
    """

    token_class = SingleUseRefreshToken

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except TokenError:
            user_id = reused_token_owner(attrs["refresh"])
            if user_id is not None:
                log_out_everywhere(user_id)
            raise


def reused_token_owner(raw_token):
    """The user id of a genuine, unexpired, blacklisted refresh token, else None."""
    try:
        payload = token_backend.decode(raw_token, verify=True)
    except TokenBackendError:
        return None  # forged, broken or expired: nothing to revoke
    if payload.get("token_type") != "refresh":
        return None
    if BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        return payload.get("user_id")
    return None

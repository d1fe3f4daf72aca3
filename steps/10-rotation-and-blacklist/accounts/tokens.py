from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import LoginSession


class TokenObtainPairWithClaimsSerializer(TokenObtainPairSerializer):
    """POST /api/token/: every login starts a session, and its tokens say so."""

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        # Anyone holding the token can read these: never put secrets here.
        # They are a snapshot taken at login: refreshing copies them as they
        # were, so they go stale when the user changes.
        token["username"] = user.username
        token["is_staff"] = user.is_staff
        # A login starts a session (a token family): rotation copies its id
        # into every token that descends from this one.
        token["sid"] = str(LoginSession.objects.create(user=user).pk)
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


def session_is_live(payload):
    """Is the session this token belongs to still going? Checked at every use."""
    sid = payload.get("sid")  # none: simplejwt's for_user(), or a database copy
    try:
        live = LoginSession.objects.filter(pk=sid, ended_at=None)
    except ValidationError:
        return False  # not a session id at all (signed by a holder of the key)
    return sid is not None and live.exists()


class SingleUseRefreshToken(RefreshToken):
    """The refresh token our refresh endpoint reads: used once, then dead,
    and dead at once when its session ends."""

    def verify(self):
        super().verify()  # signature, expiry, blacklist
        if not session_is_live(self.payload):
            raise TokenError(_("Token's session has ended."))

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

    A refresh token is used once. If one that was already rotated out comes
    back, either the client or a thief holds a copy, and we cannot tell which:
    refuse it and end its session, every token descended from the same login
    (RFC 9700, section 4.14.2). That device logs in again; the thief cannot.
    """

    token_class = SingleUseRefreshToken

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except TokenError:
            sid = replayed_session(attrs["refresh"])
            if sid is not None:
                LoginSession.end("reuse", pk=sid)
            raise


def replayed_session(raw_token):
    """The session of a genuine, unexpired refresh token that was used up
    longer than JWT_REFRESH_GRACE ago, else None: the session to end."""
    payload = genuine_refresh_payload(raw_token)
    if payload is None:
        return None  # forged, broken, expired or an access token: nothing to end
    used = BlacklistedToken.objects.filter(token__jti=payload["jti"]).first()
    if used is None:
        return None  # refused for another reason: its session has ended
    if timezone.now() - used.blacklisted_at < settings.JWT_REFRESH_GRACE:
        return None  # used a moment ago: a second tab of the same client
    return payload.get("sid")


def genuine_refresh_payload(raw_token):
    """The claims of a genuine, unexpired refresh token, used up or not."""
    try:
        payload = token_backend.decode(raw_token, verify=True)
    except TokenBackendError:
        return None
    return payload if payload.get("token_type") == "refresh" else None


class LogoutSerializer(TokenBlacklistSerializer):
    """POST /api/token/blacklist/: log out, that is, end the token's session.

    The session, not just this token: a refresh of the same token running at
    this very moment (another tab) gets a token of the ended session, which
    is refused. Its session is over, so the token is not blacklisted too.
    """

    def validate(self, attrs):
        payload = genuine_refresh_payload(attrs["refresh"])
        if payload is None:
            raise TokenError(_("Token is invalid or expired"))
        if not LoginSession.end("logout", pk=payload.get("sid")):
            raise TokenError(_("Token's session has ended."))  # logged out already
        return {}


class SessionAwareVerifySerializer(TokenVerifySerializer):
    """POST /api/token/verify/: "valid" only while the token's session lasts.

    simplejwt's verify checks the signature, the expiry and the blacklist: it
    would answer 200 for a token of a session that has ended.
    """

    def validate(self, attrs):
        data = super().validate(attrs)  # signature, expiry, blacklist
        if not session_is_live(token_backend.decode(attrs["token"])):
            raise TokenError(_("Token's session has ended."))
        return data

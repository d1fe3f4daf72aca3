import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import state  # its token_backend: config/apps.py sets it
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import (
    AuthenticationFailed,
    TokenBackendError,
    TokenError,
)
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import LoginSession

security = logging.getLogger("security")  # config/settings.py's LOGGING

User = get_user_model()


class TokenObtainPairWithClaimsSerializer(TokenObtainPairSerializer):
    """POST /api/token/: every login starts a session, and its tokens say so;
    the session's end is in the login's own token; passwords are not trimmed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # simplejwt's PasswordField is a DRF CharField, which trims spaces by
        # default: "  pass  " would log in as "pass". A password is exactly
        # what was typed, as in Django's own forms (strip=False).
        self.fields["password"] = PasswordField(trim_whitespace=False)

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
        session = LoginSession.objects.create(user=user)
        # A deactivation that ran while this login checked the password ended
        # the user's sessions before this one existed: look again, now.
        if not User.objects.filter(pk=user.pk, is_active=True).exists():
            LoginSession.end("deactivated", pk=session.pk)
            raise AuthenticationFailed(
                cls.default_error_messages["no_active_account"], "no_active_account"
            )
        token["sid"] = str(session.pk)
        # When this login happened: rotation copies it into every new token.
        token["auth_time"] = token["iat"]
        # The login's own refresh token ends with the session too, whatever
        # REFRESH_TOKEN_LIFETIME says.
        token["exp"] = min(token["exp"], end_of_session(token.payload))
        return token


def end_of_session(payload):
    """When the session of this token ends: its login + JWT_SESSION_LIFETIME."""
    return payload["auth_time"] + int(settings.JWT_SESSION_LIFETIME.total_seconds())


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
    dead at once when its session ends, and never older than its session's
    lifetime or than the user's password."""

    def set_exp(self, claim="exp", from_time=None, lifetime=None):
        super().set_exp(claim, from_time, lifetime)
        # Rotation gives each new refresh token a fresh day, so a session used
        # daily would never end: cap it at login time + JWT_SESSION_LIFETIME.
        if claim == "exp" and "auth_time" in self.payload:
            self.payload["exp"] = min(self.payload["exp"], end_of_session(self.payload))

    def verify(self):
        super().verify()  # signature, expiry, blacklist
        if not session_is_live(self.payload):
            raise TokenError(_("Token's session has ended."))
        # CHECK_REVOKE_TOKEN refuses access tokens issued before a password
        # change, but simplejwt 5.5.1 lets their refresh tokens live on. Refuse
        # those too, however the password was changed (admin, changepassword).
        if password_changed_since(self.payload):
            raise TokenError(_("The user's password has been changed."))

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
                # The alarm: a copy of a refresh token exists (client or thief).
                security.warning("refresh token reused: session %s ended", sid)
            raise
        except (User.DoesNotExist, IntegrityError):
            # The user was deleted while this refresh ran, after its session
            # check: simplejwt 5.5.1 then looks the user up with get() (a 500,
            # upstream #861), and its new token rows point at a missing user.
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from None


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
        payload = state.token_backend.decode(raw_token, verify=True)
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
        if not session_is_live(state.token_backend.decode(attrs["token"])):
            raise TokenError(_("Token's session has ended."))
        return data


class AccountAwareVerifySerializer(SessionAwareVerifySerializer):
    """POST /api/token/verify/: "valid" only for a token the API would accept.

    Besides the session, the account: simplejwt's verify answers 200
    for a token of a deactivated or deleted user, or from before a password
    change, that every other endpoint refuses.
    """

    def validate(self, attrs):
        data = super().validate(attrs)  # signature, expiry, blacklist, session
        payload = state.token_backend.decode(attrs["token"], verify=True)
        user_id = payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not user.is_active or password_changed_since(payload):
            raise TokenError(_("Token is no longer valid for this account."))
        return data


class SessionJWTAuthentication(JWTAuthentication):
    """Bearer access tokens, refused as soon as their session ends.

    simplejwt's JWTAuthentication loads the user and checks is_active and the
    password fingerprint. This adds one more indexed lookup per request: is
    the token's session still going? Logging out, logging out everywhere, a
    reused token and a deactivation then end access tokens too, at once.
    """

    def get_user(self, validated_token):
        user = super().get_user(validated_token)  # user_not_found, user_inactive, ...
        if not session_is_live(validated_token):
            raise AuthenticationFailed(_("Token's session has ended."), "session_ended")
        return user


def password_changed_since(payload):
    """Was this token issued under a password the user no longer has?

    CHECK_REVOKE_TOKEN puts a fingerprint of the password hash in every
    token. simplejwt checks it for access tokens only; we check it for
    refresh tokens and at verify too.
    """
    if not api_settings.CHECK_REVOKE_TOKEN:
        return False
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    fingerprint = payload.get(api_settings.REVOKE_TOKEN_CLAIM)
    return bool(user) and fingerprint != get_md5_hash_password(user.password)

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.serializers import (
    PasswordField,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

User = get_user_model()


class TokenObtainPairWithClaimsSerializer(TokenObtainPairSerializer):
    """POST /api/token/: claims for every token it issues (username, is_staff,
    auth_time), a session cap on the login's own token, untrimmed passwords."""

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


def log_out_everywhere(user_id):
    """Blacklist every refresh token the user still has: all devices."""
    alive = OutstandingToken.objects.filter(
        user_id=user_id, blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in alive], ignore_conflicts=True
    )


class SingleUseRefreshToken(RefreshToken):
    """The refresh token our refresh endpoint reads and rotates. Besides being
    single-use (blacklist), it ends with its session (set_exp) and with the
    password it was issued under (verify)."""

    def set_exp(self, claim="exp", from_time=None, lifetime=None):
        super().set_exp(claim, from_time, lifetime)
        # Rotation gives each new refresh token a fresh day, so a session used
        # daily would never end: cap it at login time + JWT_SESSION_LIFETIME.
        if claim == "exp" and "auth_time" in self.payload:
            self.payload["exp"] = min(self.payload["exp"], end_of_session(self.payload))

    def verify(self):
        super().verify()
        # No auth_time, no session to end: simplejwt's own RefreshToken.for_user()
        # and the database copy of a login token (recorded before our claims
        # were added) would rotate forever. Refuse them.
        if "auth_time" not in self.payload:
            raise TokenError(_("Token has no session (auth_time)."))
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

    A refresh token is used once. If one that was already rotated out (or
    logged out) comes back, either the client or a thief holds a copy, and we
    cannot tell which: refuse it and revoke every refresh token of the user
    (RFC 9700, section 4.14.2). Everyone logs in again; the thief cannot.
    """

    token_class = SingleUseRefreshToken

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist:
            # The user was deleted. simplejwt 5.5.1 lets this escape as a 500;
            # the fix (upstream PR #861) is not released yet, so answer 401.
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from None
        except TokenError:
            user_id = reused_token_owner(attrs["refresh"])
            if user_id is not None:
                log_out_everywhere(user_id)
            raise


class AccountAwareVerifySerializer(TokenVerifySerializer):
    """POST /api/token/verify/: "valid" only for a token the API would accept.

    simplejwt's verify checks the signature, the expiry and the blacklist,
    and nothing about the account: it answers 200 for a token of a
    deactivated or deleted user, or from before a password change, that every
    other endpoint refuses. A client asking "is this still good?" must not be
    told yes.
    """

    def validate(self, attrs):
        data = super().validate(attrs)  # signature, expiry, blacklist
        payload = token_backend.decode(attrs["token"], verify=True)
        user_id = payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not user.is_active or password_changed_since(payload):
            raise TokenError(_("Token is no longer valid for this account."))
        if payload.get("token_type") == "refresh" and "auth_time" not in payload:
            raise TokenError(_("Token has no session (auth_time)."))
        return data


def reused_token_owner(raw_token):
    """The user id of a genuine, unexpired, blacklisted refresh token, else None."""
    try:
        payload = token_backend.decode(raw_token, verify=True)
    except TokenBackendError:
        return None  # forged, broken or expired: nothing to revoke
    if payload.get("token_type") != "refresh":
        return None
    if password_changed_since(payload):
        return None  # dead since the password change: refused, not a theft alarm
    if BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        return payload.get("user_id")
    return None


def password_changed_since(payload):
    """Was this token issued under a password the user no longer has?

    CHECK_REVOKE_TOKEN puts a fingerprint of the password hash in every
    token. Without this check, whoever kept a token from before a password
    change could replay it to log the user out, again and again.
    """
    if not api_settings.CHECK_REVOKE_TOKEN:
        return False
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    fingerprint = payload.get(api_settings.REVOKE_TOKEN_CLAIM)
    return bool(user) and fingerprint != get_md5_hash_password(user.password)

"""The one kind of token this service takes: the auth service's access token.

simplejwt's AccessToken, checked by simplejwt's backend with two changes:
the key comes from our copy of the auth service's key set (service/keyset.py),
and a token that is not shaped like the auth service's is refused.
"""

import re

import jwt
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from service.keyset import KeySet

# 9999-12-31T23:59:59Z, the last second that Python's datetime can hold.
LAST_SECOND = 253402300799
TIMES = ("exp", "iat", "nbf", "auth_time")


class AuthServiceBackend(TokenBackend):
    def __init__(self):
        super().__init__(
            api_settings.ALGORITHM,
            audience=api_settings.AUDIENCE,
            issuer=api_settings.ISSUER,
            leeway=api_settings.LEEWAY,
        )
        self.keys = KeySet(
            api_settings.JWK_URL,
            fresh_for=settings.JWKS_CACHE_SECONDS,
            refetch_after=settings.JWKS_REFETCH_SECONDS,
        )

    def get_verifying_key(self, token):
        kid = jwt.get_unverified_header(token).get("kid")  # a broken header: 401
        key = self.keys.key(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenBackendError(_("Token is invalid"))  # not a key we know
        return key

    def decode(self, token, verify=True):
        payload = super().decode(token, verify)
        if not well_formed(payload):
            raise TokenBackendError(_("Token is invalid"))
        return payload


def well_formed(payload):
    """Signed by the auth service, and shaped like its tokens: times that a
    clock can hold, an id of digits, text where text goes. Anything else
    ("exp": 1e20, "user_id": NaN) would crash simplejwt's checks, or this
    service's JSON answer: a 500. Whoever signed it: 401."""
    return (
        all(is_time(payload.get(claim, 0)) for claim in TIMES)
        and type(payload.get("user_id", 0)) in (int, str)
        and re.fullmatch("[0-9]{1,18}", str(payload.get("user_id", 0))) is not None
        and isinstance(payload.get("jti"), str)
        and isinstance(payload.get("token_type", ""), str)
        and isinstance(payload.get("username", ""), str)
        and isinstance(payload.get("is_staff", False), bool)
    )


def is_time(value):
    return type(value) in (int, float) and 0 <= value <= LAST_SECOND


class AuthServiceAccessToken(AccessToken):
    _token_backend = AuthServiceBackend()

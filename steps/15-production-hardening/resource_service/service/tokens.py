"""The one kind of token this service takes: the auth service's access token.

simplejwt's AccessToken, checked by simplejwt's backend with two changes:
the key comes from our copy of the auth service's key set (service/keyset.py),
and a token whose times are not numbers a clock can hold is refused.
"""

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
        # Signed by the auth service, yet "exp": 1e20 would make simplejwt's
        # expiry check raise, a 500. Whatever the signer wrote: 401.
        for claim in ("exp", "iat", "nbf"):
            value = payload.get(claim, 0)
            if type(value) not in (int, float) or not 0 <= value <= LAST_SECOND:
                raise TokenBackendError(_("Token is invalid"))
        return payload


class AuthServiceAccessToken(AccessToken):
    _token_backend = AuthServiceBackend()

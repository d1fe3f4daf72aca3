"""Our signing keys: the private one signs, the public ones are for everybody.

Every token's header names the key that signed it (`kid`, the key id), and
GET /.well-known/jwks.json publishes the public half of each key we accept,
under its id: the JSON Web Key Set (JWKS, RFC 7517) that other services read
to check our tokens. A key's id is its RFC 7638 thumbprint, a hash of its
public numbers, so the same key always gets the same id.

simplejwt 5.5.1 signs with one key and writes no `kid`, so this module gives
it a token backend that does both; config/apps.py puts it in place.
"""

import base64
import hashlib
import json
import re
from functools import cache

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings

# A public RSA key's members; a private key has more ("d", "p", "q", ...),
# which must never be published.
PUBLIC_MEMBERS = ("e", "kty", "n")

# 9999-12-31T23:59:59Z, the last second that Python's datetime can hold.
LAST_SECOND = 253402300799
TIMES = ("exp", "iat", "nbf", "auth_time")


def public_jwk(key) -> dict:
    """A public RSA key as a JWK, named by its RFC 7638 thumbprint."""
    full = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
    members = {name: full[name] for name in PUBLIC_MEMBERS}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**members, "kid": kid, "use": "sig", "alg": "RS256"}


@cache
def published_keys() -> list[dict]:
    """Every public key we accept, ours first: the key set that we publish."""
    pems = [settings.SIMPLE_JWT["VERIFYING_KEY"], *settings.JWT_EXTRA_PUBLIC_KEYS]
    try:
        keys = [serialization.load_pem_public_key(pem.encode()) for pem in pems]
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ImproperlyConfigured(f"JWT_EXTRA_PUBLIC_KEYS: {error}") from None
    for key in keys:
        # As for our own key (config/settings.py): RSA, 2048 bits or more.
        # And the public exponent NIST asks of a signing key (FIPS 186-5:
        # above 2**16). A weak key in the set is a way in for whoever can
        # break it.
        if not (
            isinstance(key, rsa.RSAPublicKey)
            and key.key_size >= 2048
            and key.public_numbers().e >= 65537
        ):
            raise ImproperlyConfigured(
                "JWT_EXTRA_PUBLIC_KEYS must hold RSA public keys of at least "
                "2048 bits, with a public exponent of at least 65537"
            )
    return [public_jwk(key) for key in keys]


@cache
def verifying_keys() -> dict:
    """{kid: public key}: the key each id names."""
    return {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in published_keys()}


class KeyIdBackend(TokenBackend):
    """simplejwt's token backend, plus key ids: a new token names its key in
    a `kid` header, and a token is checked with the key its `kid` names,
    among ours only (never a key that the token brings along)."""

    def __init__(self):
        super().__init__(
            api_settings.ALGORITHM,
            api_settings.SIGNING_KEY,
            api_settings.VERIFYING_KEY,
            api_settings.AUDIENCE,
            api_settings.ISSUER,
            None,  # JWK_URL: our own keys are here, not at a URL
            api_settings.LEEWAY,
            api_settings.JSON_ENCODER,
        )

    def encode(self, payload):
        """As simplejwt's encode, with the signing key's id in the header."""
        claims = {**payload, "aud": self.audience, "iss": self.issuer}
        return jwt.encode(
            claims,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": published_keys()[0]["kid"]},
            json_encoder=self.json_encoder,
        )

    def decode(self, token, verify=True):
        payload = super().decode(token, verify)
        if not well_formed(payload):
            raise TokenBackendError(_("Token is invalid"))
        return payload

    def get_verifying_key(self, token):
        kid = jwt.get_unverified_header(token).get("kid")  # a broken header: 401
        if not isinstance(kid, str) or kid not in verifying_keys():
            raise TokenBackendError(_("Token is invalid"))  # not one of our keys
        return verifying_keys()[kid]


def well_formed(payload):
    """Signed with our key, and shaped like our tokens: times that a clock
    can hold, an id of digits, text where text goes. Anything else
    ("exp": 1e20, "user_id": [], no "jti") would crash simplejwt's checks or
    the user lookup: a 500. Whoever holds the key: 401."""
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

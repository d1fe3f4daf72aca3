"""The one kind of token this service takes: the auth service's access token.

simplejwt's AccessToken, checked by a backend whose key-set client (PyJWT's
PyJWKClient) keeps the fetched keys for JWKS_CACHE_SECONDS and gives up on a
slow auth service after 5 seconds. simplejwt's own backend would use PyJWT's
defaults: keys kept 5 minutes, a refetch at most every 30 seconds, and 30
seconds of waiting per request if the auth service hangs.
"""

from django.conf import settings
from jwt import PyJWKClient
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

backend = TokenBackend(
    api_settings.ALGORITHM,
    audience=api_settings.AUDIENCE,
    issuer=api_settings.ISSUER,
    jwk_url=api_settings.JWK_URL,
    leeway=api_settings.LEEWAY,
)
backend.jwks_client = PyJWKClient(
    api_settings.JWK_URL,
    lifespan=settings.JWKS_CACHE_SECONDS,
    cooldown_duration=settings.JWKS_REFETCH_SECONDS,
    timeout=5,
)


class AuthServiceAccessToken(AccessToken):
    _token_backend = backend

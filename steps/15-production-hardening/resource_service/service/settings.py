"""Settings of the resource service: a second Django project, beside the auth
service, that trusts the auth service's tokens and holds no secret of its own.

It has no database, so no user table: who you are comes from the token,
checked with the auth service's public keys, which it reads from the key set
the auth service publishes (JWKS). It can check a token; it cannot make one.
"""

import math
import os
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

PRODUCTION = os.environ.get("DJANGO_ENV") == "production"
LOOPBACK = ("localhost", "127.0.0.1", "::1")

# Where the auth service runs: `make step-14` sets this. Production insists,
# and over the network only on https: on plain http, whoever sits between
# the two services could hand us a key set of their own.


def auth_service_url():
    url = os.environ.get("AUTH_SERVICE_URL", "http://127.0.0.1:8000")
    if PRODUCTION and "AUTH_SERVICE_URL" not in os.environ:
        raise ImproperlyConfigured("AUTH_SERVICE_URL must be set: whose tokens?")
    where = urlsplit(url)
    try:
        well_formed = (
            where.scheme in ("http", "https")
            and bool(where.hostname)
            and where.username is None  # http://evil.example@127.0.0.1: which?
            and url.isprintable()  # a newline from a secrets file, say
            and " " not in url
            and where.port != 0  # .port raises if the port is not a number
        )
    except ValueError:
        well_formed = False
    if not well_formed:
        raise ImproperlyConfigured(
            f"AUTH_SERVICE_URL is {url!r}: it must be https://host or "
            "https://host:port, with no user, password or space"
        )
    if PRODUCTION and where.scheme != "https" and where.hostname not in LOOPBACK:
        raise ImproperlyConfigured(
            f"AUTH_SERVICE_URL is {url!r}: in production it must start with "
            "https:// (plain http only to this machine: localhost, 127.0.0.1, ::1)"
        )
    return url


AUTH_SERVICE_URL = auth_service_url()

# Django wants a SECRET_KEY, but nothing here signs anything (no sessions, no
# CSRF cookies, no messages), so a new random one at every start will do.
SECRET_KEY = secrets.token_urlsafe(48)

DEBUG = not PRODUCTION

ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    # Start-up checks (service/apps.py).
    "service.apps.ServiceConfig",
    # simplejwt's stateless user imports these apps' models; with no
    # database, no table of theirs exists and no query can run.
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "service.urls"
WSGI_APPLICATION = "service.wsgi.application"

DATABASES = {}  # none at all

REST_FRAMEWORK = {
    # The user is the token: simplejwt's TokenUser, built from its claims,
    # with no database lookup (so no is_active check: TUTORIAL.md, chapter 14).
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
}

SIMPLE_JWT = {
    # Only RS256, and only with a key from the auth service's key set: a
    # token that says "HS256" or "none" is refused, whatever its signature.
    "ALGORITHM": "RS256",
    "JWK_URL": f"{AUTH_SERVICE_URL}/.well-known/jwks.json",
    "SIGNING_KEY": None,  # this service makes no tokens
    # Made by our auth service, for our API: anything else is refused.
    "ISSUER": os.environ.get("JWT_ISSUER", "notes-auth"),
    "AUDIENCE": os.environ.get("JWT_AUDIENCE", "notes-api"),
    # Access tokens only, checked with the key set (service/tokens.py).
    "AUTH_TOKEN_CLASSES": ("service.tokens.AuthServiceAccessToken",),
}

# How long the fetched key set is used before it is fetched again: how long
# a removed key keeps working here (twice as long at most, while the auth
# service cannot be reached: service/keyset.py). And the least time between
# two fetches made because a token names a key this service does not know
# yet. Both are seconds, 1 or more.


def seconds(name, default):
    text = os.environ.get(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 1 <= value < math.inf:
        raise ImproperlyConfigured(f"{name} is {text!r}: it must be seconds, 1 or more")
    return value


JWKS_CACHE_SECONDS = seconds("JWKS_CACHE_SECONDS", 300)
JWKS_REFETCH_SECONDS = seconds("JWKS_REFETCH_SECONDS", 30)

TIME_ZONE = "UTC"
USE_TZ = True

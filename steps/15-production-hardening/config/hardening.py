"""What production asks of every API view, in one place that config/settings.py
names (REST_FRAMEWORK) and the token views use:

- JSONParser: JSON nested too deep gets a clear 400, never a 500;
- ScopedThrottle, PasswordThrottle: DRF's throttles, by scope (login,
  refresh, password), counting in the cache that THROTTLE_CACHE names;
- NoStore: an answer that carries a token is never kept by a cache;
- exception_handler: every error answer has a stable `code` beside `detail`,
  a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE gets a 413 in JSON, and
  every refusal (401, 403, 429) is logged, with no secret in the line.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, parsers
from rest_framework.throttling import (
    BaseThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
)


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but JSON nested too deep is a 400. Python's json
    module raises RecursionError at about 1,000 levels (2 KB is enough), and
    DRF's parser catches only ValueError: a 500, without logging in."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            detail = "JSON parse error - nested too deeply."
            raise exceptions.ParseError(detail) from None


class CountsInThrottleCache:
    """DRF's throttles count in the default cache; ours in the cache that
    settings.THROTTLE_CACHE names."""

    @property
    def cache(self):
        return caches[settings.THROTTLE_CACHE]


class ScopedThrottle(CountsInThrottleCache, ScopedRateThrottle):
    """The rate of a view's `throttle_scope`, from REST_FRAMEWORK's
    DEFAULT_THROTTLE_RATES; a view without a scope is not throttled. Who is
    counted: the user if logged in, else the client's address, read as
    NUM_PROXIES says (config/settings.py)."""


class PasswordThrottle(CountsInThrottleCache, UserRateThrottle):
    """For a function view, which has no `throttle_scope`: the rate of
    "password", counted per user."""

    scope = "password"


class NoStore:
    """For views whose answers carry tokens: no cache, in the browser or on
    the way, may keep them (RFC 6749, section 5.1)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


def exception_handler(exc, context):
    """DRF's handler, then one shape for every error: `detail` for people,
    `code` for programs. A validation error says which fields, under
    `errors`, each message with its own code."""
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read the body (DRF reads JSON and forms through
        # request.body): a 400 HTML page, without this.
        exc = TooLarge()
    # Django's own 404 and 403, as DRF's handler turns them into its own:
    # their `code` is read below, and Django's have none. (Any API view
    # raises Http404 for ?format=<unknown>: it was a 500.)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which
    # names this module's parser, as it loads.
    from rest_framework.views import exception_handler as drf_handler

    response = drf_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 page (no details in production)
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "Invalid input.",
            "code": "invalid",
            "errors": exc.get_full_details(),
        }
    elif isinstance(response.data, dict) and "code" not in response.data:
        codes = exc.get_codes()
        response.data["code"] = codes if isinstance(codes, str) else "error"
    if response.status_code in (401, 403, 429):
        log_refusal(context["request"], response)
    return response


security = logging.getLogger("security")


def log_refusal(request, response):
    """One line per refused request, for whoever watches for attacks: what
    was refused and why (the code), the client's address (read as the
    throttles read it, NUM_PROXIES included), and who: the user, or the
    username a login tried. Never a token, a password or a key: the request's
    body and headers are not logged, only that one field, quoted."""
    who = f"user {request.user.pk}" if request.user.is_authenticated else "anonymous"
    tried = getattr(request, "_full_data", None)  # what DRF parsed, if it did
    if isinstance(tried, dict) and isinstance(tried.get("username"), str):
        who = f"username {tried['username'][:150]!r}"  # quoted: no forged lines
    security.warning(
        "%s %s %s: %s, client %s, %s",
        response.status_code,
        request.method,
        request.path,
        response.data.get("code") if isinstance(response.data, dict) else "error",
        BaseThrottle().get_ident(request),
        who,
    )

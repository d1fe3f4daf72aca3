"""What production asks of every API view, in one place that config/settings.py
names (REST_FRAMEWORK) and the token views use:

- JSONParser: JSON nested too deep gets a clear 400, never a 500;
- ScopedThrottle, PasswordThrottle: DRF's throttles, by scope (login,
  refresh, password), counting in the cache that THROTTLE_CACHE names, and
  failing closed (503) when that cache does not answer;
- NoStore: an answer that carries a token is never kept by a cache;
- exception_handler: every error answer has a stable `code` beside `detail`,
  a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE gets a 413 in JSON, a
  database that does not answer a 503 (never a 500), and every refusal
  (401, 403, 429) is logged, with no secret in the line.
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions, parsers
from rest_framework.throttling import (
    BaseThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

security = logging.getLogger("security")


class TooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"


class Unavailable(exceptions.APIException):
    """Something every instance shares (the database, the throttle's cache)
    does not answer. A client may try again later: `wait` is the seconds
    DRF puts in Retry-After."""

    status_code = 503
    wait = 5


class DatabaseUnavailable(Unavailable):
    default_detail = "The database is not answering. Try again in a few seconds."
    default_code = "database_unavailable"


class ThrottleUnavailable(Unavailable):
    default_detail = "Requests cannot be counted now. Try again in a few seconds."
    default_code = "throttle_unavailable"


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


class CountsInThrottleCache(SimpleRateThrottle):
    """DRF's rate throttle, counting in the cache that settings.THROTTLE_CACHE
    names (DRF's own counts in the default cache), one request at a time per
    client, and failing closed.

    One at a time: DRF reads a client's recent requests from the cache,
    decides, then writes the list back. Requests that arrive together all
    read the same list, and all pass: 9 of 20 simultaneous logins on two
    instances, for a rate of 5 (tests/cluster/). So each client's check
    holds a lock, made with the cache's `add` (atomic: one caller wins).

    Failing closed: if the cache fails (Redis is down), the request gets a
    503. Letting it through would lift the login limit for as long as an
    attacker could keep Redis down."""

    # Seconds the lock lives, should its holder die holding it (an instance
    # killed): twice the longest a check takes, two cache calls of 0.5 s at
    # most (settings.py). A request waits a little longer than that for its
    # client's lock, so a dead holder delays the client, never refuses it.
    LOCK_EXPIRY = 2
    LOCK_WAIT = 2.5

    @property
    def cache(self):
        return caches[settings.THROTTLE_CACHE]

    def allow_request(self, request, view):
        if self.rate is None:
            return True  # this scope is not throttled
        try:
            key = self.get_cache_key(request, view)
            if key is None:
                return True
            lock, mine = f"{key}:lock", secrets.token_hex(8)
            if not self._lock(lock, mine):
                raise ThrottleUnavailable()  # its own requests hold it: a flood
            try:
                return super().allow_request(request, view)
            finally:
                if self.cache.get(lock) == mine:  # not a later holder's
                    self.cache.delete(lock)
        except (RedisError, OSError) as error:  # the cache does not answer
            security.error("throttle cache failed: %r", error)
            raise ThrottleUnavailable() from None

    def _lock(self, name, mine):
        deadline = time.monotonic() + self.LOCK_WAIT
        while not self.cache.add(name, mine, timeout=self.LOCK_EXPIRY):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True


# Listed after DRF's classes: they choose the rate (by scope, or "password"),
# then CountsInThrottleCache.allow_request counts (Python's method order).
class ScopedThrottle(ScopedRateThrottle, CountsInThrottleCache):
    """The rate of a view's `throttle_scope`, from REST_FRAMEWORK's
    DEFAULT_THROTTLE_RATES; a view without a scope is not throttled. Who is
    counted: the user if logged in, else the client's address, read as
    NUM_PROXIES says (config/settings.py)."""


class PasswordThrottle(UserRateThrottle, CountsInThrottleCache):
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


def database_unreachable(exc):
    """Is this error the database not answering (down, restarting, out of
    reach), rather than a bug (a missing table, a deadlock), which must stay
    a 500 that someone looks into? PostgreSQL's codes: no code when no
    connection was made; class 08, connection exceptions; 57P01 to 57P03,
    the server shutting down or starting."""
    if isinstance(exc, InterfaceError):  # a connection that is already closed
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", "") or ""
    if type(cause).__module__.startswith("psycopg") and not state:
        return True
    return state.startswith("08") or state in ("57P01", "57P02", "57P03")


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
    # The database is down or restarting: say so, and when to try again.
    # (Each process checks its kept connection before using it again
    # (CONN_HEALTH_CHECKS), so requests succeed again once it is back.)
    elif database_unreachable(exc):
        security.error("database unreachable: %r", exc)
        exc = DatabaseUnavailable()
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

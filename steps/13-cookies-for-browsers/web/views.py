"""The page, and the token endpoints a browser uses: the cookie flow.

API clients (curl, client.py, the notebooks) keep /api/token/..., with the
tokens in JSON bodies. The page uses /api/browser/...: the refresh token
travels only in an HttpOnly cookie, which no script can read, and the access
token only in the JSON answer, which the page keeps in memory.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework import parsers, status
from rest_framework.exceptions import AuthenticationFailed, ParseError, PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import (
    InvalidToken,
    TokenBackendError,
    TokenError,
)
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from accounts.models import LoginSession

# "token" in the name: Django's debug error page hides cookies named like
# secrets (API, AUTH, TOKEN, KEY...), so it never prints this one.
COOKIE = "refresh_token"
COOKIE_PATH = "/api/browser/"  # the browser sends it here, and nowhere else


@ensure_csrf_cookie  # the page's script sends this cookie's value back
def page(request):
    """The notes page: one template and one script, no build step."""
    response = render(
        request, "web/page.html", {"analytics_url": settings.ANALYTICS_URL}
    )
    response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason  # a reason, not a response: as DRF's SessionAuthentication does


def require_csrf(request):
    """Django's own CSRF check: the Origin header names this site, and the
    X-CSRFToken header matches the csrftoken cookie. Another site's page can
    make the browser send our cookies, but it can read neither."""
    check = _CsrfCheck(lambda request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise PermissionDenied(f"CSRF failed: {reason}", "csrf_failed")


class JSONParser(parsers.JSONParser):
    """DRF's, but JSON nested too deep is a 400: Python's parser raises
    RecursionError, which DRF's does not catch (a 500). Step 15 puts it
    on the whole API."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def set_refresh_cookie(response, token, max_age=None):
    if max_age is None:
        expires = token_backend.decode(token, verify=False)["exp"]
        max_age = max(expires - int(time.time()), 0)  # dies with the token
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=True,  # HTTPS only (browsers count 127.0.0.1 and localhost as secure)
        httponly=True,  # no script can read it
        samesite="Strict",  # never sent with a request another site starts
    )


def cookie_token(request):
    """The refresh token from the cookie. Two cookies of that name mean
    that someone planted one (a script, or a sibling subdomain, can set a
    cookie for a wider path, which browsers send too): refuse both."""
    sent = request.META.get("HTTP_COOKIE", "")
    if sum(part.strip().startswith(f"{COOKIE}=") for part in sent.split(";")) > 1:
        raise AuthenticationFailed("Two refresh cookies: log in again.", "two_cookies")
    token = request.COOKIES.get(COOKIE)
    if not token:
        raise AuthenticationFailed("No refresh cookie: log in.", "no_cookie")
    return token


class CookieFlow:
    """What the three views share: JSON in and out only (no browsable form),
    the CSRF check before anything else, and the refresh token moved from the
    JSON answer into the cookie."""

    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    csrf_passed = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_csrf(request._request)
        self.csrf_passed = request.method == "POST"

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code == 200 and isinstance(response.data, dict):
            token = response.data.pop("refresh", None)
            if token:
                set_refresh_cookie(response, token)
        return super().finalize_response(request, response, *args, **kwargs)


class ReadsTheCookie(CookieFlow):
    """Refresh and logout: the refresh token comes from the cookie only; the
    body is never read."""

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data={"refresh": cookie_token(request)})
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as error:
            raise InvalidToken(error.args[0]) from error
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


class BrowserLoginView(CookieFlow, TokenObtainPairView):
    """POST /api/browser/login/: username and password in, access token out.
    A session this browser held before ends: its cookie is being replaced."""

    def finalize_response(self, request, response, *args, **kwargs):
        old = request.COOKIES.get(COOKIE)
        if response.status_code == 200 and old:
            try:
                sid = token_backend.decode(old).get("sid")  # genuine tokens only
                LoginSession.end("replaced", pk=sid)
            except (TokenBackendError, ValidationError):
                pass  # expired, forged or no session: nothing to end
        return super().finalize_response(request, response, *args, **kwargs)


class BrowserRefreshView(ReadsTheCookie, TokenRefreshView):
    """POST /api/browser/refresh/: the cookie in, a new access token out."""


class BrowserLogoutView(ReadsTheCookie, TokenBlacklistView):
    """POST /api/browser/logout/: ends the session and deletes the cookie."""

    def finalize_response(self, request, response, *args, **kwargs):
        if self.csrf_passed:  # a POST that passed the CSRF check, nothing else
            set_refresh_cookie(response, "", max_age=0)  # deleted
        return super().finalize_response(request, response, *args, **kwargs)

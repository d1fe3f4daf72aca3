"""The page, and the token endpoints a browser uses: the cookie flow.

API clients (curl, client.py, the notebooks) keep /api/token/..., with the
tokens in JSON bodies. The page uses /api/browser/...: the refresh token
travels only in an HttpOnly cookie, which no script can read, and the access
token only in the JSON answer, which the page keeps in memory.
"""

import time

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

COOKIE = "refresh"
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


def set_refresh_cookie(response, token):
    expires = token_backend.decode(token, verify=False)["exp"]
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(expires - int(time.time()), 0),  # dies with the token
        path=COOKIE_PATH,
        secure=True,  # HTTPS only (browsers count 127.0.0.1 and localhost as secure)
        httponly=True,  # no script can read it
        samesite="Strict",  # never sent with a request another site starts
    )


class CookieFlow:
    """What the three views share: JSON answers only (no browsable form), the
    CSRF check before anything else, and the refresh token moved from the
    JSON answer into the cookie."""

    renderer_classes = (JSONRenderer,)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        require_csrf(request._request)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code == 200 and isinstance(response.data, dict):
            token = response.data.pop("refresh", None)
            if token:
                set_refresh_cookie(response, token)
        return super().finalize_response(request, response, *args, **kwargs)


class ReadsTheCookie(CookieFlow):
    """Refresh and logout: the refresh token comes from the cookie only."""

    def post(self, request, *args, **kwargs):
        if not request.COOKIES.get(COOKIE):
            raise AuthenticationFailed("No refresh cookie: log in.", "no_cookie")
        return super().post(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        kwargs["data"] = {"refresh": self.request.COOKIES.get(COOKIE, "")}
        return super().get_serializer(*args, **kwargs)


class BrowserLoginView(CookieFlow, TokenObtainPairView):
    """POST /api/browser/login/: username and password in, access token out."""


class BrowserRefreshView(ReadsTheCookie, TokenRefreshView):
    """POST /api/browser/refresh/: the cookie in, a new access token out."""


class BrowserLogoutView(ReadsTheCookie, TokenBlacklistView):
    """POST /api/browser/logout/: ends the session and deletes the cookie."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code != 403:  # it passed the CSRF check
            response.set_cookie(
                COOKIE,
                "",
                max_age=0,  # deleted
                path=COOKIE_PATH,
                secure=True,
                httponly=True,
                samesite="Strict",
            )
        return super().finalize_response(request, response, *args, **kwargs)

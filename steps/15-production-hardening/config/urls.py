"""URL configuration: which view answers which path."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenBlacklistView, TokenVerifyView

from accounts.views import LoginView, RefreshView, change_password_view, jwks_view
from config import views
from notes.views import NoteList
from web import views as web

urlpatterns = [
    path("", web.page, name="page"),  # the notes page, for a browser
    path("admin/", admin.site.urls),
    # Our public keys, for any service that checks our tokens (accounts/keys.py).
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("api/hello/", views.hello, name="hello"),
    # The API's OpenAPI description, and Swagger UI to read and try it.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/notes/", NoteList.as_view(), name="note-list"),
    # simplejwt's views, throttled and never cached (accounts/views.py): trade
    # a username and password for tokens, and a refresh token for new ones.
    path("api/token/", LoginView.as_view(), name="token_obtain_pair"),
    path("api/token/refresh/", RefreshView.as_view(), name="token_refresh"),
    # Is this token genuine and unexpired? Any type: "valid" is not "usable".
    path("api/token/verify/", TokenVerifyView.as_view(), name="token_verify"),
    # Log out: POST the refresh token, and its session ends.
    path("api/token/blacklist/", TokenBlacklistView.as_view(), name="token_blacklist"),
    # The same, for the page: the refresh token in a cookie, never in JSON.
    path("api/browser/login/", web.BrowserLoginView.as_view(), name="browser_login"),
    path(
        "api/browser/refresh/", web.BrowserRefreshView.as_view(), name="browser_refresh"
    ),
    path("api/browser/logout/", web.BrowserLogoutView.as_view(), name="browser_logout"),
    # Log out everywhere: every session of the user, at once.
    path("api/logout-all/", views.logout_all_view, name="logout_all"),
    path("api/password/", change_password_view, name="change_password"),
    path("api/protected/", views.protected_view, name="protected"),
    path("api/staff/", views.staff_view, name="staff"),
]

"""URL configuration: which view answers which path."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views import jwks_view
from config import views
from notes.views import NoteList
from web.views import page

urlpatterns = [
    path("", page, name="page"),  # the notes page, for a browser
    path("admin/", admin.site.urls),
    # Our public keys, for any service that checks our tokens (accounts/keys.py).
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("api/hello/", views.hello, name="hello"),
    # The API's OpenAPI description, and Swagger UI to read and try it.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/notes/", NoteList.as_view(), name="note-list"),
    # Tokens, logging out, and the password: accounts/urls.py.
    path("api/", include("accounts.urls")),
    # The same, for the page: the refresh token in a cookie (web/urls.py).
    path("api/browser/", include("web.urls")),
    path("api/protected/", views.protected_view, name="protected"),
    path("api/staff/", views.staff_view, name="staff"),
]

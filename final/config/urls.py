"""URL configuration: which view answers which path."""

from django.contrib import admin
from django.urls import include, path

from config import views
from notes.views import NoteList

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/hello/", views.hello, name="hello"),
    path("api/notes/", NoteList.as_view(), name="note-list"),
    # Tokens, logging out, and the password: accounts/urls.py.
    path("api/", include("accounts.urls")),
    path("api/protected/", views.protected_view, name="protected"),
    path("api/staff/", views.staff_view, name="staff"),
]

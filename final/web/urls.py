"""The page's token endpoints: the refresh token in a cookie, never in JSON."""

from django.urls import path

from web import views

urlpatterns = [
    path("login/", views.BrowserLoginView.as_view(), name="browser_login"),
    path("refresh/", views.BrowserRefreshView.as_view(), name="browser_refresh"),
    path("logout/", views.BrowserLogoutView.as_view(), name="browser_logout"),
]

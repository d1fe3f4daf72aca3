"""The accounts' endpoints: tokens, logging out, and the password."""

from django.urls import path
from rest_framework_simplejwt.views import TokenBlacklistView, TokenVerifyView

from accounts import views

urlpatterns = [
    # simplejwt's views, throttled and never cached (accounts/views.py): trade
    # a username and password for tokens, and a refresh token for new ones.
    path("token/", views.LoginView.as_view(), name="token_obtain_pair"),
    path("token/refresh/", views.RefreshView.as_view(), name="token_refresh"),
    # Is this token genuine and unexpired? Any type: "valid" is not "usable".
    path("token/verify/", TokenVerifyView.as_view(), name="token_verify"),
    # Log out: POST the refresh token, and its session ends.
    path("token/blacklist/", TokenBlacklistView.as_view(), name="token_blacklist"),
    # Log out everywhere: every session of the user, at once.
    path("logout-all/", views.logout_all_view, name="logout_all"),
    path("password/", views.change_password_view, name="change_password"),
]

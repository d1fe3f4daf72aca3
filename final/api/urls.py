from accounts.views import change_password_view
from django.urls import path
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
)

from api import views

urlpatterns = [
    path("hello/", views.hello, name="hello"),
    path("protected/", views.protected_view, name="protected"),
    path("staff/", views.staff_view, name="staff"),
    path("token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("token/verify/", TokenVerifyView.as_view(), name="token_verify"),
    # Log out: this refresh token. Log out everywhere: all of the user's.
    path("token/blacklist/", TokenBlacklistView.as_view(), name="token_blacklist"),
    path("logout-all/", views.logout_all_view, name="logout_all"),
    path("password/", change_password_view, name="change_password"),
]

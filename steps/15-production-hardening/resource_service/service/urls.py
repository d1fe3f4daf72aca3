"""The resource service's one path."""

from django.urls import path

from service import views

urlpatterns = [
    path("api/whoami/", views.whoami, name="whoami"),
]

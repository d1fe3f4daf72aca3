"""URL configuration: which view answers which path."""

from django.contrib import admin
from django.urls import path

from config import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/hello/", views.hello, name="hello"),
]

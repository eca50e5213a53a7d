from __future__ import annotations

from django.contrib import admin
from django.urls import path

from privacyportal import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from privacyportal import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Public pages of each app live under /privacy/ (and /api/ for consent).
    path("", include("requests_app.urls")),
    path("", include("consent_app.urls")),
    path("", include("retention_app.urls")),
]

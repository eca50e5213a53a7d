from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from privacyportal import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Staff reports live under the admin (its login) but are not a model page.
    path("admin/reports/", include("requests_app.report_urls")),
    path("admin/second-factor/", include("privacyportal.staff2fa")),
    path("admin/", admin.site.urls),
    # Public pages of each app live under /privacy/ (and /api/ for consent).
    path("", include("requests_app.urls")),
    path("", include("consent_app.urls")),
    path("", include("retention_app.urls")),
]

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from privacyportal import errors, health, views

# The portal's own pages; they never read the request body (see errors.py).
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Staff reports live under the admin (its login) but are not a model page.
    path("admin/reports/", include("requests_app.report_urls")),
    path("admin/second-factor/", include("privacyportal.staff2fa")),
    path("admin/", admin.site.urls),
    # The REST API: each app's api.py, collected by privacyportal/api/urls.py.
    path("api/v1/", include("privacyportal.api.urls")),
    # Public pages of each app live under /privacy/.
    path("", include("requests_app.urls")),
    path("", include("consent_app.urls")),
    path("", include("retention_app.urls")),
    path("", include("incidents_app.urls")),
]

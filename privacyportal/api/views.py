"""The API's reference page: Swagger UI from drf-spectacular-sidecar's files.

Served under the site's CSP unchanged: the page's script and style are all
static files (the initialiser too, fetched from ``?script``), nothing inline.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "Privacy Portal API"

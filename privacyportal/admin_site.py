from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

# The privacy apps in the order staff work in them; whatever else is installed
# (login lockouts, periodic tasks, users and groups, the outbox) is plumbing
# and goes last under "System".
PRIVACY_APPS = ("requests_app", "consent_app", "retention_app", "subjects", "audit")


class PortalAdminSite(admin.AdminSite):
    site_header = "Privacy Portal"
    site_title = "Privacy Portal"
    index_title = "Privacy operations"
    # The side menu takes 300 px of a 1280 px screen from every table; the
    # dashboard lists every page, one click away via Home.
    enable_nav_sidebar = False

    def login(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        # Django sends a signed-in GET on to the index but not a HEAD, which
        # must answer like the GET.
        if request.method == "HEAD" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        return super().login(request, extra_context)

    index_template = "console/dashboard.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        from privacyportal.console.dashboard import build

        context = {"dashboard": build(request), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label:
            return apps
        return order_apps(apps)


def order_apps(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Privacy apps first, in PRIVACY_APPS order; the rest merged into "System"."""
    privacy = sorted(
        (a for a in apps if a["app_label"] in PRIVACY_APPS),
        key=lambda a: PRIVACY_APPS.index(a["app_label"]),
    )
    rest = [a for a in apps if a["app_label"] not in PRIVACY_APPS]
    if not rest:
        return privacy
    system = {
        "name": "System",
        "app_label": "system",
        "app_url": rest[0]["app_url"],
        "has_module_perms": True,
        "models": [
            {**model, "name": f"{model['name']} ({app['name']})"}
            if len(rest) > 1
            else model
            for app in rest
            for model in app["models"]
        ],
    }
    return [*privacy, system]

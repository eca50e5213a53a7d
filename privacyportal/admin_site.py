from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class PortalAdminSite(admin.AdminSite):
    site_header = "Privacy Portal"
    site_title = "Privacy Portal"
    index_title = "Privacy operations"

    def login(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        # Django sends a signed-in GET on to the index but not a HEAD, which
        # must answer like the GET.
        if request.method == "HEAD" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        return super().login(request, extra_context)

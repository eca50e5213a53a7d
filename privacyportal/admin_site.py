from __future__ import annotations

from django.contrib import admin


class PortalAdminSite(admin.AdminSite):
    site_header = "Privacy Portal"
    site_title = "Privacy Portal"
    index_title = "Privacy operations"

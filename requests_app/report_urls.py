from __future__ import annotations

from django.contrib import admin
from django.urls import path

from requests_app.report_views import reports_view

urlpatterns = [
    path("", admin.site.admin_view(reports_view), name="request_reports"),
]

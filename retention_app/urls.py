from __future__ import annotations

from django.urls import path  # noqa: F401 - patterns are added by this app's views

app_name = "retention"
urlpatterns: list = []

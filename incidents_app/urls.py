from __future__ import annotations

from django.urls import path

from incidents_app import public

app_name = "incidents"
urlpatterns = [
    path("privacy/report-compromise/", public.compromise_form, name="compromise"),
    path(
        "privacy/report-compromise/sent/",
        public.compromise_sent,
        name="compromise_sent",
    ),
    path(
        "privacy/report-compromise/confirm/<str:token>/",
        public.compromise_confirm,
        name="compromise_confirm",
    ),
]

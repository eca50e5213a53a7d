from __future__ import annotations

from django.urls import path

from requests_app import views

app_name = "requests"
urlpatterns = [
    path("privacy/request/", views.request_form, name="form"),
    path("privacy/request/sent/", views.sent, name="sent"),
    path("privacy/request/opted-out/", views.opted_out, name="opted_out"),
    path("privacy/request/verify/<str:token>/", views.verify, name="verify"),
    path(
        "privacy/request/verify/<str:token>/new-link/",
        views.resend,
        name="resend",
    ),
    path("privacy/request/lost-link/", views.lost_link, name="lost_link"),
    path("privacy/request/status/<str:token>/", views.status, name="status"),
    path("privacy/request/status/<str:token>/answer/", views.answer, name="answer"),
    path(
        "privacy/request/status/<str:token>/withdraw/",
        views.withdraw,
        name="withdraw",
    ),
    path(
        "privacy/request/status/<str:token>/cancel-erasure/",
        views.cancel_erasure,
        name="cancel_erasure",
    ),
    path(
        "privacy/request/status/<str:token>/correction/",
        views.add_correction,
        name="add_correction",
    ),
    path("privacy/request/status/<str:token>/appeal/", views.appeal, name="appeal"),
    path("privacy/export/<str:token>/", views.export_download, name="export"),
]

from __future__ import annotations

from django.urls import path

from consent_app import views

app_name = "consent"
urlpatterns = [
    path("privacy/preferences/", views.preferences, name="preferences"),
    path("privacy/preferences/<str:token>/", views.manage, name="manage"),
    path("privacy/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("privacy/policy/", views.policy, name="policy"),
]

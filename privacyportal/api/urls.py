"""The API under /api/v1/: the schema, its reference page, and each app's api.py.

An app offers endpoints by defining, in ``<app>/api.py``, ``urlpatterns``
(plain paths to API views) and/or ``register(router)`` (viewsets). They are
collected here, so adding endpoints never means editing this file.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from privacyportal.api.views import ApiDocsView

app_name = "api"
router = SimpleRouter(trailing_slash=False)


def _api_modules() -> list[ModuleType]:
    names = [f"{config.name}.api" for config in apps.get_app_configs()]
    return [import_module(name) for name in names if _exists(name)]


def _exists(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _collect() -> list:
    patterns: list = []
    for module in _api_modules():
        patterns += getattr(module, "urlpatterns", [])
        if hasattr(module, "register"):
            module.register(router)
    return patterns + router.urls


urlpatterns = [
    # With or without the slash: a POST to the other form must not meet
    # CommonMiddleware's APPEND_SLASH redirect (an error under DEBUG).
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    *_collect(),
]

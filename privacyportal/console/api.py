"""The dashboard's figures over the API: tiles, charts and panels as data.

The figures are the staff dashboard's, from the same widgets (each app's
selectors) through ``dashboard.compose``: nothing is computed again here. A
key with ``reports:read`` sees every widget, except the personal work lists
("my requests"), which belong to a staff member, not to an integration.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacyportal.api.permissions import scope
from privacyportal.console.dashboard import compose
from privacyportal.widgets import Viewer


class EveryFigure:
    """The dashboard's viewer for a key: every widget's permission is held."""

    def has_perm(self, permission: str) -> bool:
        return True


class TileSerializer(serializers.Serializer):
    title = serializers.CharField()
    count = serializers.IntegerField()
    capped = serializers.BooleanField(help_text="The count stopped at its cap.")
    note = serializers.CharField()
    tone = serializers.CharField(help_text="alert, warn, or empty.")


class SeriesSerializer(serializers.Serializer):
    name = serializers.CharField()
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
    unit = serializers.CharField()


class ChartSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text="columns, bars or lines.")
    labels = serializers.ListField(child=serializers.CharField())
    series = SeriesSerializer(many=True)
    summary = serializers.CharField()


class PanelSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())
    tone = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField())
    )


class DashboardSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    tiles = TileSerializer(many=True)
    charts = ChartSerializer(many=True)
    panels = PanelSerializer(many=True)


def _tile(tile: Any) -> dict[str, Any]:
    return {**_fields(tile, TileSerializer), "capped": tile.capped}


def _fields(item: Any, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    data = asdict(item)
    return {name: data[name] for name in serializer().fields if name in data}


class DashboardView(APIView):
    """The staff dashboard's figures, now."""

    permission_classes = [scope("reports:read")]

    @extend_schema(responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        now = timezone.now()
        board = compose(Viewer(user=EveryFigure(), now=now), work=False)
        return Response(
            {
                "at": now,
                "tiles": [_tile(t) for t in board.tiles],
                "charts": [_fields(c["chart"], ChartSerializer) for c in board.charts],
                "panels": [_fields(p, PanelSerializer) for p in board.panels],
            }
        )


urlpatterns = [
    path("reports/dashboard", DashboardView.as_view(), name="report-dashboard"),
]

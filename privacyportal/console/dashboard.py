"""The dashboard: asks each registered widget for its items and lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from privacyportal import counts, roles, stats
from privacyportal.console import charts
from privacyportal.widgets import (
    Chart,
    Panel,
    Tile,
    Viewer,
    Widget,
    WorkItem,
    registry,
)

SECTION_COLUMNS = 6  # tiles in a row at 1280 px (dashboard.css, .tile-sections)


@dataclass
class Dashboard:
    viewer: Viewer
    tiles: list[Tile] = field(default_factory=list)
    work: list[WorkItem] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, list[Tile], int]]:
        """Tiles under their headings, in the order the widgets gave them.

        The third value is the columns a section takes in a row of
        SECTION_COLUMNS, so short sections share a row instead of each taking one.
        """
        grouped: dict[str, list[Tile]] = {}
        for tile in self.tiles:
            grouped.setdefault(tile.section, []).append(tile)
        return [
            (title, tiles, min(len(tiles), SECTION_COLUMNS))
            for title, tiles in grouped.items()
        ]

    @property
    def empty(self) -> bool:
        return not (self.tiles or self.work or self.panels or self.charts)


def viewer_for(request: HttpRequest) -> Viewer:
    user = request.user
    names = (
        set() if user.is_superuser else set(user.groups.values_list("name", flat=True))
    )
    # Support works its own requests only (as in the request queue).
    return Viewer(user=user, now=timezone.now(), own_work_only=names == {roles.SUPPORT})


def _chart(chart: Chart) -> dict[str, Any]:
    present = charts.has_data(chart)
    return {
        "chart": chart,
        "has_data": present,
        "drawing": charts.draw(chart) if present else None,
        "table": charts.table(chart),
    }


def _fetch_figures(viewer: Viewer, widgets: list[Widget]) -> None:
    wanted = [q for w in widgets if w.figures for q in w.figures(viewer)]
    if wanted:
        viewer.figures.update(stats.fetch(*wanted))


def _fetch_counts(viewer: Viewer, widgets: list[Widget]) -> None:
    wanted = {k: q for w in widgets if w.counts for k, q in w.counts(viewer).items()}
    viewer.counts.update(counts.capped_counts(wanted))


def build(request: HttpRequest) -> Dashboard:
    return compose(viewer_for(request))


def compose(viewer: Viewer, *, work: bool = True) -> Dashboard:
    """The viewer's dashboard; ``work=False`` leaves out the personal work lists."""
    dashboard = Dashboard(viewer=viewer)
    widgets = [w for w in registry.for_viewer(viewer) if work or not w.own_work]
    _fetch_figures(dashboard.viewer, widgets)
    _fetch_counts(dashboard.viewer, widgets)
    for widget in widgets:
        for item in widget.build(dashboard.viewer):
            if isinstance(item, Tile):
                dashboard.tiles.append(item)
            elif isinstance(item, WorkItem):
                dashboard.work.append(item)
            elif isinstance(item, Panel):
                dashboard.panels.append(item)
            else:
                dashboard.charts.append(_chart(item))
    return dashboard

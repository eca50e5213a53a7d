"""What apps contribute to the staff dashboard, and the registry they use.

Like pretix's dashboard widgets: an app registers a :class:`Widget` in its
``AppConfig.ready()``; the widget's ``build`` (a selector of that app) returns
small plain values — tiles, work items, charts as data, panels of sentences.
``privacyportal.console`` decides who sees which widget and draws them; it
knows no app's models. The registry lives here, beside the personal-data
registry, because apps never import the console (it sits on top of them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TILE_CAP = 1000  # counts stop here: "1,000 or more" costs the same at any size


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and when. ``own_work_only``: a Support-only account.

    ``figures``: the daily counts the widgets asked for (``Widget.figures``),
    series -> (period, key, total) rows, fetched for all of them in one query.
    ``counts``: the tile counts they asked for (``Widget.counts``), key -> count,
    likewise one statement for all (``privacyportal.counts``).
    """

    user: Any
    now: datetime
    own_work_only: bool = False
    figures: dict[str, list] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Tile:
    title: str
    count: int
    link: str
    note: str = ""
    # "alert" (red), "warn" (amber) or "" when the count is a plain figure.
    tone: str = ""
    # The heading the tile is shown under; tiles of one section stay together.
    section: str = ""

    @property
    def capped(self) -> bool:
        return self.count >= TILE_CAP


@dataclass(frozen=True)
class WorkItem:
    label: str
    link: str
    what: str
    due: str
    tone: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    # Appended to figures in labels and the table: "%", " days".
    unit: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart as data. kinds: "columns" (stacked), "bars" (horizontal), "lines".

    ``summary`` is one sentence a screen reader hears before the table. A
    "bars" chart draws its first series; the others are read out beside it.
    """

    key: str
    title: str
    kind: str
    labels: Sequence[str]
    series: Sequence[Series]
    summary: str
    # Show every n-th label under the axis (52 weeks do not fit otherwise).
    label_every: int = 1
    link: str = ""
    empty: str = "Nothing to show yet."


@dataclass(frozen=True)
class Panel:
    """A few sentences, optionally a small table: legal holds, the audit check."""

    key: str
    title: str
    lines: Sequence[str]
    tone: str = ""
    link: str = ""
    link_text: str = ""
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()


Item = Tile | WorkItem | Chart | Panel


@dataclass(frozen=True)
class Widget:
    key: str
    # The permission a viewer needs (app_label.codename).
    permission: str
    build: Callable[[Viewer], Sequence[Item]]
    priority: int = 100
    # Shown to a Support-only account (whose widget then shows its own work).
    own_work: bool = False
    # The daily counts ``build`` reads, as lazy ``stats.totals`` querysets.
    figures: Callable[[Viewer], Sequence[Any]] | None = None
    # The tile counts ``build`` reads: app-prefixed key -> lazy QuerySet.
    counts: Callable[[Viewer], Mapping[str, Any]] | None = None


@dataclass
class Registry:
    _widgets: dict[str, Widget] = field(default_factory=dict)

    def register(self, widget: Widget) -> None:
        self._widgets[widget.key] = widget

    def unregister(self, key: str) -> None:
        self._widgets.pop(key, None)

    def for_viewer(self, viewer: Viewer) -> list[Widget]:
        chosen = [
            w
            for w in self._widgets.values()
            if viewer.user.has_perm(w.permission)
            and (w.own_work or not viewer.own_work_only)
        ]
        return sorted(chosen, key=lambda w: (w.priority, w.key))


registry = Registry()


def register(widget: Widget) -> None:
    registry.register(widget)

"""Tile counts: each capped at TILE_CAP, as many as asked for in one statement.

Widgets name the counts their tiles show (``Widget.counts``: key -> QuerySet);
the console fetches every widget's at once into ``Viewer.counts``, so a new
app's tiles add no query to the dashboard. ``counted`` serves a widget called
on its own (a test, a report) by fetching what the console did not.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection
from django.db.models import QuerySet

from privacyportal.widgets import TILE_CAP


def capped_counts(querysets: Mapping[str, QuerySet]) -> dict[str, int]:
    """Each queryset's row count up to TILE_CAP, all in one SQL statement."""
    if not querysets:
        return {}
    parts, params = [], []
    for queryset in querysets.values():
        capped = queryset.order_by().values("pk")[:TILE_CAP]
        sql, values = capped.query.sql_with_params()
        # ``sql`` is compiled by Django; every value travels in ``params``.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def counted(found: Mapping[str, int], querysets: Mapping[str, QuerySet]) -> dict:
    """The counts of ``querysets``: from ``found`` where fetched, else now."""
    missing = {key: q for key, q in querysets.items() if key not in found}
    fetched = capped_counts(missing)
    return {key: found[key] if key in found else fetched[key] for key in querysets}

"""Database helpers shared by migrations and services."""

from __future__ import annotations

from django.db import migrations


def postgres_sql(forward: str, backward: str) -> migrations.RunPython:
    """A migration step that runs raw SQL on PostgreSQL and nothing elsewhere.

    Triggers guard ledgers in production; the embedded SQLite default relies on
    the application alone, which the README states.
    """

    def run(sql: str):
        def apply(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward), run(backward))

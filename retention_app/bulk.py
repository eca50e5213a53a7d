"""Set-based row generation (generate_series) for the bench and the reliability test.

Never used by the application; rows are made in one statement, not one by one.
"""

from __future__ import annotations

from django.db import connection


def generate_recordings(
    *,
    organization_id: int,
    count: int,
    held_every: int = 10,
    fresh_every: int = 10,
    file_every: int = 0,
) -> None:
    """``count`` recordings: every ``held_every``-th held, every ``fresh_every``-th
    (offset by one) not yet expired; rows ``g % file_every`` in (0, 3) have a media
    name ``recordings/bulk/<g>.bin`` (files are written by the caller): with the
    defaults half of those are held (kept), half are due (deleted)."""
    media = (
        f"CASE WHEN g %% {file_every} IN (0, 3) "
        "THEN 'recordings/bulk/' || g || '.bin' "
        "ELSE '' END"
        if file_every
        else "''"
    )
    sql = f"""
        INSERT INTO retention_app_recording
          (organization_id, meeting_title, started_at, duration_seconds, media,
           size_bytes, checksum, purge_after, held, created_at)
        SELECT %s, 'Bulk meeting ' || g, now() - interval '400 days', 1800,
               {media}, 1000, '',
               CASE WHEN g %% {fresh_every} = 1 THEN now() + interval '30 days'
                    ELSE now() - interval '1 day' - (g || ' seconds')::interval END,
               (g %% {held_every} = 0), now()
        FROM generate_series(1, %s) AS g
    """  # noqa: S608 - only integers are formatted in
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, count])

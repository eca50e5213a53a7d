"""The evidence pack: a person's whole story as one ZIP a regulator can read.

``index.html`` (readable on its own, no scripts or outside resources), one CSV
per section for spreadsheets, and ``story.json`` for machines. The ZIP is
built in memory: one person's history is small (sections stop at ROW_LIMIT).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from privacyportal import csvsafe
from privacyportal.subjects.story import Section


def _csv(section: Section) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(section.columns)
    writer.writerows(section.rows)
    return out.getvalue()


def build(subject: Any, sections: list[Section], *, prepared_by: str) -> bytes:
    made_at = timezone.now()
    html = render_to_string(
        "admin/subjects/evidence_pack.html",
        {
            "subject": subject,
            "sections": sections,
            "made_at": made_at,
            "prepared_by": prepared_by,
        },
    )
    story = {
        "subject_id": subject.pk,
        "prepared_at": made_at.isoformat(),
        "prepared_by": prepared_by,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "rows": s.as_dicts(),
                "truncated": s.truncated,
            }
            for s in sections
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("index.html", html)
        for section in sections:
            pack.writestr(f"{section.key}.csv", _csv(section))
        pack.writestr("story.json", json.dumps(story, indent=2, ensure_ascii=False))
    return buffer.getvalue()

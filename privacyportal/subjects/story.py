"""A person's whole story: what each app holds and did about one data subject.

The evidence a regulator asks for in one place (their requests with timelines,
consent history with the policy version of each event, what was erased under
which rule, which staff looked at their record). Like the personal-data
registry, each app contributes its sections in ``AppConfig.ready()``; the
subject page and the evidence pack compose them and know no app's models.

Rows are already in words (dates formatted, choices as labels), so the page,
the HTML of the pack and its CSV files show exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from privacyportal.subjects.services import EDITABLE_FIELDS

# Enough for any real person's history; a section cut here says so.
ROW_LIMIT = 2_000


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    note: str = ""
    truncated: bool = False

    def as_dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# A provider returns the sections one app tells about a subject.
Provider = Callable[[Any], list[Section]]
_providers: dict[str, tuple[int, Provider]] = {}


def register(key: str, provider: Provider, *, order: int = 100) -> None:
    """Add (or replace, on a reload) the sections an app tells about a subject."""
    _providers[key] = (order, provider)


def sections(subject: Any) -> list[Section]:
    ordered = sorted(_providers.items(), key=lambda item: (item[1][0], item[0]))
    return [section for _, (_, provider) in ordered for section in provider(subject)]


def when(value: dt.datetime | None) -> str:
    """A time as staff read it, in the portal's time zone; '' for none."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def cut(rows: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], bool]:
    """Rows up to ROW_LIMIT, and whether more were left out."""
    return rows[:ROW_LIMIT], len(rows) > ROW_LIMIT


def audit_sections(subject: Any) -> list[Section]:
    """What the audit trail says about the subject: staff looks, and every action."""
    from privacyportal.audit.describe import describe
    from privacyportal.audit.models import AuditEvent

    events = list(
        AuditEvent.objects.filter(subject_id=subject.pk)
        .order_by("-seq")
        .values_list("occurred_at", "action", "actor_label", "actor_type")[
            : ROW_LIMIT + 1
        ]
    )
    views = [
        (when(at), label or "unknown")
        for at, action, label, _ in events
        if action == "subjects.subject.viewed"
    ]
    actions, more = cut(
        [
            (when(at), describe(action), label or kind)
            for at, action, label, kind in events
        ]
    )
    return [
        Section(
            "staff_views",
            "Staff who viewed this person's record",
            ("When", "Staff member"),
            views[:ROW_LIMIT],
            note="Every opening of this page is recorded in the audit trail.",
        ),
        Section(
            "audit",
            "Everything recorded about this person (audit trail)",
            ("When", "What happened", "By"),
            actions,
            truncated=more,
        ),
    ]


def register_audit_sections() -> None:
    register("audit", audit_sections, order=900)


# The free-text fields; lists and pairs are shown as lines below.
PROFILE_FIELDS = tuple(
    f for f in EDITABLE_FIELDS if f not in {"ip_addresses", "demographics"}
)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def profile_sections(subject: Any) -> list[Section]:
    """What is held on the person themselves, field by field, in words."""
    meta = subject._meta
    rows = [
        (
            str(meta.get_field(name).verbose_name).capitalize(),
            _text(getattr(subject, name)),
        )
        for name in PROFILE_FIELDS
    ]
    rows += [
        ("IP addresses", _text(subject.ip_addresses)),
        ("Demographics", _text(subject.demographics)),
        ("Under 13", "Yes" if subject.is_under_13 else "No"),
        ("Anonymised", when(subject.anonymised_at) or "No"),
        ("Devices", str(subject.devices.count())),
    ]
    return [Section("profile", "What is held on this person", ("Field", "Value"), rows)]

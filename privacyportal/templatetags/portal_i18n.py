"""Filters that turn stored codes and ISO dates into words at render time.

An e-mail's context is JSON kept in the outbox until a worker sends it, in
another process and usually another language than the one that queued it. So
the context holds codes and ISO dates, and these filters make them readable
under the language active while rendering (``mail.render`` overrides it with
the e-mail's own). Bad or old values are shown as they are, never an error:
a row queued before a change must still send.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def _parse(value: Any) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


@register.filter
def isodate(value: Any, style: str = "DATE_FORMAT") -> str:
    """``"2026-12-04"`` → "4. Dezember 2026" under German, "4 Dec 2026" in English.

    ``style`` is a format setting name (DATE_FORMAT, SHORT_DATE_FORMAT).
    """
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if isinstance(parsed, datetime):
        parsed = _local(parsed).date()
    return format_date(parsed, style)


@register.filter
def isodatetime(value: Any) -> str:
    """An ISO date-time in the portal's time zone: "5. Dezember 2026 10:00 CET".

    The language's long date, then a 24-hour time and the zone: some
    languages' own time formats ("10 a.m.") end in a full stop, which reads
    badly before the end of a sentence.
    """
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return isodate(value)
    moment = _local(parsed)
    day, time = format_date(moment, "DATE_FORMAT"), format_date(moment, "H:i T")
    return f"{day} {time}".strip()


def _local(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        return moment
    return timezone.localtime(moment)


@register.filter
def choice(value: Any, field: str) -> str:
    """The label of a stored choice code, ``field`` as "app.Model.field".

    ``{{ type|choice:"requests_app.PrivacyRequest.type" }}``: the model's label
    (a lazy translation) is resolved now, so it follows the e-mail's language
    rather than the one that queued it. An unknown code is shown as it is.
    """
    try:
        app_label, model_name, field_name = field.rsplit(".", 2)
        model = apps.get_model(app_label, model_name)
        labels = dict(model._meta.get_field(field_name).flatchoices)
    except (ValueError, LookupError, FieldDoesNotExist):
        labels = {}
    label = labels.get(value)
    if label is None:
        return "" if value is None else str(value)
    return str(label)


@register.filter
def nobreak(value: Any) -> str:
    """A reference kept on one line ("PR-2026-000123" never breaks at a hyphen).

    For use inside a sentence: ``{% blocktranslate with ref=x|nobreak %}`` keeps
    the markup, since a safe value is not escaped again.
    """
    return format_html('<span class="nobreak">{}</span>', value)

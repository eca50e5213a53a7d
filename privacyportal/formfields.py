"""Staff form fields for lists of codes, chosen and shown by name, never as JSON.

Rules store where they apply as a JSON list of jurisdiction codes (``["EU"]``);
staff pick names from two boxes (the admin's filtered multi-select, which
needs the admin page's scripts and reads as a plain multi-select without them)
and read a frozen list as names joined with commas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import models
from django.utils.html import format_html


class CodeNames(forms.Widget):
    """A list of codes shown as their names: for a field that cannot change."""

    def __init__(self, choices: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.names = dict(choices)

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None):
        codes = value or []
        words = ", ".join(self.names.get(code, code) for code in codes)
        return format_html('<div class="readonly">{}</div>', words or "None")


class CodeChooser(FilteredSelectMultiple):
    """The admin's two-box chooser, wrapped as the admin wraps a many-to-many
    field's: its script moves the boxes to the start of the select's parent,
    which would otherwise put them before the field's label."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None):
        boxes = super().render(name, value, attrs, renderer)
        return format_html('<div class="related-widget-wrapper">{}</div>', boxes)


class CodeListField(forms.MultipleChoiceField):
    """Codes chosen by name from ``choices``; cleans to a list in their order."""

    def __init__(
        self, *, choices: Sequence[tuple[str, str]], plural: str, **kwargs: Any
    ) -> None:
        # ``plural`` names the options in the widget: "Available jurisdictions".
        widget = CodeChooser(plural, is_stacked=False)
        super().__init__(choices=choices, widget=widget, **kwargs)

    def clean(self, value: Any) -> list[str]:
        chosen = set(super().clean(value))
        return [code for code, _ in self.choices if code in chosen]


def freeze(form: forms.BaseForm, names: Iterable[str], why: str) -> None:
    """Make ``names`` unchangeable on ``form``, saying ``why`` under each.

    A disabled field keeps the saved value whatever is posted.
    """
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        field.disabled = True
        field.help_text = why
        if isinstance(field, CodeListField):
            field.widget = CodeNames(field.choices)


def https_urls(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """A ModelForm's ``formfield_callback``: a bare "ico.org.uk" means https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)

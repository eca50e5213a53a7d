"""Labels of personal-data sources and correctable fields, live, in the reader's
language.

An erasure step or a correction stores its label in English when it is made;
pages look the label up in the registry by key instead, so it follows the
page's language, and show the stored text once the source is gone.
"""

from __future__ import annotations

from typing import Any

from django import template

from privacyportal import registry

register = template.Library()


@register.filter
def source_label(outcome: Any) -> str:
    """``{{ outcome|source_label }}`` for anything with ``source_key`` and ``label``."""
    return registry.source_label(outcome.source_key, outcome.label)


@register.filter
def field_label(item: Any) -> str:
    """``{{ correction|field_label }}`` for anything with ``field`` and ``label``."""
    return registry.field_label(item.field, item.label)


@register.filter
def registry_text(text: Any) -> str:
    """A registry word stored in English (e.g. a label in an e-mail's context),
    in the active language; text no catalogue knows is shown as it is."""
    return registry.shown(text)

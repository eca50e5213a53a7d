"""The requester's appeal form on the status page."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.services.appeals import TEXT_MAX

ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def no_control_characters(value: str) -> None:
    """Line breaks are fine in a letter; other control characters are not."""
    if any(
        unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS for ch in value
    ):
        raise forms.ValidationError(_("Remove the special characters from the text."))


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why you disagree with our decision"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=TEXT_MAX,
        validators=[no_control_characters],
    )

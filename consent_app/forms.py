from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

WITHDRAW_ALL = "withdraw_all"


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to manage your choices to this address."),
    )


class ChoiceForm(forms.Form):
    """One button of the preference centre: a purpose's on/off, or everything off."""

    purpose = forms.SlugField(max_length=60, required=False)
    choice = forms.ChoiceField(
        choices=[
            ("grant", _("Turn on")),
            ("withdraw", _("Turn off")),
            (WITHDRAW_ALL, _("Turn everything off")),
        ]
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("choice") in ("grant", "withdraw") and not cleaned.get(
            "purpose"
        ):
            raise forms.ValidationError(_("Choose a purpose."))
        return cleaned

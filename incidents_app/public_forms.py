"""The public form for reporting a compromised account."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.forms import EMAIL_INVALID, single_line

TEXT_MAX = 5000
# Line breaks are the only control characters a description needs; others
# (escape sequences, NUL) would reach staff screens and e-mails.
_ALLOWED_CONTROLS = {"\n", "\r"}
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


def no_controls(value: str) -> None:
    if any(
        unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value
    ):
        raise forms.ValidationError(
            _("Use letters, numbers, punctuation and line breaks only.")
        )


def not_in_future(value: date) -> None:
    if value > timezone.localdate():
        raise forms.ValidationError(_("Enter a date that is today or earlier."))


def phone_number(value: str) -> None:
    if not _PHONE.match(value):
        raise forms.ValidationError(
            _("Enter a phone number with digits, like +44 20 7946 0000.")
        )


class CompromiseForm(forms.Form):
    what_happened = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=TEXT_MAX,
        strip=True,
        validators=[no_controls],
        help_text=_(
            "For example: a sign-in you do not recognise, a changed password, "
            "messages you did not send (at most 5,000 characters)."
        ),
        error_messages={
            "required": _("Tell us what happened."),
            "max_length": _(
                "Keep the description to at most %(limit_value)s characters "
                "(it has %(show_value)s)."
            ),
        },
    )
    happened_on = forms.DateField(
        label=_("When did it happen? (optional)"),
        required=False,
        validators=[not_in_future],
        # A text box, styled like the others, that accepts 2026-03-31 in every
        # language (and the language's own date formats).
        widget=forms.DateInput(attrs={"inputmode": "numeric"}, format="%Y-%m-%d"),
        help_text=_("The day you first noticed it, if you know, like 2026-03-31."),
        error_messages={"invalid": _("Enter a date like 2026-03-31.")},
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_(
            "We send a link to this address to confirm the report is yours. "
            "If your e-mail account itself was taken over, use another address."
        ),
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": EMAIL_INVALID,
        },
    )
    phone = forms.CharField(
        label=_("Your phone number (optional)"),
        max_length=30,
        required=False,
        validators=[phone_number],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    account_name = forms.CharField(
        label=_("Your account name (optional)"),
        max_length=200,
        required=False,
        validators=[single_line],
        help_text=_("The name or address you sign in with. Never your password."),
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

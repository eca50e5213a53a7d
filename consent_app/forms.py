from __future__ import annotations

from django import forms


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="We send a link to manage your choices to this address.",
    )


class ChoiceForm(forms.Form):
    purpose = forms.SlugField(max_length=60)
    choice = forms.ChoiceField(choices=[("grant", "Grant"), ("withdraw", "Withdraw")])

"""Staff forms: where a rule applies is chosen by name, never typed as JSON."""

from __future__ import annotations

from django import forms

from complaints_app.models import ComplaintRule
from privacyportal.formfields import https_urls
from requests_app.forms import jurisdictions_field


class ComplaintRuleForm(forms.ModelForm):
    jurisdictions = jurisdictions_field()

    class Meta:
        model = ComplaintRule
        formfield_callback = https_urls
        fields = "__all__"  # noqa: DJ007 (the admin names the fields it shows)

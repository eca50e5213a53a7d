"""API keys in the admin: create (the key shown once), change scopes, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from privacyportal.api import keys
from privacyportal.api.models import ApiKey
from privacyportal.api.scopes import CHOICES, SCOPES


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the integration may do. Give it only what it needs.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at", "allowed_ips", "rate_per_minute")
        labels = {
            "scopes": "What it may do",
            "expires_at": "Stops working at",
            "allowed_ips": "Allowed addresses",
            "rate_per_minute": "Calls per minute",
        }

    def clean_allowed_ips(self) -> str:
        try:
            keys.networks(self.cleaned_data["allowed_ips"])
        except keys.ApiKeyError as exc:
            raise ValidationError(str(exc)) from exc
        return self.cleaned_data["allowed_ips"]

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data["expires_at"]
        if value is not None and value <= timezone.now():
            raise ValidationError("The expiry date must be in the future.")
        return value


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("live", "Live"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "live":
            return queryset.live()
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


def _status(key: ApiKey) -> str:
    if key.revoked_at:
        return "Revoked"
    return "Live" if key.is_live else "Expired"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "starts_with", "what_it_may_do", "status", "last_used_at")
    list_filter = (StatusFilter,)
    search_fields = ("name", "prefix")
    readonly_fields = (
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_select_related = ("created_by",)
    actions = ["revoke"]

    @admin.display(description="Starts with")
    def starts_with(self, key: ApiKey) -> str:
        return f"{key.prefix}…"

    @admin.display(description="What it may do")
    def what_it_may_do(self, key: ApiKey) -> str:
        return "; ".join(SCOPES.get(s, s) for s in key.scopes) or "Nothing"

    @admin.display(description="Status")
    def status(self, key: ApiKey) -> str:
        return _status(key)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if obj.revoked_at:  # a revoked key is history: nothing changes any more
            return (*ApiKeyForm.Meta.fields, *self.readonly_fields)
        return ("name", *self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: Any, change: bool
    ) -> None:
        data = {
            f: form.cleaned_data[f] for f in keys.EDITABLE if f in form.cleaned_data
        }
        if change:
            keys.api_key_update(actor=request.user, key=obj, **data)
            return
        key, raw = keys.api_key_create(
            actor=request.user, name=form.cleaned_data["name"], **data
        )
        obj.pk = key.pk
        # Kept on this request only: a message would carry it in the signed (not
        # encrypted) messages cookie, the session would keep it in the database.
        request._api_key_raw = raw  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None
    ) -> HttpResponse:
        """The key's only appearance: in this response's body, never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "key": obj,
            "scopes": [SCOPES[s] for s in ApiKey.objects.get(pk=obj.pk).scopes],
            "raw": request._api_key_raw,  # type: ignore[attr-defined]
            "title": f"API key for {obj.name}",
        }
        response = TemplateResponse(request, "api/admin_key_created.html", context)
        add_never_cache_headers(response)
        return response

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit trail names keys by id

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> Any:
        live = list(queryset.filter(revoked_at__isnull=True))
        if "confirm" not in request.POST:
            return self._confirm_revoke(request, live)
        count = sum(keys.api_key_revoke(actor=request.user, key=k) for k in live)
        self.message_user(request, f"{count} API key(s) revoked.", messages.SUCCESS)
        return None

    def _confirm_revoke(self, request: HttpRequest, live: list[ApiKey]) -> Any:
        if not live:
            self.message_user(request, "Those keys were revoked already.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke API keys?",
            "opts": self.model._meta,
            "keys": live,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "api/admin_revoke_confirm.html", context)

"""Webhook subscriptions and their delivery log: every change through a service."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from privacyportal.api.webhooks import services
from privacyportal.api.webhooks.models import (
    EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

D = WebhookDelivery.Status


def _when(value: Any) -> str:
    local = timezone.localtime(value)
    day = "" if local.date() == timezone.localdate() else f"{local:%d %b %Y} "
    return f"{day}{local:%H:%M}"


def delivery_state(delivery: WebhookDelivery) -> str:
    """The delivery's state in a sentence."""
    tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    if delivery.status == D.DELIVERED:
        return f"Delivered {_when(delivery.delivered_at)} ({tries})"
    if delivery.status == D.FAILED:
        return f"Gave up after {tries}"
    if delivery.status == D.SENDING:
        return "Being sent"
    if not delivery.subscription.active:
        return "Waiting: the subscription is disabled"
    if delivery.attempts:
        return f"Failed — will retry at {_when(delivery.next_attempt_at)}"
    return "Waiting to be sent"


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),
        help_text="https:// and a public address; each event is POSTed here.",
    )
    event_types = forms.MultipleChoiceField(
        choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "event_types")

    def clean(self) -> dict:
        data = super().clean()
        try:
            services.check(
                data.get("name", ""), data.get("url", ""), data.get("event_types", [])
            )
        except services.WebhookError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "events", "state", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    readonly_fields = ("state", "created_by", "created_at")
    list_select_related = ("created_by",)
    actions = ["enable", "disable"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ("name", "url", "event_types")
        return (*fields, *self.readonly_fields) if obj else fields

    @admin.display(description="Events")
    def events(self, obj: WebhookSubscription) -> str:
        return ", ".join(EVENT_TYPES.get(t, t) for t in obj.event_types)

    @admin.display(description="State")
    def state(self, obj: WebhookSubscription) -> str:
        if obj.active:
            return "Active"
        return f"Disabled {_when(obj.disabled_at)}: {obj.disabled_reason}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool):
        data = form.cleaned_data
        args = {
            "name": data["name"],
            "url": data["url"],
            "event_types": data["event_types"],
        }
        if change:
            services.subscription_update(actor=request.user, subscription=obj, **args)
            return
        sub, raw = services.subscription_create(actor=request.user, **args)
        obj.pk = sub.pk
        # Kept on this request only: never in the messages cookie or the session.
        request._webhook_secret = raw  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: Any = None
    ) -> HttpResponse:
        """The secret's only appearance: in this response's body, never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "subscription": obj,
            "secret": request._webhook_secret,  # type: ignore[attr-defined]
            "title": f"Signing secret for {obj.name}",
        }
        response = TemplateResponse(request, "webhooks/secret_created.html", context)
        add_never_cache_headers(response)
        return response

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its delivery log is evidence: disable it instead

    @admin.action(description="Enable selected subscriptions", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sum(
            services.subscription_enable(actor=request.user, subscription=s)
            for s in queryset
        )
        self.message_user(request, f"{count} subscription(s) enabled.")

    @admin.action(description="Disable selected subscriptions", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = f"disabled by {request.user.get_username()}"
        count = sum(
            services.subscription_disable(
                actor=request.user, subscription=s, reason=reason
            )
            for s in queryset
        )
        self.message_user(request, f"{count} subscription(s) disabled.")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "outcome", "duration")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="What happened")
    def outcome(self, obj: WebhookAttempt) -> str:
        if obj.status_code and 200 <= obj.status_code < 300:
            return f"Delivered (answered {obj.status_code})"
        return obj.error or "Failed"

    @admin.display(description="Took")
    def duration(self, obj: WebhookAttempt) -> str:
        return f"{obj.duration_ms / 1000:.2f} s"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "subscription", "state")
    list_filter = ("status", "event_type", "subscription")
    list_select_related = ("subscription",)
    show_full_result_count = False
    fields = ("subscription", "event", "about", "created_at", "state", "payload_pre")
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.display(description="Event")
    def event(self, obj: WebhookDelivery) -> str:
        return EVENT_TYPES.get(obj.event_type, obj.event_type)

    @admin.display(description="State")
    def state(self, obj: WebhookDelivery) -> str:
        return delivery_state(obj)

    @admin.display(description="About")
    def about(self, obj: WebhookDelivery) -> str:
        thing = obj.payload.get("object", {})
        name = str(thing.get("type", "")).replace("_", " ")
        ref = thing.get("reference") or thing.get("purpose") or thing.get("id")
        about = f"{name.capitalize()} {ref or ''}".strip()
        many = obj.payload.get("objects") or []
        if len(many) > 1:  # a sweep batch or an erasure: name how many went
            about += f": {len(many):,} {many[0].get('type', 'item')}s"
        return about

    @admin.display(description="What was sent")
    def payload_pre(self, obj: WebhookDelivery) -> str:
        text = json.dumps(obj.payload, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("_changelist"):
            # The list shows no payload; a batch's lists ~2,000 recordings.
            rows = rows.defer("payload")
        return rows

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # A log entry: nothing to save (the list's action sends one again).
        extra = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        kwargs["extra_context"] = {**(kwargs.get("extra_context") or {}), **extra}
        return super().change_view(request, object_id, *args, **kwargs)

    @admin.action(description="Send the selected events again", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent = 0
        for delivery in queryset:
            try:
                services.delivery_redeliver(actor=request.user, delivery=delivery)
            except services.WebhookError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            sent += 1
        self.message_user(request, f"{sent} event(s) queued to be sent again.")

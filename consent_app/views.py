"""Public pages: preference centre, one-click unsubscribe, policy (the API: api.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from consent_app import links
from consent_app.forms import WITHDRAW_ALL, ChoiceForm, EmailForm
from consent_app.gpc import client_ip, honour_gpc
from consent_app.models import (
    ConsentEvent,
    ConsentLink,
    ConsentState,
    PolicyVersion,
    Purpose,
    Source,
)
from consent_app.policy import render_markdown
from consent_app.services import (
    CHILD_REASON,
    ConsentError,
    UnknownPurpose,
    consent_allows,
    consent_grant,
    consent_withdraw,
    consent_withdraw_all,
)
from privacyportal import fastcache
from privacyportal.audit.services import Actor
from privacyportal.subjects.models import DataSubject


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Ask for an address; known or not, the answer is the same page."""
    form = EmailForm(request.POST or None)
    days = settings.CONSENT_PREFERENCE_LINK_DAYS
    if request.method == "POST" and not _ip_allowed(request):
        return render(request, "requests/rate_limited.html", status=429)
    if request.method == "POST" and form.is_valid():
        links.preference_link_request_async(
            email=form.cleaned_data["email"], language=translation.get_language()
        )
        return render(request, "consent/link_sent.html", {"days": days})
    return render(request, "consent/preferences.html", {"form": form, "days": days})


def _ip_allowed(request: HttpRequest) -> bool:
    """Link requests per IP address per hour: each valid one costs a task."""
    limit = settings.CONSENT_LINK_REQUESTS_PER_IP
    return fastcache.hits("consent", [("link-ip", client_ip(request) or "", limit)])


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "consent/link_invalid.html", status=404)


def _purpose_rows(subject: DataSubject) -> list[dict[str, Any]]:
    states = {
        s.purpose_id: s for s in ConsentState.objects.filter(subject_id=subject.pk)
    }
    rows = []
    for purpose in Purpose.objects.filter(active=True):
        state = states.get(purpose.pk)
        rows.append(
            {
                "purpose": purpose,
                "on": consent_allows(subject, purpose.code),
                "chosen": state is not None and state.last_event_id is not None,
                "since": state.since if state else None,
                "needs_renewal": purpose.reconsent_since is not None
                and (state is None or state.since < purpose.reconsent_since)
                and (state.granted if state else purpose.default_granted),
            }
        )
    return rows


# Reasons the portal itself records (services, links); any other reason was
# typed by staff and is shown as stored.
_KNOWN_REASONS = {
    CHILD_REASON: _("child under 13"),
    "marketing opt-out": _("marketing opt-out"),
    "Global Privacy Control signal": _("Global Privacy Control signal"),
}


def _history(subject: DataSubject) -> list[ConsentEvent]:
    events = list(
        ConsentEvent.objects.filter(subject_id=subject.pk)
        .select_related("purpose", "policy_version")
        .order_by("-occurred_at", "-pk")[:200]
    )
    for event in events:
        event.public_reason = _KNOWN_REASONS.get(event.reason, event.reason)
    return events


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Every purpose with its current choice; one click grants or withdraws one,
    and one click withdraws all of them (turning off is never harder than on)."""
    link = links.link_resolve(token, ConsentLink.Kind.PREFERENCES)
    if link is None:
        return _invalid_link(request)
    subject = link.subject
    gpc = honour_gpc(request, subject)
    error = ""
    if request.method == "POST":
        error, saved = _apply_choice(request, subject, link)
        if not error:
            return redirect(f"{request.path}?saved={saved}")
    saved = request.GET.get("saved", "") if not error else ""
    context = {
        "subject": subject,
        "rows": _purpose_rows(subject),
        "history": _history(subject),
        "version": PolicyVersion.objects.current(),
        "gpc": gpc,
        "error": error,
        "saved": saved in ("1", "all"),
        "saved_all": saved == "all",
    }
    return render(request, "consent/manage.html", context, status=400 if error else 200)


def _change_kwargs(request: HttpRequest, subject: DataSubject) -> dict[str, Any]:
    """What every change from this page records: who, from where, with what."""
    return {
        "actor": Actor.subject(subject.pk),
        "subject": subject,
        "source": Source.PREFERENCE_CENTRE,
        "ip": client_ip(request),
        "user_agent": request.headers.get("User-Agent", ""),
    }


_NOT_UNDERSTOOD = _("That choice was not understood. Please use the buttons below.")
_UNKNOWN_PURPOSE = _("We do not know that purpose. Please use the buttons below.")


def _apply_choice(
    request: HttpRequest, subject: DataSubject, link: Any
) -> tuple[str, str]:
    """Apply one button; returns (error message or '', what to confirm)."""
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        return str(_NOT_UNDERSTOOD), ""
    kwargs = _change_kwargs(request, subject)
    if form.cleaned_data["choice"] == WITHDRAW_ALL:
        evidence = f"preference centre, turn everything off, link #{link.pk}"
        consent_withdraw_all(evidence=evidence, **kwargs)
        return "", "all"
    change = (
        consent_grant if form.cleaned_data["choice"] == "grant" else consent_withdraw
    )
    try:
        change(
            purpose=form.cleaned_data["purpose"],
            evidence=f"preference centre, link #{link.pk}",
            **kwargs,
        )
    except UnknownPurpose:
        return str(_UNKNOWN_PURPOSE), ""
    except ConsentError as exc:
        return str(exc), ""
    return "", "1"


# RFC 8058: the POST comes from a mail provider with no cookie and no CSRF token;
# the secret token in the URL is the only authority, and it allows one thing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    link = links.link_resolve(token, ConsentLink.Kind.UNSUBSCRIBE)
    if link is None:
        return _invalid_link(request)
    context = {"purpose": link.purpose}
    if request.method in ("GET", "HEAD"):
        # Link scanners follow GETs: a GET only shows the button.
        return render(request, "consent/unsubscribe.html", context)
    links.unsubscribe(
        link=link,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return render(request, "consent/unsubscribed.html", context)


@require_safe
def policy(request: HttpRequest) -> HttpResponse:
    version = PolicyVersion.objects.current()
    html = render_markdown(version.text) if version else ""
    return render(request, "consent/policy.html", {"version": version, "html": html})

"""The public side of incidents: reporting a compromised account.

Like the request form: no account, CSRF, a honeypot, hourly limits per
address and per e-mail, POST/redirect/GET to one "check your inbox" page
whatever the address, and a confirmation link that asks for a click.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from incidents_app import services
from incidents_app.public_forms import CompromiseForm
from privacyportal import languages
from privacyportal.netaddr import client_ip
from requests_app import ratelimit
from requests_app.services.common import LinkInvalid

FORM = "incidents/public/form.html"


def _limits(request: HttpRequest, form: CompromiseForm, valid: bool) -> list:
    """The hourly counters a post moves (as requests_app.views._limits).

    A refused post counts only against the generous allowance for mistakes;
    a filing (or a bot's post, which looks like one) against the address and,
    when it sends mail, the e-mail address.
    """
    ip = client_ip(request)
    if not valid:
        return [("compromise-invalid", ip, settings.REQUEST_INVALID_RATE_PER_IP)]
    checks = [("compromise-ip", ip, settings.REQUEST_RATE_PER_IP)]
    if not form.is_bot:
        email = form.cleaned_data["email"].lower()
        checks.append(("compromise-email", email, settings.REQUEST_RATE_PER_EMAIL))
    return checks


@require_http_methods(["GET", "HEAD", "POST"])
def compromise_form(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return render(request, FORM, {"form": CompromiseForm()})
    form = CompromiseForm(request.POST)
    valid = form.is_valid()
    if not ratelimit.hits(_limits(request, form, valid)):
        return render(request, "requests/rate_limited.html", status=429)
    if not valid:
        return render(request, FORM, {"form": form}, status=400)
    if not form.is_bot:
        data = form.cleaned_data
        # The same INSERT and e-mail for every address: nothing is looked up.
        services.compromise_report_submit(
            what_happened=data["what_happened"],
            happened_on=data["happened_on"],
            email=data["email"],
            phone=data["phone"],
            account_name=data["account_name"],
            language=translation.get_language() or "",
        )
    return redirect("incidents:compromise_sent")


@require_safe
def compromise_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/public/sent.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def compromise_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for a click (mail scanners prefetch links); POST confirms."""
    try:
        if request.method in ("GET", "HEAD"):
            report = services.compromise_report_find(token, now=timezone.now())
            languages.speak(request, report.language)
            return render(
                request,
                "incidents/public/confirm.html",
                {"token": token, "report": report},
            )
        report = services.compromise_report_verify(token=token)
    except LinkInvalid as exc:
        if services.compromise_link_confirmed(token):
            return render(request, "incidents/public/already_confirmed.html")
        expired = isinstance(exc, services.CompromiseLinkExpired)
        return render(
            request,
            "incidents/public/link_invalid.html",
            status=410 if expired else 404,
        )
    languages.speak(request, report.language)
    return render(request, "incidents/public/confirmed.html", {"report": report})

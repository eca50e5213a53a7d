"""The public side: the request form, verification links and the status page.

Every answer to a link that is unknown, used or expired is the same neutral
page, so nothing about any request can be learned by trying URLs.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from privacyportal.audit.services import Actor
from requests_app import ratelimit, services
from requests_app.forms import AnswerForm, RequestForm
from requests_app.models import PrivacyRequest, RequestLink
from requests_app.services import LinkExpired, LinkInvalid, RequestError, Submission


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _limited(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/rate_limited.html", status=429)


def _invalid_link(request: HttpRequest, token: str, *, expired: bool) -> HttpResponse:
    # One page for unknown, used and expired links; only the status code differs.
    return render(
        request,
        "requests/link_invalid.html",
        {"token": token},
        status=410 if expired else 404,
    )


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "requests/form.html", {"form": RequestForm()})
    if not ratelimit.hit("ip", _ip(request), settings.REQUEST_RATE_PER_IP):
        return _limited(request)
    form = RequestForm(request.POST)
    if not form.is_valid():
        return render(request, "requests/form.html", {"form": form}, status=400)
    if form.is_bot:
        return render(request, "requests/sent.html")
    data = form.cleaned_data
    if not ratelimit.hit("email", data["email"], settings.REQUEST_RATE_PER_EMAIL):
        return _limited(request)
    submission = Submission(
        type=data["type"],
        email=data["email"],
        name=data["name"],
        country=data["country"],
        region=data["region"],
        relationship=data["relationship"],
        details=data["details"],
        is_agent=data["is_agent"],
        agent_name=data["agent_name"],
        agent_email=data["agent_email"],
    )
    services.request_submit(actor=Actor.subject(None), submission=submission)
    # The same page whatever we know of the address (no reference, no name).
    return render(request, "requests/sent.html")


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for a click (mail scanners prefetch links); POST verifies."""
    try:
        if request.method == "GET":
            link = services.link_find(
                token, RequestLink.Purpose.VERIFY, now=timezone.now()
            )
            if link.request.status != PrivacyRequest.Status.RECEIVED:
                raise LinkInvalid("already verified")
            return render(request, "requests/verify.html", {"token": token})
        _, status_token = services.request_verify(token=token)
    except LinkExpired:
        return _invalid_link(request, token, expired=True)
    except LinkInvalid:
        return _invalid_link(request, token, expired=False)
    return redirect("requests:status", token=status_token)


@require_POST
def resend(request: HttpRequest, token: str) -> HttpResponse:
    if not ratelimit.hit("resend", _ip(request), settings.REQUEST_RESEND_RATE):
        return _limited(request)
    services.request_resend_verification(token=token)
    return render(request, "requests/link_sent.html")


def _status_link(token: str) -> RequestLink:
    return services.link_find(token, RequestLink.Purpose.STATUS, now=timezone.now())


def _status_page(
    request: HttpRequest,
    token: str,
    link: RequestLink,
    *,
    answer_form: AnswerForm | None = None,
    error: str = "",
    code: int = 200,
) -> HttpResponse:
    req = link.request
    context = {
        "req": req,
        "token": token,
        "public_events": req.events.filter(public=True).order_by("at", "id"),
        "can_withdraw": req.is_open,
        "answer_form": answer_form or AnswerForm(),
        "error": error,
    }
    return render(request, "requests/status.html", context, status=code)


@require_http_methods(["GET"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _status_link(token)
    except LinkInvalid as exc:
        return _invalid_link(request, "", expired=isinstance(exc, LinkExpired))
    return _status_page(request, token, link)


@require_POST
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _status_link(token)
    except LinkInvalid as exc:
        return _invalid_link(request, "", expired=isinstance(exc, LinkExpired))
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _status_page(request, token, link, answer_form=form, code=400)
    try:
        services.request_answer(
            request=link.request,
            answer=form.cleaned_data["answer"],
            actor=Actor.subject(link.request.subject_id),
        )
    except RequestError as exc:
        return _status_page(request, token, link, error=str(exc), code=409)
    return redirect("requests:status", token=token)


@require_POST
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _status_link(token)
    except LinkInvalid as exc:
        return _invalid_link(request, "", expired=isinstance(exc, LinkExpired))
    try:
        services.request_withdraw(
            request=link.request, actor=Actor.subject(link.request.subject_id)
        )
    except RequestError as exc:
        return _status_page(request, token, link, error=str(exc), code=409)
    return redirect("requests:status", token=token)

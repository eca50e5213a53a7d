"""The public side: the request form, verification links and the status page.

Every answer to a link that is unknown, used or expired is the same neutral
page, so nothing about any request can be learned by trying URLs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from consent_app.gpc import gpc_requested, honour_gpc
from privacyportal import languages
from privacyportal.audit.services import Actor
from privacyportal.netaddr import client_ip
from privacyportal.tasks import enqueue
from requests_app import public_words, ratelimit, services
from requests_app.appeal_forms import AppealForm
from requests_app.forms import (
    AnswerForm,
    CorrectionForm,
    LostLinkForm,
    RequestForm,
    RequestValidation,
)
from requests_app.fulfilment import erasure, exports, rectification
from requests_app.models import PrivacyRequest, RequestLink, SourceOutcome
from requests_app.services import LinkExpired, LinkInvalid, RequestError, appeals
from requests_app.tasks import status_link_resend_task

log = logging.getLogger(__name__)
# Appeal attempts per status link and hour: one is enough, a few allow mistakes.
APPEAL_LIMIT = 10


def _ip(request: HttpRequest) -> str:
    return client_ip(request)


def _limited(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/rate_limited.html", status=429)


def _invalid_link(request: HttpRequest, token: str, *, expired: bool) -> HttpResponse:
    # One page for unknown, used and expired links; only the status code differs.
    # (A used verification link of a verified request gets _already_confirmed.)
    return render(
        request,
        "requests/link_invalid.html",
        {"token": token},
        status=410 if expired else 404,
    )


_SUBMISSION_FIELDS = (
    "type",
    "email",
    "name",
    "country",
    "region",
    "relationship",
    "details",
    "is_agent",
    "agent_name",
    "agent_email",
    "correction_field",
    "correction_value",
)


def _submission_data(data: dict) -> dict:
    # Cleaned values only (all JSON-serialisable); never the honeypot.
    return {name: data.get(name) or "" for name in _SUBMISSION_FIELDS} | {
        "is_agent": bool(data.get("is_agent")),
        # The page's language: later e-mails about the request are written in it.
        "language": translation.get_language() or "",
    }


@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return render(request, "requests/form.html", {"form": RequestForm()})
    form = RequestValidation(request.POST)
    valid = form.is_valid()
    if not ratelimit.hits(_limits(request, form, valid)):
        return _limited(request)
    if not valid:
        shown = RequestForm(request.POST)
        shown.is_valid()
        return render(request, "requests/form.html", {"form": shown}, status=400)
    if form.is_bot:
        return redirect("requests:sent")
    data = form.cleaned_data
    # Accept fast: one INSERT here; the request, its clock, timeline, audit
    # event and e-mail are made by a task (see services/submissions.py). The
    # work is the same whether or not the address is known.
    services.submission_accept(
        data=_submission_data(data),
        ip=_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        gpc=gpc_requested(request),
    )
    # POST/redirect/GET: a refresh does not file again, and nothing of the
    # request is in the URL. The same page whatever we know of the address.
    if data["type"] == PrivacyRequest.Type.MARKETING_OPT_OUT:
        return redirect("requests:opted_out")
    return redirect("requests:sent")


def _limits(request: HttpRequest, form: Any, valid: bool) -> list:
    """Which hourly counters this post moves (one round trip for all).

    A post the form refuses counts only against a generous per-address
    allowance for mistakes, so a person fixing typos is never told to wait;
    filings (and bot posts, which look like filings) count against the
    address and, when they would send mail, against the e-mail address.
    """
    ip = _ip(request)
    if not valid:
        return [("invalid", ip, settings.REQUEST_INVALID_RATE_PER_IP)]
    checks = [("ip", ip, settings.REQUEST_RATE_PER_IP)]
    if not form.is_bot:
        checks.append(
            ("email", form.cleaned_data["email"], settings.REQUEST_RATE_PER_EMAIL)
        )
    return checks


@require_safe
def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/sent.html")


@require_safe
def opted_out(request: HttpRequest) -> HttpResponse:
    return render(request, "requests/opted_out.html")


def _already_confirmed(request: HttpRequest) -> HttpResponse:
    # Says where the status is, never what the request is: a forwarded or
    # leaked old e-mail must not show its reference, name or type.
    return render(request, "requests/already_confirmed.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for a click (mail scanners prefetch links); POST verifies.

    A link whose request is verified already (opened again, or "Confirm"
    pressed twice) says so; any other bad link gets the neutral page.
    """
    try:
        if request.method in ("GET", "HEAD"):
            link = services.link_find(
                token, RequestLink.Purpose.VERIFY, now=timezone.now()
            )
            if link.request.status != PrivacyRequest.Status.RECEIVED:
                raise LinkInvalid("already verified")
            languages.speak(request, link.request.language)
            # What is being confirmed, so a request someone else filed for
            # this address is recognised, not confirmed blindly.
            req = link.request
            context = {
                "token": token,
                "req": req,
                "place": public_words.place(req.country, req.region),
                "corrections": req.corrections.all(),
            }
            return render(request, "requests/verify.html", context)
        verified, status_token = services.request_verify(token=token)
        honour_gpc(request, verified.subject)
    except LinkInvalid as exc:
        if services.verify_link_confirmed(token):
            return _already_confirmed(request)
        return _invalid_link(request, token, expired=isinstance(exc, LinkExpired))
    return redirect("requests:status", token=status_token)


@never_cache
@require_POST
def resend(request: HttpRequest, token: str) -> HttpResponse:
    if not ratelimit.hit("resend", _ip(request), settings.REQUEST_RESEND_RATE):
        return _limited(request)
    # Per request too (hashed in the cache): many addresses must not make one
    # request send verification e-mails without end.
    identity = services.resend_limit_identity(token)
    if not ratelimit.hit("resend-request", identity, settings.REQUEST_RESEND_RATE):
        return _limited(request)
    services.request_resend_verification(token=token)
    return render(request, "requests/link_sent.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lost_link(request: HttpRequest) -> HttpResponse:
    """Ask for a new status link by e-mail and reference.

    The answer is the same page whether or not they match a request, and the
    look-up happens in a task, so neither the page nor its timing tells.
    """
    form = LostLinkForm(request.POST or None)
    if request.method in ("GET", "HEAD"):
        return render(request, "requests/lost_link.html", {"form": form})
    # As on the request form: a mistyped reference uses the allowance for
    # mistakes, not the few new links an address may ask for.
    ip, valid = _ip(request), form.is_valid()
    checks = [("invalid", ip, settings.REQUEST_INVALID_RATE_PER_IP)]
    if valid:
        email, rate = form.cleaned_data["email"], settings.REQUEST_RESEND_RATE
        checks = [("lost-link", ip, rate), ("lost-link-email", email, rate)]
    if not ratelimit.hits(checks):
        return _limited(request)
    if not valid:
        return render(request, "requests/lost_link.html", {"form": form}, status=400)
    # Kept if the broker is down: the request exists nowhere else yet.
    enqueue(status_link_resend_task, email, form.cleaned_data["reference"], keep=True)
    return render(request, "requests/lost_link_sent.html")


def _status_link(token: str) -> RequestLink:
    return services.link_find(token, RequestLink.Purpose.STATUS, now=timezone.now())


def _described(form: AnswerForm, question: str) -> AnswerForm:
    """The answer box is described by its question (and its error, if any)."""
    described = (["question-text"] if question else []) + (
        ["answer-errors"] if form.errors else []
    )
    if described:
        form.fields["answer"].widget.attrs["aria-describedby"] = " ".join(described)
    return form


def _status_page(
    request: HttpRequest,
    token: str,
    link: RequestLink,
    *,
    answer_form: AnswerForm | None = None,
    correction_form: CorrectionForm | None = None,
    appeal_form: AppealForm | None = None,
    error: str = "",
    code: int = 200,
) -> HttpResponse:
    req = link.request
    honour_gpc(request, req.subject)
    can_cancel = bool(req.erasure_approved_at and not req.erasure_started_at)
    events = list(req.events.filter(public=True).order_by("at", "id"))
    question = public_words.pending_question(req, events)
    context = {
        "req": req,
        "token": token,
        "status_words": public_words.status_words(req.status),
        # A stopped clock (UK/EU law): the due date moves when they answer.
        "clock_paused": req.paused_at is not None,
        "question": question,
        "public_entries": public_words.entries(req, events),
        "can_withdraw": req.is_open and not req.erasure_started_at,
        "can_cancel_erasure": can_cancel and req.is_open,
        "answer_form": _described(answer_form or AnswerForm(), question),
        "correction_form": correction_form or CorrectionForm(),
        "can_correct": req.type == PrivacyRequest.Type.RECTIFICATION and req.is_open,
        "corrections": req.corrections.all(),
        "outcomes": [
            (o, public_words.outcome_words(o.outcome))
            for o in req.outcomes.filter(status=SourceOutcome.Status.DONE)
        ],
        "error": error,
        # A confirmed "Make a complaint" is worked as a complaint: the
        # requester follows that, not the request record it was filed through.
        "complaint": req.complaints.first() if req.type == req.Type.COMPLAINT else None,
        **_appeal_context(req, appeal_form),
    }
    return render(request, "requests/status.html", context, status=code)


def _appeal_context(req: PrivacyRequest, form: AppealForm | None) -> dict:
    """The appeal offered (with its last day) or the appeal already filed."""
    offer = appeals.offer(req)
    if offer is None:
        return {}
    filed = appeals.current(req)
    return {
        "appeal_offer": offer,
        "appeal": filed,
        "appeal_open": filed is None and timezone.now() <= offer.until_at,
        "appeal_form": form or AppealForm(),
    }


def with_status_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the status link first; any bad link gets the neutral page."""

    @never_cache  # pages behind a secret link stay out of every cache
    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponse:
        try:
            link = _status_link(token)
        except LinkInvalid as exc:
            return _invalid_link(request, "", expired=isinstance(exc, LinkExpired))
        # Before the view acts: a refusal it shows is in the same language.
        languages.speak(request, link.request.language)
        return view(request, token, link)

    return wrapped


def _act(
    request: HttpRequest,
    token: str,
    link: RequestLink,
    action: Callable[[Actor], object],
    *,
    code: int = 409,
) -> HttpResponse:
    """Run one requester action; a refusal is shown on the status page."""
    try:
        action(Actor.subject(link.request.subject_id))
    except RequestError as exc:
        return _status_page(request, token, link, error=str(exc), code=code)
    return redirect("requests:status", token=token)


@require_safe
@with_status_link
def status(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    return _status_page(request, token, link)


@require_POST
@with_status_link
def answer(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _status_page(request, token, link, answer_form=form, code=400)
    text = form.cleaned_data["answer"]
    return _act(
        request,
        token,
        link,
        lambda actor: services.request_answer(
            request=link.request, answer=text, actor=actor
        ),
    )


@require_POST
@with_status_link
def withdraw(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    return _act(
        request,
        token,
        link,
        lambda actor: services.request_withdraw(request=link.request, actor=actor),
    )


@require_POST
@with_status_link
def cancel_erasure(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    return _act(
        request,
        token,
        link,
        lambda actor: erasure.erasure_cancel(
            actor=actor, request=link.request, by_requester=True
        ),
    )


@require_POST
@with_status_link
def add_correction(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _status_page(request, token, link, correction_form=form, code=400)
    change = (form.cleaned_data["field"], form.cleaned_data["value"])
    return _act(
        request,
        token,
        link,
        lambda actor: rectification.corrections_add(
            actor=actor, request=link.request, corrections=[change]
        ),
        code=400,
    )


@require_POST
@with_status_link
def appeal(request: HttpRequest, token: str, link: RequestLink) -> HttpResponse:
    """File an appeal; a refusal (too late, already filed) is shown on the page."""
    if not ratelimit.hit("appeal", link.token_hash, APPEAL_LIMIT):
        return _limited(request)
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _status_page(request, token, link, appeal_form=form, code=400)
    text = form.cleaned_data["text"]
    return _act(
        request,
        token,
        link,
        lambda actor: appeals.appeal_file(request=link.request, text=text, actor=actor),
        code=400,
    )


def _export_gone(request: HttpRequest, expired: bool) -> HttpResponse:
    return _invalid_link(request, "", expired=expired)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners prefetch links); POST downloads once."""
    try:
        if request.method in ("GET", "HEAD"):
            package = exports.export_find(token)
            languages.speak(request, package.request.language)
            return render(request, "requests/export.html", {"package": package})
        package, handle = exports.export_download(token=token, ip=_ip(request))
    except LinkExpired:
        return _export_gone(request, expired=True)
    except (LinkInvalid, OSError):
        return _export_gone(request, expired=False)
    name = f"{package.request.reference}-my-data.zip"
    response = _ExportResponse(handle, as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    if package.download_count >= package.max_downloads:
        response.discard_after = package.pk
    return response


class _ExportResponse(FileResponse):
    """Deletes a used-up package once its last download has been sent.

    The server calls close() after the last byte went out (or the client left):
    the file is no longer read, and the link cannot be used again anyway. If this
    fails, the fulfilment dispatch job deletes the package within minutes.
    """

    discard_after: int | None = None

    def close(self) -> None:
        super().close()
        if self.discard_after is not None:
            try:
                exports.export_discard(package_id=self.discard_after)
            except DatabaseError:
                log.warning("export %s not deleted yet", self.discard_after)

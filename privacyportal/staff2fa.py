"""Staff sign-in with a second factor: TOTP apps, with one-time recovery codes.

With ``STAFF_2FA_REQUIRED`` (on whenever ``DEBUG`` is off) a staff member who
signed in with a password reaches nothing under /admin/ until they enter a
code from their authenticator app, or a recovery code. Someone without an app
yet is taken through enrolment first: scan the QR code (or type the key),
confirm one code, and note ten recovery codes shown once.

django-otp keeps the devices and marks the session verified; this module is
the flow around it. Failed codes count as failed logins for django-axes, so
the lockout after 5 failures per username and address covers both factors.
"""

from __future__ import annotations

from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal import audit

RECOVERY_CODES = 10
# Paths a signed-in staff member may reach before the second factor.
OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/second-factor/")


def required(user: Any) -> bool:
    return bool(settings.STAFF_2FA_REQUIRED and user.is_authenticated and user.is_staff)


class SecondFactorMiddleware:
    """Nothing under /admin/ for a staff session without its second factor."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/admin/")
            and not request.path.startswith(OPEN_PATHS)
            and required(request.user)
            and not request.user.is_verified()
        ):
            return redirect(f"{reverse('second_factor')}?next={_next(request)}")
        return self.get_response(request)


def _next(request: HttpRequest) -> str:
    from urllib.parse import quote

    return quote(request.get_full_path(), safe="/")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        label="Code",
        help_text="The 6 digits your authenticator app shows, or a recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class SetupCodeForm(CodeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "The 6 digits your authenticator app shows."


def _credentials(request: HttpRequest) -> dict:
    return {"username": request.user.get_username()}


def _locked(request: HttpRequest) -> bool:
    return AxesProxyHandler.is_locked(request, credentials=_credentials(request))


def _failed(request: HttpRequest) -> None:
    # Counted by django-axes like a wrong password.
    user_login_failed.send(
        sender=__name__, credentials=_credentials(request), request=request
    )


def _render(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    response = TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), "next": _safe_next(request), **context},
    )
    response["Cache-Control"] = "no-store"
    return response


def verify_view(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the app or a recovery code."""
    if not required(request.user) or request.user.is_verified():
        return HttpResponseRedirect(_safe_next(request))
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('second_factor_setup')}?next={_next(request)}")
    if _locked(request):
        return _render(request, "admin/second_factor.html", form=None, locked=True)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                _recovery_code_used(request, device)
            return HttpResponseRedirect(_safe_next(request))
        _failed(request)
        form.add_error("code", "That code is not right. Check your app's clock.")
    return _render(request, "admin/second_factor.html", form=form, locked=False)


def _recovery_code_used(request: HttpRequest, device: StaticDevice) -> None:
    with transaction.atomic():
        audit.record(
            "portal.staff.recovery_code_used",
            actor=request.user,
            data={"codes_left": device.token_set.count()},
        )


def setup_view(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan, confirm one code, then see the recovery codes once."""
    if not required(request.user):
        return HttpResponseRedirect(_safe_next(request))
    if user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('second_factor')}?next={_next(request)}")
    device = _pending_device(request.user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = _enrol(request, device)
            return _render(request, "admin/second_factor_codes.html", codes=codes)
        _failed(request)
        form.add_error("code", "That code is not right. Scan the code again and retry.")
    qr = segno.make(device.config_url, error="m")
    return _render(
        request,
        "admin/second_factor_setup.html",
        form=form,
        qr_svg=qr.svg_inline(scale=4, omitsize=False),
        secret=_grouped_secret(device),
    )


def _pending_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )


def _grouped_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _enrol(request: HttpRequest, device: TOTPDevice) -> list[str]:
    """Confirm the app, replace any recovery codes, mark the session verified."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=request.user).delete()
        recovery = StaticDevice.objects.create(
            user=request.user, name="Recovery codes", confirmed=True
        )
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(
            StaticToken(device=recovery, token=code) for code in codes
        )
        audit.record("portal.staff.second_factor_enrolled", actor=request.user)
    otp_login(request, device)
    return codes


urlpatterns = [
    path("", admin.site.admin_view(verify_view, cacheable=False), name="second_factor"),
    path(
        "setup/",
        admin.site.admin_view(setup_view, cacheable=False),
        name="second_factor_setup",
    ),
]

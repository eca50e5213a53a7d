"""Requests made the way the portal makes them: through the services."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from privacyportal import mail as outbox
from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from requests_app import services
from requests_app.models import DeadlineRule, PrivacyRequest
from requests_app.services import Submission

_counter = {"n": 0}


def staff_user(username: str, role: str | None = None, **extra: Any):
    user = get_user_model().objects.create_user(
        username,
        f"{username}@staff.example",
        "pw-Very-Long-123",
        is_staff=True,
        **extra,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def submission(**overrides: Any) -> Submission:
    _counter["n"] += 1
    values = {
        "type": PrivacyRequest.Type.ACCESS,
        "email": f"requester{_counter['n']}@example.org",
        "name": "Ada Requester",
        "country": "DE",
        "relationship": PrivacyRequest.Relationship.CUSTOMER,
        "details": "",
    }
    values.update(overrides)
    return Submission(**values)


def submit(**overrides: Any) -> PrivacyRequest:
    return services.request_submit(
        actor=Actor.subject(None), submission=submission(**overrides)
    )


def token_from(request: PrivacyRequest, template: str = "request_verify") -> str:
    """The token in the newest e-mail of that kind, as the requester receives it.

    Tokens are minted when an e-mail is sent and stored nowhere but in it, so
    the e-mail is sent (if it was not yet) and its link read from the message.
    """
    email = (
        OutboundEmail.objects.filter(
            key__startswith=f"request:{request.pk}:", template=template
        )
        .order_by("-pk")
        .first()
    )
    subject = None
    if email.status == OutboundEmail.Status.PENDING:
        context = outbox.resolve(email.context, mint=False)
        subject = outbox.render(template, context, email.language)[0]
        outbox.send_one(email.pk)
    path = "/verify/" if template == "request_verify" else "/status/"
    pattern = re.compile(rf"https?://\S+/privacy/request{path}([^/\s]+)/")
    for message in reversed(mail.outbox):
        found = pattern.search(message.body)
        if message.to == [email.to] and found and subject in (None, message.subject):
            return found.group(1)
    raise AssertionError(f"no {template} e-mail with a link to {email.to}")


def verified(**overrides: Any) -> PrivacyRequest:
    with outbox.sending_here():  # see fulfilment_helpers.verified_for
        request = submit(**overrides)
    request, _ = services.request_verify(token=token_from(request))
    return request


def in_progress(assignee, **overrides: Any) -> PrivacyRequest:
    request = verified(**overrides)
    services.request_assign(actor=assignee, request=request, assignee=assignee)
    return request


def reseed_deadline_rules() -> None:
    """The rules the migrations seed, for tests after a flush (live-server tests).

    The first seed predates rule versions; its rows get the dates and sources
    the later seed gives them, then that seed adds the newer rules.
    """
    import importlib

    from django.apps import apps

    first = importlib.import_module("requests_app.migrations.0002_seed_deadline_rules")
    later = importlib.import_module("requests_app.migrations.0009_seed_rule_versions")
    for rule in first.RULES:
        fields = {**rule, **later.EXISTING.get(rule["code"], {})}
        DeadlineRule.objects.update_or_create(code=rule["code"], defaults=fields)
    later.seed(apps, None)
    marks = importlib.import_module("requests_app.migrations.0011_extension_by_notice")
    marks.mark(apps, None)

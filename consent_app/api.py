"""Consent over the API: answers, changes with evidence, unsubscribe headers.

Collected by privacyportal/api/urls.py under /api/v1/. A key with
consent:read is a trusted integration: an address the portal does not know
gets the purpose's default answer, exactly as ``consent_allows`` gives it, so
answers never differ between known and unknown addresses except by what the
person chose. Errors are checked before any address is looked up.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consent_app.links import unsubscribe_headers
from consent_app.models import ConsentState, Purpose, Source
from consent_app.services import (
    ConsentAnswer,
    ConsentError,
    consent_allows,
    consent_answer,
    consent_answers,
    consent_grant,
    consent_withdraw,
)
from privacyportal.api.authentication import api_actor
from privacyportal.api.idempotency import idempotent
from privacyportal.api.permissions import scope
from privacyportal.api.problems import Problem
from privacyportal.api.serializers import EmailField, StrictSerializer
from privacyportal.mail import resolve
from privacyportal.subjects.models import DataSubject, normalize_email
from privacyportal.subjects.services import subject_get_or_create

BATCH_MAX = 100


def _active_purpose(code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code, active=True).first()
    if purpose is None:
        raise serializers.ValidationError("Unknown purpose.")
    return purpose


class AnswerSerializer(serializers.Serializer):
    email = EmailField()
    purpose = serializers.CharField()
    allowed = serializers.BooleanField()
    since = serializers.DateTimeField(allow_null=True)
    policy_version = serializers.CharField(allow_null=True)


def _answer(email: str, code: str, answer: ConsentAnswer) -> dict[str, Any]:
    return {
        "email": email.strip().lower(),
        "purpose": code,
        "allowed": answer.allowed,
        "since": answer.since.isoformat() if answer.since else None,
        "policy_version": answer.policy_version,
    }


# --- reads -----------------------------------------------------------------------


class OneQuery(serializers.Serializer):
    email = EmailField()
    purpose = serializers.CharField()


class CheckedOneQuery(OneQuery):
    def validate_purpose(self, code: str) -> Purpose:
        return _active_purpose(code)


class ConsentView(APIView):
    """Whether one person's data may be used for one purpose."""

    permission_classes = [scope("consent:read")]

    @extend_schema(parameters=[OneQuery], responses=AnswerSerializer)
    def get(self, request: Request) -> Response:
        query = OneQuery(data=request.query_params)
        if not query.is_valid():
            # Every error at once, the purpose's too, as it always was.
            CheckedOneQuery(data=request.query_params).is_valid(raise_exception=True)
        email, code = query.validated_data["email"], query.validated_data["purpose"]
        answer = consent_answer(email, code)  # one query: this read's whole cost
        if answer is None:
            raise serializers.ValidationError({"purpose": ["Unknown purpose."]})
        return Response(_answer(email, code, answer))


class SubjectQuery(serializers.Serializer):
    email = EmailField()


class SubjectAnswerSerializer(serializers.Serializer):
    email = EmailField()
    purposes = AnswerSerializer(many=True)


class SubjectConsentView(APIView):
    """Every active purpose for one person."""

    permission_classes = [scope("consent:read")]

    @extend_schema(parameters=[SubjectQuery], responses=SubjectAnswerSerializer)
    def get(self, request: Request) -> Response:
        query = SubjectQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        email = query.validated_data["email"]
        answers = _answers([email], list(Purpose.objects.filter(active=True)))
        return Response({"email": email.strip().lower(), "purposes": answers})


def _answers(emails: list[str], purposes: list[Purpose]) -> list[dict[str, Any]]:
    """Answers for each address and purpose, in that order, in one query."""
    decided = consent_answers(emails, purposes)
    return [
        _answer(email, purpose.code, decided[normalize_email(email), purpose.pk])
        for email in emails
        for purpose in purposes
    ]


class BatchReadSerializer(StrictSerializer):
    emails = serializers.ListField(
        child=EmailField(), min_length=1, max_length=BATCH_MAX
    )
    purposes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Purpose codes; every active purpose when left out.",
    )

    def validate_purposes(self, codes: list[str]) -> list[Purpose]:
        return [_active_purpose(code) for code in dict.fromkeys(codes)]


class BatchAnswerSerializer(serializers.Serializer):
    results = AnswerSerializer(many=True)


class BatchReadView(APIView):
    """Answers for up to 100 addresses (for the purposes asked) in one call."""

    permission_classes = [scope("consent:read")]

    @extend_schema(request=BatchReadSerializer, responses=BatchAnswerSerializer)
    @idempotent
    def post(self, request: Request) -> Response:
        body = BatchReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        purposes = body.validated_data.get("purposes") or list(
            Purpose.objects.filter(active=True)
        )
        emails = body.validated_data["emails"]
        return Response({"results": _answers(emails, purposes)})


# --- writes ----------------------------------------------------------------------


class EvidenceSerializer(StrictSerializer):
    source_system = serializers.CharField(
        max_length=100, help_text="The system where the person chose (a CRM, a form)."
    )
    occurred_at = serializers.DateTimeField(
        help_text="When the person chose, in that system."
    )
    text_shown = serializers.CharField(
        max_length=4000, help_text="The words the person saw when choosing."
    )


class ChangeSerializer(StrictSerializer):
    email = EmailField()
    purpose = serializers.CharField()
    evidence = EvidenceSerializer()
    ip = serializers.IPAddressField(
        required=False, help_text="The person's address (kept truncated)."
    )
    user_agent = serializers.CharField(max_length=400, required=False)

    def validate_purpose(self, code: str) -> Purpose:
        return _active_purpose(code)


class ChangeAnswerSerializer(AnswerSerializer):
    recorded = serializers.BooleanField(
        help_text="False when the purpose was withdrawn already (nothing added)."
    )


def _evidence_text(evidence: dict[str, Any]) -> str:
    # The ledger's time is when the portal recorded the change; the time the
    # person chose in the other system is evidence, kept word for word.
    return (
        f"{evidence['source_system']}, {evidence['occurred_at'].isoformat()}: "
        f"shown {evidence['text_shown']!r}"
    )


class _ChangeView(APIView):
    permission_classes = [scope("consent:write")]
    change = staticmethod(consent_grant)

    @extend_schema(request=ChangeSerializer, responses=ChangeAnswerSerializer)
    @idempotent
    def post(self, request: Request) -> Response:
        body = ChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            subject, _ = subject_get_or_create(
                actor=api_actor(request), email=data["email"], requester_only=False
            )
            event = self._record(request, subject, data)
            allowed = consent_allows(subject, data["purpose"].code)
            state = ConsentState.objects.select_related("policy_version").get(
                subject=subject, purpose=data["purpose"]
            )
        label = state.policy_version.label if state.policy_version else None
        answer = _answer(
            data["email"],
            data["purpose"].code,
            ConsentAnswer(allowed, state.since, label),
        )
        return Response({**answer, "recorded": event is not None})

    def _record(self, request: Request, subject: DataSubject, data: dict) -> Any:
        try:
            return self.change(
                actor=api_actor(request),
                subject=subject,
                purpose=data["purpose"].code,
                source=Source.API,
                evidence=_evidence_text(data["evidence"]),
                ip=data.get("ip"),
                user_agent=data.get("user_agent", ""),
            )
        except ConsentError as exc:
            raise Problem("conflict", str(exc)) from exc


class GrantView(_ChangeView):
    """Record that a person agreed to a purpose, with the evidence."""

    change = staticmethod(consent_grant)


class WithdrawView(_ChangeView):
    """Record that a person withdrew a purpose (nothing added if it was off)."""

    change = staticmethod(consent_withdraw)


class HeadersRequestSerializer(StrictSerializer):
    email = EmailField()
    purpose = serializers.CharField(help_text="A marketing purpose's code.")

    def validate_purpose(self, code: str) -> Purpose:
        purpose = _active_purpose(code)
        if not purpose.is_marketing:
            raise serializers.ValidationError("Not a marketing purpose.")
        return purpose


class HeadersSerializer(serializers.Serializer):
    list_unsubscribe = serializers.CharField(
        help_text="The List-Unsubscribe header's value: <https://…>."
    )
    list_unsubscribe_post = serializers.CharField(
        help_text="The List-Unsubscribe-Post header's value (RFC 8058)."
    )


class UnsubscribeHeadersView(APIView):
    """Headers for one marketing e-mail: a one-click unsubscribe link (RFC 8058).

    Each call makes a new link, valid CONSENT_UNSUBSCRIBE_TOKEN_DAYS days.
    """

    permission_classes = [scope("consent:write")]

    @extend_schema(request=HeadersRequestSerializer, responses=HeadersSerializer)
    @idempotent
    def post(self, request: Request) -> Response:
        body = HeadersRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            subject, _ = subject_get_or_create(
                actor=api_actor(request), email=data["email"], requester_only=False
            )
            headers = resolve(unsubscribe_headers(subject, data["purpose"].code))
        return Response(
            {
                "list_unsubscribe": headers["List-Unsubscribe"],
                "list_unsubscribe_post": headers["List-Unsubscribe-Post"],
            }
        )


urlpatterns = [
    path("consent", ConsentView.as_view(), name="consent"),
    path("consent/subject", SubjectConsentView.as_view(), name="consent-subject"),
    path("consent/batch-read", BatchReadView.as_view(), name="consent-batch-read"),
    path("consent/grant", GrantView.as_view(), name="consent-grant"),
    path("consent/withdraw", WithdrawView.as_view(), name="consent-withdraw"),
    path(
        "consent/unsubscribe-headers",
        UnsubscribeHeadersView.as_view(),
        name="consent-unsubscribe-headers",
    ),
]

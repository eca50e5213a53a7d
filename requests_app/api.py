"""Privacy requests over the API: file one on someone's behalf, read, list.

Collected by privacyportal/api/urls.py under /api/v1/. A filing goes through
exactly what the public form's does: the form's validation (RequestValidation),
then ``request_submit`` with channel ``api`` — the same duplicate check,
deadlines by the rules in force on the day of receipt, timeline, audit event
and verification e-mail to the person. It runs at once (not through the form's
intake table) so the answer can carry the reference. Answers name a request by
its reference; a verification or status token is never in them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacyportal.api.authentication import api_actor
from privacyportal.api.idempotency import idempotent
from privacyportal.api.permissions import scope
from privacyportal.api.problems import Problem
from privacyportal.api.serializers import EmailField, StrictSerializer
from requests_app import ratelimit, reports, timeline
from requests_app.forms import DETAILS_MAX, RequestValidation
from requests_app.models import PrivacyRequest
from requests_app.report_views import SCOPES, ReportForm
from requests_app.services import request_submit
from requests_app.services.submissions import submission_from

T = PrivacyRequest


# --- filing --------------------------------------------------------------------


class FilingSerializer(StrictSerializer):
    """The public form's fields; the form's own rules check them."""

    type = serializers.ChoiceField(choices=T.Type.choices)
    email = EmailField(help_text="The person's address: the verification goes here.")
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=2, help_text="ISO 3166 code: US, DE.")
    region = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="US state or Canadian province code (CA, ON); else empty.",
    )
    relationship = serializers.ChoiceField(choices=T.Relationship.choices)
    details = serializers.CharField(
        max_length=DETAILS_MAX, required=False, allow_blank=True
    )
    is_agent = serializers.BooleanField(required=False, default=False)
    agent_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    agent_email = EmailField(required=False, allow_blank=True)
    correction_field = serializers.CharField(
        max_length=160, required=False, allow_blank=True
    )
    correction_value = serializers.CharField(
        max_length=2000, required=False, allow_blank=True
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The person's language: e-mails about the request use it.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        form = RequestValidation(
            {key: value for key, value in attrs.items() if value not in ("", None)}
        )
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        return {**form.cleaned_data, "language": attrs.get("language", "")}


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {
        ("body" if field == "__all__" else field): [str(m) for m in messages]
        for field, messages in form.errors.items()
    }


class RequestSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="PR-<year>-<number>.")
    type = serializers.ChoiceField(choices=T.Type.choices)
    status = serializers.ChoiceField(choices=T.Status.choices)
    status_words = serializers.CharField(help_text="The status as staff read it.")
    channel = serializers.ChoiceField(choices=T.Channel.choices)
    jurisdiction = serializers.CharField(help_text="US-CA, DE, …")
    received_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(help_text="The deadline in force.")
    extended_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    duplicate_of = serializers.CharField(
        allow_null=True, help_text="The reference of the open request this repeats."
    )


def _summary(req: PrivacyRequest, overdue: set[int]) -> dict[str, Any]:
    return {
        "reference": req.reference,
        "type": req.type,
        "status": req.status,
        "status_words": timeline.status_label(req.status),
        "channel": req.channel,
        "jurisdiction": req.jurisdiction,
        "received_at": req.received_at,
        "verified_at": req.verified_at,
        "due_at": req.due_at,
        "extended_at": req.extended_at,
        "completed_at": req.completed_at,
        "overdue": req.pk in overdue,
        "duplicate_of": req.duplicate_of.reference if req.duplicate_of_id else None,
    }


def _overdue_pks(requests: list[PrivacyRequest]) -> set[int]:
    """Which of ``requests`` are overdue, by the queryset's own rule (one query)."""
    pks = [r.pk for r in requests]
    found = PrivacyRequest.objects.overdue(timezone.now()).filter(pk__in=pks)
    return set(found.values_list("pk", flat=True))


# --- reading -------------------------------------------------------------------


class ListQuery(StrictSerializer):
    status = serializers.ChoiceField(choices=T.Status.choices, required=False)
    type = serializers.ChoiceField(choices=T.Type.choices, required=False)
    jurisdiction = serializers.CharField(max_length=10, required=False)
    received_after = serializers.DateTimeField(required=False)
    received_before = serializers.DateTimeField(required=False)
    due_after = serializers.DateTimeField(required=False)
    due_before = serializers.DateTimeField(required=False)
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only overdue requests; false: only those that are not.",
    )
    # The paginator's own parameters.
    cursor = serializers.CharField(required=False, help_text="From a next link.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="At most 500."
    )


_RANGES = {
    "received_after": "received_at__gte",
    "received_before": "received_at__lt",
    "due_after": "due_at__gte",
    "due_before": "due_at__lt",
}


def _filtered(query: dict[str, Any]) -> QuerySet:
    rows = PrivacyRequest.objects.select_related("duplicate_of")
    for name in ("status", "type"):
        if query.get(name):
            rows = rows.filter(**{name: query[name]})
    if query.get("jurisdiction"):
        rows = rows.filter(jurisdiction=query["jurisdiction"].strip().upper())
    for name, lookup in _RANGES.items():
        if query.get(name):
            rows = rows.filter(**{lookup: query[name]})
    if query.get("overdue") is not None:
        late = PrivacyRequest.objects.overdue(timezone.now()).values("pk")
        rows = (
            rows.filter(pk__in=late) if query["overdue"] else rows.exclude(pk__in=late)
        )
    return rows


class RequestsView(generics.GenericAPIView):
    """File a request on someone's behalf (POST), or list requests (GET)."""

    required_scopes = {"GET": "requests:read", "POST": "requests:write"}
    serializer_class = RequestSerializer

    @extend_schema(request=FilingSerializer, responses={201: RequestSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        """File a request as the public form does, with channel `api`.

        The same validation, deadlines and duplicate check; the person gets
        the verification e-mail (an opt-out takes effect at once). A filing
        that repeats an open request is stored as its duplicate."""
        body = FilingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The form's hourly limit per address: no integration can mail-bomb one.
        email = body.validated_data["email"]
        if not ratelimit.hit("email", email, settings.REQUEST_RATE_PER_EMAIL):
            raise Problem("rate-limited", "Too many filings for this address.")
        submission = submission_from(body.validated_data, channel=T.Channel.API)
        filed = request_submit(actor=api_actor(request), submission=submission)
        filed = PrivacyRequest.objects.select_related("duplicate_of").get(pk=filed.pk)
        return Response(_summary(filed, _overdue_pks([filed])), status=201)

    @extend_schema(parameters=[ListQuery], responses=RequestSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Requests, newest first, filtered; a page at a time (cursor)."""
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(_filtered(query.validated_data))
        overdue = _overdue_pks(page)
        return self.get_paginated_response([_summary(r, overdue) for r in page])


class EntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    who = serializers.CharField(help_text="The requester, a staff member, the portal.")
    what = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.CharField(help_text="The status it led to, if any.")


class RequestDetailSerializer(RequestSerializer):
    timeline = EntrySerializer(many=True, help_text="Oldest first, in words.")


class RequestView(APIView):
    """One request's status and timeline, by its reference."""

    permission_classes = [scope("requests:read")]

    @extend_schema(responses=RequestDetailSerializer)
    def get(self, request: Request, reference: str) -> Response:
        req = get_object_or_404(
            PrivacyRequest.objects.select_related("duplicate_of"),
            reference=reference.upper(),
        )
        entries = [vars(entry) for entry in timeline.entries(req)]
        return Response({**_summary(req, _overdue_pks([req])), "timeline": entries})


# --- report figures ----------------------------------------------------------


class YearQuery(StrictSerializer):
    year = serializers.IntegerField(
        help_text="A calendar year, 2000 to this one (portal time zone)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The admin report's own rules (the year's range), not a copy of them.
        form = ReportForm({"report": "ccpa", **attrs})
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        return attrs


class ReportQuery(YearQuery):
    scope = serializers.ChoiceField(
        choices=SCOPES,
        required=False,
        allow_blank=True,
        default="US-CA",
        help_text="US-CA (California residents) or empty (every requester).",
    )


class TimingSerializer(serializers.Serializer):
    answered = serializers.IntegerField(help_text="Complied with or denied by staff.")
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    median_days = serializers.FloatField(allow_null=True)
    mean_days = serializers.FloatField(allow_null=True)


class ReportRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="§ 7102 kind, jurisdiction code, or total.")
    label = serializers.CharField()
    received = serializers.IntegerField()
    complied = serializers.IntegerField(help_text="In whole or in part.")
    denied = serializers.IntegerField()
    denied_by = serializers.DictField(
        child=serializers.IntegerField(), help_text="Denial category → count."
    )
    withdrawn_or_open = serializers.IntegerField()
    extended = serializers.IntegerField()
    timing = TimingSerializer()


class ReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    rows = ReportRowSerializer(many=True)
    total = ReportRowSerializer()


class YearlyReportSerializer(ReportSerializer):
    extras = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Other figures of the year (disclosures, …): label → count.",
    )


def _row(row: reports.Row) -> dict[str, Any]:
    timing = row.timing
    return {
        "key": row.key,
        "label": row.label,
        "received": row.received,
        "complied": row.complied,
        "denied": row.denied,
        "denied_by": row.denied_by,
        "withdrawn_or_open": row.withdrawn_or_open,
        "extended": row.extended,
        "timing": {
            "answered": timing.answered if timing else 0,
            "on_time": timing.on_time if timing else 0,
            "on_time_rate": row.on_time_rate,
            "median_days": row.median_days,
            "mean_days": row.mean_days,
        },
    }


def _report(year: int, rows: list[reports.Row], total: reports.Row) -> dict:
    return {"year": year, "rows": [_row(r) for r in rows], "total": _row(total)}


class Ccpa7102View(APIView):
    """CCPA § 7102 metrics for a year, as the admin's report computes them."""

    permission_classes = [scope("reports:read")]

    @extend_schema(parameters=[ReportQuery], responses=ReportSerializer)
    def get(self, request: Request) -> Response:
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        rows, total = reports.ccpa_7102(year, query.validated_data["scope"])
        return Response(_report(year, rows, total))


class YearlyReportView(APIView):
    """The yearly requests report (GDPR accountability), by jurisdiction."""

    permission_classes = [scope("reports:read")]

    @extend_schema(parameters=[YearQuery], responses=YearlyReportSerializer)
    def get(self, request: Request) -> Response:
        query = YearQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        rows, total = reports.accountability(year)
        extras = dict(reports.yearly_extras(year))
        return Response({**_report(year, rows, total), "extras": extras})


urlpatterns = [
    path("requests", RequestsView.as_view(), name="requests"),
    path("requests/<str:reference>", RequestView.as_view(), name="request"),
    path("reports/ccpa-7102", Ccpa7102View.as_view(), name="report-ccpa-7102"),
    path("reports/requests-yearly", YearlyReportView.as_view(), name="report-yearly"),
]

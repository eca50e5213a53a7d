"""Subjects over the API: look one person up by e-mail address. Never a list.

The address is matched exactly as ``DataSubject.objects.by_email`` matches it
(trimmed, lower-case). The answer is what an integration needs to act on the
person — their id, the state that limits processing, which categories of data
the profile holds and how many records each part of the portal keeps — not the
data itself. Each lookup is recorded in the audit trail as a look at the
person's record by the key, as a staff member's opening of it is.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacyportal.api.authentication import api_actor
from privacyportal.api.permissions import scope
from privacyportal.api.problems import Problem
from privacyportal.api.serializers import EmailField, StrictSerializer
from privacyportal.subjects import story
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.services import subject_viewed

# Profile category -> the fields holding it (the profile source's categories).
CATEGORY_FIELDS = {
    "contact details": ("name", "email", "phone", "postal_address"),
    "account": ("account_username",),
    "title and company": ("title", "company"),
    "IP address and domain": ("ip_addresses", "domain"),
    "demographics": ("demographics",),
}
# Sections that describe the profile field by field or the audit trail: their
# row counts are not records the person has.
_NOT_RECORDS = {"profile", "staff_views", "audit"}


class LookupQuery(StrictSerializer):
    email = EmailField()


class RecordCountSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Stable: requests, consent, retention, …")
    title = serializers.CharField()
    count = serializers.IntegerField()
    truncated = serializers.BooleanField(help_text="More than the count exist.")


class SubjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    requester_only = serializers.BooleanField(
        help_text="Known only from a request they filed (no account)."
    )
    is_under_13 = serializers.BooleanField()
    processing_restricted = serializers.BooleanField()
    objects_to_marketing = serializers.BooleanField()
    objects_to_profiling = serializers.BooleanField()
    marketing_opted_out = serializers.BooleanField()
    anonymised = serializers.BooleanField()
    categories = serializers.ListField(
        child=serializers.CharField(),
        help_text="Categories of personal data the profile holds.",
    )
    records = RecordCountSerializer(many=True)


def _categories(subject: DataSubject) -> list[str]:
    held = [
        name
        for name, fields in CATEGORY_FIELDS.items()
        if any(getattr(subject, field) for field in fields)
    ]
    return held + (["devices"] if subject.devices.exists() else [])


def _records(subject: DataSubject) -> list[dict[str, Any]]:
    return [
        {
            "key": section.key,
            "title": section.title,
            "count": len(section.rows),
            "truncated": section.truncated,
        }
        for section in story.sections(subject)
        if section.key not in _NOT_RECORDS
    ]


def _described(subject: DataSubject) -> dict[str, Any]:
    return {
        "id": subject.pk,
        "created_at": subject.created_at,
        "requester_only": subject.requester_only,
        "is_under_13": subject.is_under_13,
        "processing_restricted": subject.processing_restricted,
        "objects_to_marketing": subject.objects_to_marketing,
        "objects_to_profiling": subject.objects_to_profiling,
        "marketing_opted_out": subject.marketing_opted_out_at is not None,
        "anonymised": subject.anonymised_at is not None,
        "categories": _categories(subject),
        "records": _records(subject),
    }


class SubjectLookupView(APIView):
    """One person, by exact e-mail address (trimmed, case ignored)."""

    permission_classes = [scope("subjects:read")]

    @extend_schema(parameters=[LookupQuery], responses=SubjectSerializer)
    def get(self, request: Request) -> Response:
        query = LookupQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        subject = DataSubject.objects.by_email(query.validated_data["email"]).first()
        if subject is None:
            raise Problem("not-found", "No person has this e-mail address.")
        subject_viewed(actor=api_actor(request), subject_id=subject.pk)
        return Response(_described(subject))


urlpatterns = [
    path("subjects/lookup", SubjectLookupView.as_view(), name="subject-lookup"),
]

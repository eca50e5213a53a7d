"""Disclosures over the API: record one or many, all or none.

A batch goes through the importer's path (``disclosures_import`` with channel
``api``): every row is read and put through the policy check before anything
is written, one refused row stores nothing, and the rows are recorded by
``disclosures_record_bulk`` with one AuditEvent per batch naming the key. As
in an import, the person and the recipient must exist already: the person is
found by e-mail address, the recipient by its name in the register.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from disclosures_app.importer import disclosures_import
from disclosures_app.models import Disclosure, LegalBasis
from privacyportal.api.authentication import api_actor
from privacyportal.api.idempotency import idempotent
from privacyportal.api.permissions import scope
from privacyportal.api.serializers import EmailField, StrictSerializer

# Rows per call: a batch is one transaction and must fit the body limit.
BATCH_MAX = 200


class DisclosureSerializer(StrictSerializer):
    email = EmailField(help_text="The person whose data was disclosed (known).")
    recipient = serializers.CharField(
        max_length=200, help_text="The recipient's name in the register."
    )
    categories = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        help_text="Data categories as the registry names them.",
    )
    purpose = serializers.CharField(max_length=200)
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices)
    disclosed_at = serializers.DateTimeField(
        required=False, help_text="When it happened; now when left out."
    )
    legal_reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    withheld_ground = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Authorities only: why the person is not told.",
    )
    sale_or_sharing = serializers.BooleanField(required=False, default=False)

    def validate_categories(self, values: list[str]) -> list[str]:
        if any(";" in value for value in values):
            raise serializers.ValidationError("A category has no ';' in it.")
        return values


class BatchSerializer(StrictSerializer):
    disclosures = DisclosureSerializer(many=True, min_length=1, max_length=BATCH_MAX)


class RecordedSerializer(serializers.Serializer):
    recorded = serializers.IntegerField()


def _record(row: dict[str, Any]) -> dict[str, str]:
    """A row in the importer's form (the strings of a CSV line)."""
    when = row.get("disclosed_at")
    return {
        "email": row["email"],
        "recipient": row["recipient"],
        "categories": ";".join(row["categories"]),
        "purpose": row["purpose"],
        "legal_basis": row["legal_basis"],
        "disclosed_at": when.isoformat() if when else "",
        "legal_reference": row.get("legal_reference", ""),
        "withheld_ground": row.get("withheld_ground", ""),
        "sale_or_sharing": "true" if row.get("sale_or_sharing") else "",
    }


class DisclosuresView(APIView):
    """Record disclosures (1 to 200 a call): all are stored, or none."""

    permission_classes = [scope("disclosures:write")]

    @extend_schema(request=BatchSerializer, responses={201: RecordedSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        body = BatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = list(enumerate(map(_record, body.validated_data["disclosures"])))
        report = disclosures_import(
            actor=api_actor(request), rows=rows, channel=Disclosure.Channel.API
        )
        if report.errors:
            raise serializers.ValidationError(
                {"disclosures": {str(index): [why] for index, why in report.errors}}
            )
        return Response({"recorded": report.imported}, status=201)


urlpatterns = [
    path("disclosures", DisclosuresView.as_view(), name="disclosures"),
]

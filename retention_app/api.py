"""Recordings over the API: what the conferencing platform calls.

- register a recording (its media to follow), a chat transcript or a call
  record, with its organization and metadata: through the ingest services
  (``recordings_import``, ``call_record_register``), so each item is audited,
  gets its expiry from the rule in force and is born held under a hold;
- upload a recording's media: the raw body of a PUT, read and encrypted a
  chunk at a time (``recording_content_store``), up to API_MAX_UPLOAD_BYTES;
- delete a recording on the customer's instruction (``recording_delete``): a
  legal hold refuses it, naming the hold;
- read an organization's retention settings as the rules in force.

Organizations are named by their slug.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacyportal.api.authentication import api_actor
from privacyportal.api.idempotency import idempotent
from privacyportal.api.permissions import scope
from privacyportal.api.problems import CONTENT_TYPE, Problem
from privacyportal.api.schema import ProblemSerializer
from privacyportal.api.serializers import EmailField, StrictSerializer
from privacyportal.subjects.models import Organization
from privacyportal.subjects.services import subject_get_or_create
from retention_app import expiry
from retention_app.models import CallRecord, ChatTranscript, Recording
from retention_app.models import RecordingSettings as OwnSettings
from retention_app.services import (
    ContentConflict,
    HeldError,
    IngestItem,
    RecordingDisabledError,
    call_record_register,
    recording_content_store,
    recording_delete,
    recordings_import,
)
from retention_app.services.policies import content_rule

PARTICIPANTS_MAX = 500
CHECKSUM_HEADER = "X-Content-SHA256"


def _plausible(value: datetime) -> None:
    # Expiry dates are computed from it: a year 9999 start would overflow.
    if not 1970 <= value.year <= 2100:
        raise serializers.ValidationError("Give a date between 1970 and 2100.")


def _started_at() -> serializers.DateTimeField:
    return serializers.DateTimeField(validators=[_plausible])


def _organization(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise serializers.ValidationError("No organization has this slug.")
    return found


class _MeetingSerializer(StrictSerializer):
    organization = serializers.SlugField(help_text="The customer account's slug.")
    meeting_title = serializers.CharField(max_length=300)
    started_at = _started_at()
    participants = serializers.ListField(
        child=EmailField(),
        required=False,
        default=list,
        max_length=PARTICIPANTS_MAX,
        help_text="Participants' e-mail addresses (people are found or added).",
    )

    def validate_organization(self, slug: str) -> Organization:
        return _organization(slug)


class RecordingInSerializer(_MeetingSerializer):
    duration_seconds = serializers.IntegerField(min_value=0, default=0)
    transcript = serializers.CharField(
        required=False,
        max_length=60_000,
        help_text="The meeting's chat, registered with the recording.",
    )


class TranscriptInSerializer(_MeetingSerializer):
    text = serializers.CharField(max_length=60_000, allow_blank=True)


class CallRecordInSerializer(StrictSerializer):
    organization = serializers.SlugField()
    started_at = _started_at()
    duration_seconds = serializers.IntegerField(min_value=0, default=0)
    participant_count = serializers.IntegerField(min_value=1, default=1)
    email = EmailField(required=False, help_text="The caller, when known.")

    def validate_organization(self, slug: str) -> Organization:
        return _organization(slug)


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.CharField()
    started_at = serializers.DateTimeField()
    purge_after = serializers.DateTimeField(
        allow_null=True, help_text="When retention deletes it; null: kept."
    )
    held = serializers.BooleanField(help_text="Under a legal hold.")


class RecordingSerializer(ItemSerializer):
    meeting_title = serializers.CharField()
    duration_seconds = serializers.IntegerField()
    has_content = serializers.BooleanField()
    size_bytes = serializers.IntegerField()
    checksum = serializers.CharField(help_text="SHA-256 of the media (hex).")
    transcript_id = serializers.IntegerField(allow_null=True)


class TranscriptSerializer(ItemSerializer):
    meeting_title = serializers.CharField()
    size_bytes = serializers.IntegerField()


class CallRecordSerializer(ItemSerializer):
    duration_seconds = serializers.IntegerField()
    participant_count = serializers.IntegerField()


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "organization": row.organization.slug,
        "started_at": row.started_at,
        "purge_after": row.purge_after,
        "held": row.held,
    }


def _recording(row: Recording, transcript_id: int | None = None) -> dict[str, Any]:
    return {
        **_item(row),
        "meeting_title": row.meeting_title,
        "duration_seconds": row.duration_seconds,
        "has_content": bool(row.media),
        "size_bytes": row.size_bytes,
        "checksum": row.checksum,
        "transcript_id": transcript_id,
    }


def _ingest(request: Request, data: dict[str, Any], **item: Any) -> Any:
    """One meeting through the import path; the ingest result."""
    try:
        return recordings_import(
            actor=api_actor(request),
            items=[
                IngestItem(
                    organization_id=data["organization"].pk,
                    meeting_title=data["meeting_title"],
                    started_at=data["started_at"],
                    participant_emails=tuple(data["participants"]),
                    **item,
                )
            ],
            source="api",
        )
    except RecordingDisabledError as exc:
        raise Problem(
            "conflict", "This organization has turned recording off."
        ) from exc


class RecordingsView(APIView):
    """Register a recording; its media follows with PUT …/content."""

    permission_classes = [scope("recordings:write")]

    @extend_schema(request=RecordingInSerializer, responses={201: RecordingSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        body = RecordingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = _ingest(
            request,
            data,
            duration_seconds=data["duration_seconds"],
            transcript=data.get("transcript"),
            media_later=True,
        )
        row = Recording.objects.select_related("organization").get(
            pk=result.recording_ids[0]
        )
        transcript = result.transcript_ids[0] if result.transcript_ids else None
        return Response(_recording(row, transcript), status=201)


class TranscriptsView(APIView):
    """Register a meeting's chat transcript (a meeting without a recording)."""

    permission_classes = [scope("recordings:write")]

    @extend_schema(
        request=TranscriptInSerializer, responses={201: TranscriptSerializer}
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = TranscriptInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = _ingest(request, data, transcript=data["text"])
        row = ChatTranscript.objects.select_related("organization").get(
            pk=result.transcript_ids[0]
        )
        answer = {
            **_item(row),
            "meeting_title": row.meeting_title,
            "size_bytes": row.size_bytes,
        }
        return Response(answer, status=201)


class CallRecordsView(APIView):
    """Register a call record (who called, when, for how long)."""

    permission_classes = [scope("recordings:write")]

    @extend_schema(
        request=CallRecordInSerializer, responses={201: CallRecordSerializer}
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = CallRecordInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, actor = body.validated_data, api_actor(request)
        subject_id = None
        if data.get("email"):
            subject_id = subject_get_or_create(
                actor=actor, email=data["email"], requester_only=False
            )[0].pk
        record = call_record_register(
            actor=actor,
            organization_id=data["organization"].pk,
            started_at=data["started_at"],
            duration_seconds=data["duration_seconds"],
            participant_count=data["participant_count"],
            subject_id=subject_id,
        )
        row = CallRecord.objects.select_related("organization").get(pk=record.pk)
        answer = {
            **_item(row),
            "duration_seconds": row.duration_seconds,
            "participant_count": row.participant_count,
        }
        return Response(answer, status=201)


def _held_words(exc: HeldError) -> str:
    holds = ", ".join(str(hold) for hold in exc.holds)
    return (
        f"This recording is under {holds} and cannot be deleted until the hold "
        "is released."
    )


class RecordingView(APIView):
    """One recording: read it, or delete it on the customer's instruction."""

    permission_classes = [scope("recordings:write")]

    @extend_schema(responses=RecordingSerializer)
    def get(self, request: Request, pk: int) -> Response:
        row = get_object_or_404(Recording.objects.select_related("organization"), pk=pk)
        transcript = row.transcripts.values_list("pk", flat=True).first()
        return Response(_recording(row, transcript))

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted, with its transcripts."),
            (409, CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="A legal hold covers it (conflict)."
            ),
        }
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete a recording and its transcripts now (a deletion record is kept).

        A legal hold refuses it: 409, naming the hold."""
        row = get_object_or_404(Recording, pk=pk)
        try:
            recording_delete(actor=api_actor(request), recording=row)
        except HeldError as exc:
            raise Problem("conflict", _held_words(exc)) from exc
        return Response(status=204)


class RawBody(BaseParser):
    """Documents the upload's media type; the view reads the stream itself."""

    media_type = "application/octet-stream"


class _Capped:
    """The request body, refused past ``limit`` bytes while it is read."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.limit, self.seen = stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.seen += len(chunk)
        if self.seen > self.limit:
            raise Problem("body-too-large", f"Files are limited to {self.limit} bytes.")
        return chunk


def _upload_limit() -> int:
    return settings.API_MAX_UPLOAD_BYTES


class ContentView(APIView):
    """A recording's media, as the raw request body."""

    permission_classes = [scope("recordings:write")]
    parser_classes = [RawBody]
    # Read by ProblemMiddleware: this body may exceed API_MAX_BODY_BYTES.
    max_body_bytes = staticmethod(_upload_limit)

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                CHECKSUM_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="SHA-256 (hex) of the file; refused if it differs.",
            )
        ],
        responses=RecordingSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        """Upload the media (up to API_MAX_UPLOAD_BYTES), stored encrypted.

        Sending the same file again changes nothing; another file for a
        recording that has media is refused (409)."""
        row = get_object_or_404(Recording.objects.select_related("organization"), pk=pk)
        if request.content_type != RawBody.media_type:
            raise Problem("unsupported-media-type", "Send application/octet-stream.")
        if request.stream is None:
            raise Problem("bad-request", "Send the file as the body, with its length.")
        checksum = request.headers.get(CHECKSUM_HEADER, "")
        try:
            stored, _ = recording_content_store(
                actor=api_actor(request),
                recording=row,
                media=_Capped(request.stream, _upload_limit()),
                checksum=checksum,
            )
        except ContentConflict as exc:
            raise Problem("conflict", f"Refused: {exc}.") from exc
        except Recording.DoesNotExist as exc:
            raise Problem("not-found") from exc
        transcript = row.transcripts.values_list("pk", flat=True).first()
        return Response(_recording(stored, transcript))


# --- settings --------------------------------------------------------------------


class RuleSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        allow_null=True, help_text="Days kept after the meeting; null: until deleted."
    )
    set_by = serializers.ChoiceField(
        choices=[("customer", "customer"), ("portal", "portal")],
        help_text="The customer's own setting, or the portal's policy.",
    )
    previous_days = serializers.IntegerField(
        allow_null=True, help_text="The replaced duration, while its grace runs."
    )
    grace_until = serializers.DateTimeField(
        allow_null=True, help_text="A shortened rule applies from then."
    )


class RetentionSettingsSerializer(serializers.Serializer):
    organization = serializers.CharField()
    recording_enabled = serializers.BooleanField()
    recording = RuleSerializer()
    transcript = RuleSerializer()


def _rule(own: OwnSettings, kind: str, rule: expiry.Rule) -> dict[str, Any]:
    return {
        "days": rule.days,
        "set_by": "customer" if own.explicit(kind) else "portal",
        "previous_days": rule.previous_days,
        "grace_until": rule.not_before,
    }


class RetentionSettingsView(APIView):
    """How long an organization's recordings and transcripts are kept."""

    permission_classes = [scope("recordings:write")]

    @extend_schema(responses=RetentionSettingsSerializer)
    def get(self, request: Request, slug: str) -> Response:
        org = get_object_or_404(Organization, slug=slug)
        own = OwnSettings.objects.filter(organization=org).first() or OwnSettings()
        rules = {
            kind: content_rule(org.pk, kind) for kind in ("recording", "transcript")
        }
        return Response(
            {
                "organization": org.slug,
                "recording_enabled": own.recording_enabled,
                **{kind: _rule(own, kind, rule) for kind, rule in rules.items()},
            }
        )


urlpatterns = [
    path("recordings", RecordingsView.as_view(), name="recordings"),
    path("recordings/<int:pk>", RecordingView.as_view(), name="recording"),
    path(
        "recordings/<int:pk>/content", ContentView.as_view(), name="recording-content"
    ),
    path("transcripts", TranscriptsView.as_view(), name="transcripts"),
    path("call-records", CallRecordsView.as_view(), name="call-records"),
    path(
        "organizations/<slug:slug>/retention",
        RetentionSettingsView.as_view(),
        name="organization-retention",
    ),
]

"""Every write of retention_app (see each module's invariants)."""

from __future__ import annotations

from retention_app.services.content import (
    ContentAccessError,
    ContentConflict,
    RecordingDisabledError,
    content_open,
    grant_create,
    grant_revoke,
    recording_content_store,
    recording_delete,
    recording_disable,
    recording_enable,
    recording_register,
    recording_stream,
    recordings_delete,
    transcript_register,
)
from retention_app.services.holds import (
    HeldError,
    HoldError,
    active_holds,
    hold_place,
    hold_release,
)
from retention_app.services.ingest import (
    IngestItem,
    IngestResult,
    applicant_register,
    call_record_register,
    recordings_import,
)
from retention_app.services.policies import (
    ConfirmationRequired,
    PolicyError,
    policy_change,
    policy_get,
    policy_preview,
    recording_settings_update,
)
from retention_app.services.records import file_removals_drain, file_removals_process
from retention_app.services.sweep import retention_preview, retention_sweep

__all__ = [
    "ConfirmationRequired",
    "ContentAccessError",
    "ContentConflict",
    "HeldError",
    "HoldError",
    "IngestItem",
    "IngestResult",
    "PolicyError",
    "RecordingDisabledError",
    "active_holds",
    "applicant_register",
    "call_record_register",
    "content_open",
    "file_removals_drain",
    "file_removals_process",
    "grant_create",
    "grant_revoke",
    "hold_place",
    "hold_release",
    "policy_change",
    "policy_get",
    "policy_preview",
    "recording_content_store",
    "recording_delete",
    "recording_disable",
    "recording_enable",
    "recording_register",
    "recording_settings_update",
    "recording_stream",
    "recordings_delete",
    "recordings_import",
    "retention_preview",
    "retention_sweep",
    "transcript_register",
]

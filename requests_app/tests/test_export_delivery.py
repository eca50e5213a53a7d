"""Access exports: approval, private storage, the e-mailed link and its limits."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from privacyportal import mail as outbox
from privacyportal.audit.models import AuditEvent
from privacyportal.models import OutboundEmail
from privacyportal.registry import registry
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import exports
from requests_app.models import ExportPackage, PrivacyRequest
from requests_app.services import RequestError
from requests_app.services.common import hash_token
from requests_app.tests.factories import submit
from requests_app.tests.fulfilment_helpers import FakeSource, verified_for

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def subject():
    person = DataSubjectFactory(email="see.me@example.org")
    DeviceFactory(subject=person, serial_number="SN-SEE")
    return person


def delivered(subject, officer) -> tuple[ExportPackage, str]:
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    assert exports.export_build(package_id=package.pk).state == "ready"
    outbox.send_pending()
    package.refresh_from_db()
    (message,) = [m for m in mail.outbox if "is ready" in m.subject]
    link = re.search(r"(http\S+/privacy/export/\S+/)", message.body).group(1)
    return package, link.rstrip("/").rsplit("/", 1)[-1]


def test_an_unverified_request_gets_no_export(subject, officer):
    request = submit(type=PrivacyRequest.Type.ACCESS, email=subject.email)
    with pytest.raises(RequestError, match="not verified"):
        exports.export_approve(actor=officer, request=request)
    assert not ExportPackage.objects.exists()


def test_the_package_is_private_and_the_link_is_emailed_stored_as_a_hash(
    subject, officer, private_media, settings
):
    package, token = delivered(subject, officer)
    assert package.status == ExportPackage.Status.READY
    path = Path(private_media) / package.file
    assert path.is_file() and package.file.startswith("exports/")
    assert package.token_hash == hash_token(token) and token not in package.file
    assert (
        package.expires_at.date()
        == (timezone.now() + timedelta(days=settings.EXPORT_LINK_TTL)).date()
    )
    assert package.max_downloads == settings.EXPORT_MAX_DOWNLOADS == 3
    request = PrivacyRequest.objects.get(pk=package.request_id)
    assert request.status == S.COMPLETED
    assert package.summary["sources"]["subjects.profile"]["devices"] == 1


def test_export_holds_every_source_with_the_art15_summary(subject, officer, client):
    package, token = delivered(subject, officer)
    response = client.post(f"/privacy/export/{token}/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert set(data["sources"]) == set(registry.keys())
    mine = data["sources"]["requests.privacy_requests"]["data"]["requests"]
    assert mine[0]["reference"] == package.request.reference
    profile = data["sources"]["subjects.profile"]["data"]
    assert profile["devices"][0]["serial_number"] == "SN-SEE"
    index = archive.read("index.html").decode()
    assert "24 months after each request is closed" in index
    assert "handling your privacy requests" in index


def test_each_download_is_counted_and_audited_until_the_limit(subject, officer, client):
    package, token = delivered(subject, officer)
    page = client.get(f"/privacy/export/{token}/")
    assert page.status_code == 200 and b"Download my information" in page.content
    for _ in range(3):
        response = client.post(f"/privacy/export/{token}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
    assert client.post(f"/privacy/export/{token}/").status_code == 410
    assert client.get(f"/privacy/export/{token}/").status_code == 410
    package.refresh_from_db()
    assert package.download_count == 3
    audited = AuditEvent.objects.filter(action="requests.export.downloaded")
    assert audited.count() == 3
    assert sorted(e.data["download"] for e in audited) == [1, 2, 3]


def test_a_missing_file_does_not_use_up_a_download(subject, officer, client):
    from django.core.files.storage import default_storage

    package, token = delivered(subject, officer)
    package.refresh_from_db()
    kept = default_storage.open(package.file, "rb").read()
    default_storage.delete(package.file)
    assert client.post(f"/privacy/export/{token}/").status_code == 404
    package.refresh_from_db()
    assert package.download_count == 0
    assert not AuditEvent.objects.filter(action="requests.export.downloaded").exists()
    with default_storage.open(package.file, "wb") as restored:  # back again
        restored.write(kept)
    assert client.post(f"/privacy/export/{token}/").status_code == 200


def test_expired_and_altered_links_get_the_neutral_page(subject, officer, client):
    package, token = delivered(subject, officer)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/privacy/export/{altered}/").status_code == 404
    assert client.post(f"/privacy/export/{altered}/").status_code == 404
    with time_machine.travel(package.expires_at + timedelta(seconds=1)):
        gone = client.post(f"/privacy/export/{token}/")
    assert gone.status_code == 410
    assert b"This link does not work" in gone.content
    assert package.request.reference.encode() not in gone.content


def test_the_sweep_deletes_the_file_once_the_link_expired(
    subject, officer, private_media
):
    from retention_app.services.sweep import retention_sweep

    package, _ = delivered(subject, officer)
    path = Path(private_media) / package.file
    retention_sweep(actor=None, only=["requests.export_packages"])
    assert path.is_file()  # still live
    with time_machine.travel(package.expires_at + timedelta(minutes=1)):
        retention_sweep(actor=None, only=["requests.export_packages"])
    package.refresh_from_db()
    assert package.status == ExportPackage.Status.EXPIRED and package.deleted_at
    assert not path.exists()


def test_access_export_starts_after_verification_where_the_setting_allows(
    subject, settings
):
    settings.EXPORT_AUTO_TYPES = ["access"]
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    package = ExportPackage.objects.get(request=request)
    assert package.status == ExportPackage.Status.PENDING
    assert package.approved_by is None
    settings.EXPORT_AUTO_TYPES = []
    other = verified_for(
        DataSubjectFactory(email="manual@example.org"), PrivacyRequest.Type.ACCESS
    )
    assert not ExportPackage.objects.filter(request=other).exists()


def test_a_failing_source_is_retried_then_flags_the_request(
    subject, officer, private_media
):
    broken = FakeSource("test.down")
    broken.export = lambda subject: (_ for _ in ()).throw(ConnectionError("down"))
    registry.register(broken)
    try:
        request = verified_for(subject, PrivacyRequest.Type.ACCESS)
        package = exports.export_approve(actor=officer, request=request)
        states = [
            exports.export_build(package_id=package.pk).state
            for _ in range(exports.MAX_ATTEMPTS)
        ]
    finally:
        registry.unregister("test.down")
    assert states == ["retry"] * (exports.MAX_ATTEMPTS - 1) + ["failed"]
    package.refresh_from_db()
    request.refresh_from_db()
    assert (
        package.status == ExportPackage.Status.FAILED and "down" in package.last_error
    )
    assert request.needs_attention and request.status == S.IN_PROGRESS
    assert not list((Path(private_media) / "exports").glob("*.zip"))
    (alert,) = OutboundEmail.objects.filter(template="staff_attention")
    assert alert.to == officer.email and "down" in alert.context["problem"]


def test_a_build_left_half_done_by_a_killed_worker_is_reset(subject, officer, settings):
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    ExportPackage.objects.filter(pk=package.pk).update(
        status=ExportPackage.Status.BUILDING,
        started_at=timezone.now() - timedelta(hours=2),
        file="exports/partial.zip",
    )
    assert exports.exports_dispatch()["exports_reset"] == 1
    package.refresh_from_db()
    assert package.status == ExportPackage.Status.PENDING and package.file == ""
    assert exports.export_build(package_id=package.pk).state == "ready"


# --- a used-up or expired package is deleted at once -------------------------------


def _deleted(package) -> AuditEvent:
    package.refresh_from_db()
    assert package.status == ExportPackage.Status.EXPIRED and package.deleted_at
    assert package.file == ""
    return AuditEvent.objects.get(action="requests.export.deleted")


def test_the_last_download_deletes_the_file_once_it_has_streamed(
    subject, officer, client, private_media, django_capture_on_commit_callbacks
):
    package, token = delivered(subject, officer)
    path = Path(private_media) / package.file
    for _ in range(2):
        b"".join(client.post(f"/privacy/export/{token}/").streaming_content)
    assert path.is_file()
    last = client.post(f"/privacy/export/{token}/")
    assert path.is_file()  # still streaming: nothing is removed under the reader
    with django_capture_on_commit_callbacks(execute=True):
        body = b"".join(last.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).read("data.json")
    assert not path.exists()
    event = _deleted(package)
    assert event.data == {"reference": package.request.reference, "why": "used up"}


def test_the_job_deletes_a_package_whose_link_expired(
    subject, officer, private_media, django_capture_on_commit_callbacks
):
    package, _ = delivered(subject, officer)
    path = Path(private_media) / package.file
    assert exports.exports_dispatch()["exports_deleted"] == 0
    with (
        time_machine.travel(package.expires_at + timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        out = io.StringIO()
        call_command("fulfilment_dispatch", "--dry-run", stdout=out)
        assert "exports_deleted 1" in out.getvalue() and path.is_file()
        assert exports.exports_dispatch()["exports_deleted"] == 1
    assert not path.exists()
    assert _deleted(package).data["why"] == "link expired"


def test_a_legal_hold_keeps_a_package_whose_link_expired(
    subject, officer, private_media
):
    from retention_app.services.holds import hold_place

    package, _ = delivered(subject, officer)
    hold_place(actor=officer, scope="subject", reason="Case 9", subject_id=subject.pk)
    with time_machine.travel(package.expires_at + timedelta(seconds=1)):
        assert exports.exports_dispatch()["exports_deleted"] == 0
    assert (Path(private_media) / package.file).is_file()


def test_export_files_are_readable_by_the_owner_only_whatever_the_umask(
    subject, officer, private_media
):
    import os

    previous = os.umask(0)
    try:
        package, _ = delivered(subject, officer)
    finally:
        os.umask(previous)
    path = Path(private_media) / package.file
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700

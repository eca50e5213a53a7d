"""Download an access export in Chromium through the e-mailed link."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from django.core import mail

from privacyportal import mail as outbox
from privacyportal.subjects.tests.factories import DataSubjectFactory, DeviceFactory
from requests_app.fulfilment import exports
from requests_app.models import ExportPackage, PrivacyRequest
from requests_app.tests.factories import staff_user
from requests_app.tests.fulfilment_helpers import verified_for


@pytest.mark.browser
def test_download_an_export_through_the_emailed_link(
    page,
    live_server,
    settings,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    subject = DataSubjectFactory(email="browser.export@example.org")
    DeviceFactory(subject=subject, serial_number="SN-BROWSER")
    officer = staff_user("officer", "Privacy Officer")
    request = verified_for(subject, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    assert exports.export_build(package_id=package.pk).state == "ready"

    outbox.send_pending()
    (message,) = [m for m in mail.outbox if "is ready" in m.subject]
    link = re.search(r"(http\S+/privacy/export/\S+/)", message.body).group(1)
    page.goto(link)
    assert "3 more downloads" in page.inner_text("main")
    with page.expect_download() as info:
        page.click("text=Download my information")
    download = info.value
    assert download.suggested_filename == f"{request.reference}-my-data.zip"
    saved = tmp_path / "download.zip"
    download.save_as(saved)

    archive = zipfile.ZipFile(saved)
    data = json.loads(archive.read("data.json"))
    devices = data["sources"]["subjects.profile"]["data"]["devices"]
    assert devices[0]["serial_number"] == "SN-BROWSER"
    assert "index.html" in archive.namelist()
    package.refresh_from_db()
    assert package.download_count == 1 and package.status == ExportPackage.Status.READY

    page.goto(link)
    assert "2 more downloads" in page.inner_text("main")
    page.goto(link.replace(link.rstrip("/").rsplit("/", 1)[-1], "tampered-token"))
    assert "This link does not work" in page.inner_text("main")

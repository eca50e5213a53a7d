from __future__ import annotations

import csv
import io

from disclosures_app.tests.factories import RecipientFactory
from disclosures_app.tests.test_admin import client_for
from privacyportal import retention, roles
from privacyportal.audit.models import AuditEvent
from privacyportal.registry import registry

URL = "/admin/disclosures_app/recipient/records-of-processing/"


def test_the_record_names_every_source_recipient_and_retention_rule(db):
    RecipientFactory(name="Mailer Inc.", data_categories=["contact details"])
    page = client_for(roles.AUDITOR).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    for source in registry:
        assert source.label in text
    for category in retention.categories:
        assert category.label in text
    assert "Mailer Inc." in text and "disclosures.log" not in text


def test_the_csv_download_holds_the_same_rows_and_is_audited(db):
    RecipientFactory(name="=HYPERLINK(1)", data_categories=["application"])
    body = b"".join(
        client_for(roles.PRIVACY_ANALYST).get(URL[:-1] + ".csv").streaming_content
    )
    rows = list(csv.reader(io.StringIO(body.decode())))
    labels = {row[1] for row in rows if row and row[0].startswith("Processing")}
    assert labels == {source.label for source in registry}
    recipients = [r for r in rows if r and r[0].startswith("Recipients")]
    assert recipients[0][1] == "'=HYPERLINK(1)"  # shown as text, never run
    applicants = next(r for r in rows if r and r[1] == "Job applications")
    assert "=HYPERLINK(1)" in applicants[5]  # received applicant data
    assert AuditEvent.objects.filter(action="disclosures.ropa.downloaded").exists()


def test_the_printable_page_downloads_as_a_file(db):
    response = client_for(roles.PRIVACY_OFFICER).get(URL + "print/?download=1")
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"<style" not in response.content  # strict CSP: the stylesheet is linked


def test_support_cannot_open_the_record(db):
    assert client_for(roles.SUPPORT).get(URL).status_code == 403

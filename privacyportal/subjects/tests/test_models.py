from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from privacyportal.subjects.models import DataSubject, normalize_email
from privacyportal.subjects.tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


DUPLICATES = ["Ann@Example.org", " ann@example.org ", "ANN@EXAMPLE.ORG"]


@pytest.mark.parametrize("duplicate", DUPLICATES)
def test_database_refuses_emails_differing_only_in_case_or_spaces(duplicate):
    DataSubject.objects.create(email="ann@example.org")
    # Raw SQL: the database itself must refuse, not a form or a service.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "INSERT INTO subjects_datasubject (name, email, phone, postal_address,"
            " title, company, account_username, ip_addresses, domain, demographics,"
            " is_under_13, requester_only, created_at, updated_at) VALUES ('', %s,"
            " '', '', '', '', '', '[]', '', '{}', false, false, CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)",
            [duplicate],
        )


def test_many_subjects_without_email_are_allowed():
    DataSubject.objects.create(email=None)
    DataSubject.objects.create(email=None)
    assert DataSubject.objects.filter(email__isnull=True).count() == 2


def test_lookup_by_email_ignores_case_and_spaces():
    subject = DataSubjectFactory(email="bob@example.org")
    assert DataSubject.objects.by_email("  BOB@example.ORG ").get() == subject
    assert not DataSubject.objects.by_email("bobby@example.org").exists()


def test_normalize_email():
    assert normalize_email("  A@B.C ") == "a@b.c"
    assert normalize_email("   ") is None
    assert normalize_email(None) is None

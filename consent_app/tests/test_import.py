from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from consent_app.models import ConsentEvent, Source
from consent_app.services import consent_allows
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory

GOOD = (
    "email,purpose,action,evidence,given_at\n"
    "ann@example.org,newsletter,granted,web form,2025-01-02T10:00:00+00:00\n"
    "BOB@example.org,special-offers,withdrawn,,\n"
)


def _csv(tmp_path, text: str):
    path = tmp_path / "consents.csv"
    path.write_text(text)
    return path


def test_dry_run_validates_and_writes_nothing(tmp_path, purposes, capsys):
    call_command("import_consents", str(_csv(tmp_path, GOOD)), "--dry-run")
    assert "2 rows valid; nothing imported" in capsys.readouterr().out
    assert not ConsentEvent.objects.exists()
    assert not DataSubject.objects.exists()


def test_import_records_every_row_with_its_evidence(tmp_path, purposes, capsys):
    call_command("import_consents", str(_csv(tmp_path, GOOD)))
    out = capsys.readouterr()
    assert "2 consents imported, 2 subjects created" in out.out
    assert "2/2" in out.err  # the progress bar
    ann = DataSubject.objects.by_email("ann@example.org").get()
    assert consent_allows(ann, "newsletter") is True
    event = ConsentEvent.objects.get(subject=ann)
    assert event.source == Source.IMPORT
    assert "consents.csv, line 2" in event.evidence
    assert "2025-01-02T10:00:00+00:00" in event.evidence
    assert DataSubject.objects.by_email("bob@example.org").exists()


def test_one_bad_row_aborts_everything_and_is_reported(tmp_path, purposes, capsys):
    DataSubjectFactory(email="kid@example.org", child=True)
    text = GOOD + (
        "carol@example.org,telepathy,granted,,\n"
        "not-an-email,newsletter,granted,,\n"
        "dan@example.org,newsletter,maybe,,\n"
        "kid@example.org,newsletter,granted,,\n"
    )
    with pytest.raises(CommandError, match="4 of 6 rows have errors"):
        call_command("import_consents", str(_csv(tmp_path, text)))
    err = capsys.readouterr().err
    assert "line 4: unknown purpose 'telepathy'" in err
    assert "line 5: malformed e-mail address" in err
    assert "line 6: action must be granted or withdrawn" in err
    assert "line 7: consent cannot be granted for a child under 13" in err
    assert not ConsentEvent.objects.exists()
    assert not DataSubject.objects.by_email("ann@example.org").exists()


def test_missing_columns_are_reported(tmp_path, purposes, capsys):
    with pytest.raises(CommandError):
        call_command("import_consents", str(_csv(tmp_path, "email,purpose\n")))
    assert "missing column(s): action" in capsys.readouterr().err

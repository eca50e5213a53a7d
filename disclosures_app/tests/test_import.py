from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from disclosures_app.models import Disclosure
from disclosures_app.tests.factories import RecipientFactory

HEADER = "email,recipient,categories,purpose,legal_basis,disclosed_at,legal_reference\n"


def run(tmp_path, body: str, *args: str) -> str:
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    call_command("import_disclosures", str(path), *args)
    return path.read_text()


def test_a_clean_file_is_recorded_with_the_import_channel(tmp_path, capsys, subject):
    RecipientFactory(name="Acme Resellers")
    run(
        tmp_path,
        f"{subject.email},acme resellers,contact details;account,"
        "reselling our products,contract,2026-10-01T09:00:00+00:00,\n" * 2,
    )
    assert "2 disclosures imported" in capsys.readouterr().out
    rows = Disclosure.objects.all()
    assert {r.channel for r in rows} == {"import"}
    assert rows[0].categories == ["contact details", "account"]
    assert rows[0].recorded_by.startswith("import_disclosures feed.csv")


def test_unknown_subject_or_recipient_fails_that_row_and_stores_nothing(
    tmp_path, capsys, subject
):
    RecipientFactory(name="Acme Resellers")
    body = (
        f"{subject.email},Acme Resellers,contact details,reselling our products,"
        "contract,,\n"
        "nobody@example.org,Acme Resellers,contact details,reselling our products,"
        "contract,,\n"
        f"{subject.email},Nobody Inc,contact details,reselling our products,"
        "contract,,\n"
        f"{subject.email},Acme Resellers,shoe size,reselling our products,"
        "contract,,\n"
    )
    with pytest.raises(CommandError, match="3 of 4 rows have errors"):
        run(tmp_path, body)
    err = capsys.readouterr().err
    assert "line 3: no data subject with the e-mail address" in err
    assert "line 4: no recipient named 'Nobody Inc'" in err
    assert "line 5: unknown data categories: shoe size" in err
    assert not Disclosure.objects.exists()


def test_a_row_the_policy_refuses_is_reported_with_the_reason(
    tmp_path, capsys, purposes, subject
):
    RecipientFactory(name="Broker", unlisted=True)
    with pytest.raises(CommandError):
        run(tmp_path, f"{subject.email},Broker,contact details,resale,contract,,\n")
    assert "line 2: refused: the privacy policy does not list Broker" in (
        capsys.readouterr().err
    )


def test_a_dry_run_checks_every_row_and_stores_nothing(tmp_path, capsys, subject):
    RecipientFactory(name="Acme Resellers")
    row = f"{subject.email},Acme Resellers,contact details,reselling our products,"
    run(tmp_path, (row + "contract,,\n") * 3, "--dry-run")
    assert "3 rows valid; nothing imported (dry run)" in capsys.readouterr().out
    assert not Disclosure.objects.exists()

"""The external SQL engine against a second real database (PostgreSQL and SQLite)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from types import SimpleNamespace

import psycopg2
import pytest

from requests_app.fulfilment import external_sql as ext

SUBJECT = SimpleNamespace(pk=42, email="ann@example.org")
ROWS = [
    ("ann@example.org", "Ann", "+44 1", "gold"),
    ("ann@example.org", "Ann A.", "+44 2", "silver"),
    ("bob@example.org", "Bob", "+1 5", "gold"),
]
CREATE = (
    "CREATE TABLE customers (email TEXT, full_name TEXT, phone TEXT, tier TEXT, "
    '"weird ""col" TEXT)'
)


@pytest.fixture
def sqlite_url(tmp_path):
    path = tmp_path / "crm.db"
    conn = sqlite3.connect(path)
    conn.execute(CREATE)
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, 'x')", ROWS)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url():
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
        pytest.skip("needs PostgreSQL for a second real database")
    name = f"crm_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    conn = psycopg2.connect(url)
    cur = conn.cursor()
    cur.execute(CREATE)
    cur.executemany("INSERT INTO customers VALUES (%s, %s, %s, %s, 'x')", ROWS)
    conn.commit()
    conn.close()
    yield url
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def url(request):
    return request.getfixturevalue(f"{request.param}_url")


def spec(url: str, **overrides) -> ext.TableSpec:
    values = dict(
        url=url,
        table="customers",
        identity_column="email",
        identity_kind="email",
        export_columns=("full_name", "phone", "tier"),
        erase_modes={"full_name": "mask", "phone": "set_null"},
    )
    values.update(overrides)
    return ext.TableSpec(**values)


def rows(url: str) -> list[tuple]:
    s = spec(url, export_columns=("email", "full_name", "phone", "tier"))
    return sorted(
        tuple(r.values())
        for r in ext.export_rows(s, SimpleNamespace(pk=1, email="ann@example.org"))
    ) + sorted(
        tuple(r.values())
        for r in ext.export_rows(s, SimpleNamespace(pk=1, email="bob@example.org"))
    )


def test_valid_configuration_has_no_problems(url):
    assert ext.validate(spec(url)) == []


def test_missing_table_and_columns_are_named(url):
    assert "does not exist" in ext.validate(spec(url, table="nope"))[0]
    problems = ext.validate(spec(url, export_columns=("full_name", "password")))
    assert problems == ["column(s) not in 'customers': password"]


def test_export_returns_only_the_subjects_rows(url):
    exported = list(ext.export_rows(spec(url), SUBJECT))
    assert [r["phone"] for r in exported] == ["+44 1", "+44 2"]
    assert set(exported[0]) == {"full_name", "phone", "tier"}


def test_erase_masks_and_nulls_only_the_subjects_rows(url):
    assert ext.erase_rows(spec(url), SUBJECT) == ("anonymised", 2)
    after = rows(url)
    assert after[:2] == [
        ("ann@example.org", "[redacted]", None, "gold"),
        ("ann@example.org", "[redacted]", None, "silver"),
    ]
    assert ("bob@example.org", "Bob", "+1 5", "gold") in after


def test_erase_delete_row_mode_removes_rows(url):
    assert ext.erase_rows(spec(url, erase_modes={"email": "delete_row"}), SUBJECT) == (
        "deleted",
        2,
    )
    assert [r[0] for r in rows(url)] == ["bob@example.org"]


@pytest.mark.parametrize(
    "evil",
    [
        "customers; DROP TABLE customers; --",
        'customers" WHERE 1=1; --',
        "customers WHERE '1'='1'",
    ],
)
def test_injection_in_table_name_is_refused_and_changes_nothing(url, evil):
    assert ext.validate(spec(url, table=evil))
    with pytest.raises(ext.ExternalSourceError):
        list(ext.export_rows(spec(url, table=evil), SUBJECT))
    assert len(rows(url)) == 3


def test_injection_in_values_is_just_a_value(url):
    evil = SimpleNamespace(pk=1, email="x' OR '1'='1")
    assert list(ext.export_rows(spec(url), evil)) == []
    assert ext.erase_rows(spec(url), evil) == ("anonymised", 0)
    masked = spec(url, mask_value="'); DROP TABLE customers; --")
    ext.erase_rows(masked, SUBJECT)
    assert len(rows(url)) == 3


def test_quoted_identifier_is_used_safely(url):
    s = spec(url, export_columns=('weird "col',), erase_modes={})
    assert ext.validate(s) == []
    assert [r['weird "col'] for r in ext.export_rows(s, SUBJECT)] == ["x", "x"]


def test_unreachable_database_raises_a_clear_error():
    down = spec("postgres://nobody@127.0.0.1:1/none")
    with pytest.raises(ext.ExternalSourceError, match="cannot connect"):
        ext.validate(down)
    with pytest.raises(ext.ExternalSourceError, match="cannot connect"):
        ext.validate(spec("sqlite:////nonexistent/dir/crm.db"))


def test_connection_url_is_stored_encrypted(settings):
    token = ext.encrypt_url("postgres://u:secret@db/crm")
    assert "secret" not in token
    assert ext.decrypt_url(token) == "postgres://u:secret@db/crm"
    assert ext.redact_url("postgres://u:secret@db/crm") == "postgres://u:•••@db/crm"
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert ext.decrypt_url(token) == "postgres://u:secret@db/crm"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ext.ExternalSourceError, match="cannot be decrypted"):
        ext.decrypt_url(token)

"""Reaching into the company's own databases: an SQL table as a registry source.

Security rules, because a Privacy Officer types these values into the admin:
- identifiers (table, columns) are never interpolated as typed; they are
  looked up in the target's catalogue and only names found there are used,
  quoted by the driver's identifier quoting;
- values (the subject's e-mail or id, mask values) always travel as
  parameters;
- the connection URL is stored encrypted (Fernet, key derived from
  SECRET_KEY, with SECRET_KEY_FALLBACKS accepted for rotation).
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg2
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from psycopg2 import sql as pgsql

ERASE_MODES = ("delete_row", "set_null", "mask", "keep")
IDENTITY_KINDS = ("email", "subject_id")


class ExternalSourceError(Exception):
    """The external database refused, is unreachable, or is misconfigured."""


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    derived = [
        Fernet(
            base64.urlsafe_b64encode(
                hashlib.sha256(f"external-source:{k}".encode()).digest()
            )
        )
        for k in keys
    ]
    return MultiFernet(derived)


def encrypt_url(url: str) -> str:
    return _fernet().encrypt(url.encode()).decode()


def decrypt_url(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ExternalSourceError(
            "the stored connection URL cannot be decrypted "
            "(was SECRET_KEY changed without a fallback?)"
        ) from None


def redact_url(url: str) -> str:
    """The URL with its password hidden, for display in the admin."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":•••@")
        return parts._replace(netloc=netloc).geturl()
    return url


@dataclass(frozen=True)
class TableSpec:
    url: str
    table: str
    identity_column: str
    identity_kind: str  # "email" or "subject_id"
    export_columns: tuple[str, ...]
    erase_modes: dict[str, str]  # column -> mode; "delete_row" applies to the row
    mask_value: str = "[redacted]"


class _Dialect:
    """What differs between PostgreSQL and SQLite: connecting and quoting."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.scheme = urlsplit(url).scheme
        if self.scheme not in {"postgres", "postgresql", "sqlite"}:
            raise ExternalSourceError(
                "only postgres:// and sqlite:/// URLs are supported"
            )

    @contextmanager
    def connect(self) -> Iterator[Any]:
        try:
            if self.scheme == "sqlite":
                conn = sqlite3.connect(self._sqlite_path(), timeout=10, uri=True)
            else:
                conn = psycopg2.connect(self.url, connect_timeout=5)
        except (sqlite3.Error, psycopg2.Error) as exc:
            raise ExternalSourceError(f"cannot connect: {_first_line(exc)}") from None
        try:
            yield conn
            conn.commit()
        except (sqlite3.Error, psycopg2.Error) as exc:
            conn.rollback()
            raise ExternalSourceError(f"query failed: {_first_line(exc)}") from None
        finally:
            conn.close()

    def _sqlite_path(self) -> str:
        path = unquote(urlsplit(self.url).path)
        # sqlite:///rel.db -> "rel.db"; sqlite:////abs/x.db -> "/abs/x.db"
        path = path[1:] if path.startswith("/") else path
        return f"file:{path}?mode=rw"  # never create a database by mistake

    def columns(self, conn: Any, table: str) -> list[str]:
        cur = conn.cursor()
        if self.scheme == "sqlite":
            cur.execute("SELECT name FROM pragma_table_info(?)", [table])
        else:
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND table_name = %s "
                "ORDER BY ordinal_position",
                [table],
            )
        return [row[0] for row in cur.fetchall()]

    def ident(self, conn: Any, name: str) -> str:
        if self.scheme == "sqlite":
            return '"' + name.replace('"', '""') + '"'
        return pgsql.Identifier(name).as_string(conn)

    @property
    def param(self) -> str:
        return "?" if self.scheme == "sqlite" else "%s"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def validate(spec: TableSpec) -> list[str]:
    """Connect and check the table and every named column exist; returns problems."""
    problems = []
    if spec.identity_kind not in IDENTITY_KINDS:
        problems.append(f"identity kind must be one of {', '.join(IDENTITY_KINDS)}")
    bad_modes = {m for m in spec.erase_modes.values() if m not in ERASE_MODES}
    if bad_modes:
        problems.append(f"unknown erase mode(s): {', '.join(sorted(bad_modes))}")
    dialect = _Dialect(spec.url)
    with dialect.connect() as conn:
        found = set(dialect.columns(conn, spec.table))
    if not found:
        return [*problems, f"table {spec.table!r} does not exist or has no columns"]
    wanted = {spec.identity_column, *spec.export_columns, *spec.erase_modes}
    missing = sorted(wanted - found)
    if missing:
        problems.append(f"column(s) not in {spec.table!r}: {', '.join(missing)}")
    if spec.identity_column in spec.erase_modes and spec.erase_modes[
        spec.identity_column
    ] in {"set_null", "mask"}:
        problems.append(
            "the identity column cannot be nulled or masked; "
            "use delete_row to remove the rows"
        )
    return problems


class _Query:
    """Checked identifiers for one spec, bound to an open connection."""

    def __init__(self, spec: TableSpec, dialect: _Dialect, conn: Any) -> None:
        found = set(dialect.columns(conn, spec.table))
        names = {spec.identity_column, *spec.export_columns, *spec.erase_modes}
        if not found or not names <= found:
            raise ExternalSourceError(
                "the table or its columns changed since "
                "the source was saved; check it in the admin"
            )
        self.spec, self.d, self.conn = spec, dialect, conn
        self.table = dialect.ident(conn, spec.table)
        self.where = f"{dialect.ident(conn, spec.identity_column)} = {dialect.param}"

    def q(self, name: str) -> str:
        return self.d.ident(self.conn, name)


def identity_value(spec: TableSpec, subject: Any) -> Any:
    return subject.email if spec.identity_kind == "email" else subject.pk


def export_rows(spec: TableSpec, subject: Any, *, batch: int = 1000) -> Iterator[dict]:
    """The subject's rows, streamed in batches."""
    dialect = _Dialect(spec.url)
    value = identity_value(spec, subject)
    if value is None:
        return
    with dialect.connect() as conn:
        query = _Query(spec, dialect, conn)
        columns = ", ".join(query.q(c) for c in spec.export_columns)
        cur = conn.cursor()
        cur.execute(
            f"SELECT {columns} FROM {query.table} WHERE {query.where}",  # noqa: S608 - identifiers checked against the catalogue
            [value],
        )
        while rows := cur.fetchmany(batch):
            for row in rows:
                yield dict(zip(spec.export_columns, row, strict=True))


def erase_rows(spec: TableSpec, subject: Any) -> tuple[str, int]:
    """Apply the configured erase modes; returns (outcome kind, rows affected)."""
    dialect = _Dialect(spec.url)
    value = identity_value(spec, subject)
    if value is None:
        return "nothing", 0
    with dialect.connect() as conn:
        query = _Query(spec, dialect, conn)
        cur = conn.cursor()
        if "delete_row" in spec.erase_modes.values():
            cur.execute(f"DELETE FROM {query.table} WHERE {query.where}", [value])  # noqa: S608
            return "deleted", cur.rowcount
        assignments, params = [], []
        for column, mode in spec.erase_modes.items():
            if mode == "set_null":
                assignments.append(f"{query.q(column)} = NULL")
            elif mode == "mask":
                assignments.append(f"{query.q(column)} = {dialect.param}")
                params.append(spec.mask_value)
        if not assignments:
            return "kept", 0
        cur.execute(
            f"UPDATE {query.table} SET {', '.join(assignments)} "  # noqa: S608
            f"WHERE {query.where}",
            [*params, value],
        )
        return "anonymised", cur.rowcount

"""The access-export package: a ZIP with data.json, CSVs and a readable index.

Memory stays flat however much a subject has: each source's iterators are
consumed once, streamed into ``data.json`` inside the archive while every list
of rows is also written to a CSV file on disk; nothing is held in a list.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone

from privacyportal.csvsafe import SafeDictWriter
from privacyportal.registry import PersonalDataSource, registry

SCHEMA = "privacy-portal/access-export/v1"
_CHUNK = 64 * 1024
# Fast deflate: exports are mostly JSON text, which compresses well even at level 1.
_LEVEL = 1


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(value)} bytes of binary data>"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# One encoder for every row: json.dumps(default=...) would build a new one per call.
_encode = json.JSONEncoder(default=_default).encode
_SCALARS = (str, int, float, type(None))


def _cell(value: Any) -> Any:
    """A CSV cell: nested lists and objects as JSON, a timestamp as plain text."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (dict, list, set, frozenset, tuple)):
        return _encode(value)
    # JSON-encoding a datetime would wrap it in quotes the reader then sees.
    return _default(value)


def _is_stream(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict))


class _Writer:
    """Buffers small writes into large ones for the compressed ZIP member."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.parts, self.size = out, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode())
            self.parts, self.size = [], 0


class _CsvSink:
    """One CSV file beside data.json, written in the same pass over the rows."""

    def __init__(self, directory: Path, name: str, number: int) -> None:
        self.name, self.path = name, directory / f"{number}.csv"
        self.file = self.path.open("w", newline="", encoding="utf-8")
        self.writer: SafeDictWriter | None = None

    def add(self, row: dict) -> None:
        flat = {k: _cell(v) for k, v in row.items()}
        if self.writer is None:
            self.writer = SafeDictWriter(self.file, list(flat), extrasaction="ignore")
            self.writer.writeheader()
        self.writer.writerow(flat)


class _Streamer:
    """Writes a source's export as JSON; lists of dicts also go to a CSV sink."""

    def __init__(self, write: Callable[[str], None], scratch: Path) -> None:
        self.write, self.scratch = write, scratch
        self.sinks: list[_CsvSink] = []

    def value(self, value: Any, counts: dict[str, int], path: str) -> None:
        if isinstance(value, dict):
            self.write("{")
            for i, (name, item) in enumerate(value.items()):
                self.write(("," if i else "") + _encode(str(name)) + ":")
                self.value(item, counts, f"{path}.{name}")
            self.write("}")
        elif _is_stream(value):
            self.rows(value, counts, path)
        else:
            self.write(_encode(value))

    def rows(self, rows: Iterable, counts: dict[str, int], path: str) -> None:
        sink, n, write = None, 0, self.write
        write("[")
        for n, item in enumerate(rows, 1):
            write(("," if n > 1 else "") + _encode(item))
            if isinstance(item, dict):
                if sink is None:
                    sink = _CsvSink(self.scratch, f"csv/{path}.csv", len(self.sinks))
                    self.sinks.append(sink)
                sink.add(item)
        write("]")
        counts[path.split(".", 2)[-1]] = n

    def close(self) -> None:
        for sink in self.sinks:
            sink.file.close()


@dataclass
class SourceSummary:
    key: str
    label: str
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: str
    origin: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ExportManifest:
    path: Path
    size: int
    sources: list[SourceSummary]
    files: list[str]


def _summary(source: PersonalDataSource) -> SourceSummary:
    info = source.info
    return SourceSummary(
        source.key,
        source.label,
        tuple(info.categories),
        tuple(info.purposes),
        tuple(info.recipients),
        info.retention,
        info.origin,
    )


def _write_data_json(
    archive: zipfile.ZipFile,
    subject: Any,
    header: dict,
    sources: list[PersonalDataSource],
    scratch: Path,
) -> tuple[list[SourceSummary], list[_CsvSink]]:
    summaries = []
    with archive.open("data.json", "w", force_zip64=True) as member:
        out = _Writer(member)
        streamer = _Streamer(out.write, scratch)
        out.write(_encode(header)[:-1] + ',"sources":{')
        for i, source in enumerate(sources):
            summary = _summary(source)
            body = {"label": source.label, "categories": list(summary.categories)}
            out.write(("," if i else "") + _encode(source.key) + ":")
            out.write(_encode(body)[:-1] + ',"data":')
            streamer.value(source.export(subject), summary.counts, source.key)
            out.write("}")
            summaries.append(summary)
        out.write("}}")
        out.flush()
    streamer.close()
    return summaries, streamer.sinks


def _private_file(path: Path) -> IO[bytes]:
    """A new file only its owner can read, whatever the process umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # The umask can only narrow the mode; fchmod makes it exactly 0600.
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def build_export(
    *,
    subject: Any,
    path: Path,
    reference: str,
    sources: list[PersonalDataSource] | None = None,
) -> ExportManifest:
    """Write the package for ``subject`` to ``path`` and describe what it holds."""
    chosen = list(registry) if sources is None else sources
    generated = timezone.now()
    header = {
        "schema": SCHEMA,
        "generated_at": generated,
        "request": reference,
        "subject_id": subject.pk,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=path.parent) as scratch,
        _private_file(path) as out,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as zf,
    ):
        summaries, sinks = _write_data_json(zf, subject, header, chosen, Path(scratch))
        files = ["data.json"]
        for sink in sinks:
            zf.write(sink.path, sink.name)
            files.append(sink.name)
        context = {
            "reference": reference,
            "generated_at": generated,
            "sources": summaries,
            "files": files,
        }
        zf.writestr(
            "index.html", render_to_string("fulfilment/export_index.html", context)
        )
    return ExportManifest(path, path.stat().st_size, summaries, [*files, "index.html"])

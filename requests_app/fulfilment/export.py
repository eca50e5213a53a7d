"""The access-export package: a ZIP with data.json, CSVs and a readable index.

Memory stays flat however much a subject has: each source's iterators are
consumed once, streamed into ``data.json`` inside the archive while every list
of rows is also written to a CSV file and to the HTML of ``index.html`` on
disk; nothing is held in a list.

``index.html`` shows the person's data and the GDPR Art. 15 information, in
the request's language; it is a file in a ZIP, so it is self-contained (inline
style, no scripts, nothing fetched).
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
from html import escape
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.formats import get_format, number_format
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext

from privacyportal.csvsafe import SafeDictWriter
from privacyportal.registry import PersonalDataSource, registry, shown

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
# Decimal stays a number: as text, a negative amount would get the formula guard.
_SCALARS = (str, int, float, Decimal, type(None))
# Where the data sections go in the rendered page (they are streamed from disk).
_DATA_MARK = "<!--personal-data-->"


def _cell(value: Any) -> Any:
    """A CSV cell: nested lists and objects as JSON, a timestamp as plain text.

    Never JSON-encode a scalar here: ``"2026-12-01T10:53:42"`` with its JSON
    quotes is what the CSV writer then quoted again (``\"\"\"2026…\"\"\"``).
    """
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (dict, list, set, frozenset, tuple)):
        return _encode(value)
    # JSON-encoding a datetime would wrap it in quotes the reader then sees.
    return _default(value)


def _is_stream(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict))


# --- index.html: the person's data, readable -----------------------------------

# Django's date format characters that depend only on the day, or only on the
# time of day; a format using any other (time zone names, ISO week...) is
# formatted without the cache.
_DAY_CHARS = frozenset("bdDEFjlLmMnNoStwWyYz")
_TIME_CHARS = frozenset("aAfgGhHisPu")
_LONG = 40
_WORDS = {"id": "ID", "ip": "IP", "url": "URL", "uuid": "UUID"}


class _DateText:
    """Locale-formatted dates, fast enough for 100,000 rows.

    Django's ``date_format`` costs ~20 µs a call. Here the format is compiled
    once into a ``str.format`` template whose day fields and time fields are
    cached apart, so a long list of timestamps costs two lookups each.
    """

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self.day_format = get_format("DATE_FORMAT")
        self.time_format = get_format("DATETIME_FORMAT")
        template, self.day_chars, self.time_chars = [], [], []
        for i, piece in enumerate(re_formatchars.split(self.time_format)):
            if not i % 2:
                text = re_escaped.sub(r"\1", piece)
                template.append(text.replace("{", "{{").replace("}", "}}"))
            elif piece in _DAY_CHARS:
                template.append(f"{{0[{len(self.day_chars)}]}}")
                self.day_chars.append(piece)
            else:
                template.append(f"{{1[{len(self.time_chars)}]}}")
                self.time_chars.append(piece)
        self.template = "".join(template)
        chars = {*self.day_chars, *self.time_chars}
        self.cacheable = chars <= _DAY_CHARS | _TIME_CHARS
        # Formats without seconds (all of ours) need only the hour and minute.
        self.by_minute = not chars & {"s", "u", "f"}
        self.days: dict[date, list[str]] = {}
        self.times: dict[Any, list[str]] = {}

    def __call__(self, value: date | datetime) -> str:
        if not isinstance(value, datetime):
            return dateformat.format(value, self.day_format)
        if value.tzinfo is not None:
            value = value.astimezone(self.tz)
        if not self.cacheable:
            return dateformat.format(value, self.time_format)
        day = self.days.get(value.date())
        if day is None:
            day = self.days[value.date()] = self._parts(value, self.day_chars)
        key = (value.hour, value.minute) if self.by_minute else value.time()
        time = self.times.get(key)
        if time is None:
            time = self.times[key] = self._parts(value, self.time_chars)
        return self.template.format(day, time)

    @staticmethod
    def _parts(value: datetime, chars: list[str]) -> list[str]:
        formatter = dateformat.DateFormat(value)
        return [str(getattr(formatter, c)()) for c in chars]


def _heading(name: str) -> str:
    """A field or list name as words: ``occurred_at`` -> ``Occurred at``."""
    words = [_WORDS.get(w.lower(), w) for w in name.replace("_", " ").split()]
    return capfirst(" ".join(words)) if words else name


class _Text:
    """A value as the words a person reads (active language), HTML-escaped."""

    def __init__(self) -> None:
        self.dates = _DateText()
        self.yes, self.no = gettext("Yes"), gettext("No")

    def __call__(self, value: Any) -> str:
        kind = type(value)
        if kind is int:  # the commonest cell; digits need no escaping
            return str(value)
        if kind is str:
            return escape(self._string(value)) if value else "—"
        return escape(self._other(value))

    def _other(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, str):
            return self._string(value) or "—"
        if isinstance(value, (int, Decimal)):
            return str(value)
        if isinstance(value, float):
            return number_format(value)
        if isinstance(value, (datetime, date)):
            return self.dates(value)
        if isinstance(value, dict):
            pairs = (f"{_heading(str(k))}: {self._other(v)}" for k, v in value.items())
            return "; ".join(pairs) or "—"
        if isinstance(value, (list, tuple, set, frozenset)):
            return ", ".join(self._other(v) for v in value) or "—"
        return str(_default(value))

    def _string(self, value: str) -> str:
        # Sources often give timestamps as ISO text: shown as dates too. The
        # cheap checks first: most strings are not dates.
        if 10 <= len(value) <= 32 and value[4:5] == "-" and value[:4].isdigit():
            try:
                return self.dates(_parse_iso(value))
            except ValueError:
                return value
        return value


def _parse_iso(value: str) -> date | datetime:
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value)


class _HtmlSink:
    """The data sections of index.html, written to a scratch file as rows pass."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("w", encoding="utf-8", buffering=_CHUNK)
        self.text = _Text()

    def write(self, html: str) -> None:
        self.file.write(html)

    def source_start(self, number: int, label: str) -> None:
        self.write(f'<section class="source" id="source-{number}">')
        self.write(f"<h3>{escape(label)}</h3>")

    def source_end(self) -> None:
        self.write("</section>")

    def item_start(self, name: str, depth: int) -> None:
        title = escape(_heading(name))
        if depth == 0:
            self.write(f'<div class="part"><h4>{title}</h4>')
        else:
            self.write(f'<div class="pair"><dt>{title}</dt><dd>')

    def item_end(self, depth: int) -> None:
        self.write("</div>" if depth == 0 else "</dd></div>")

    def scalar(self, value: Any) -> None:
        self.write(f'<p class="value">{self.text(value)}</p>')

    def rows(self, title: str) -> _HtmlRows:
        return _HtmlRows(self, title)

    def close(self) -> None:
        self.file.close()


def _number(n: int) -> str:
    """100000 as the page's language writes it (100,000 / 100.000)."""
    return number_format(n, use_l10n=True, force_grouping=True)


def _td(html: str) -> str:
    # A long value gets a wide column to wrap in, instead of a tall narrow one.
    if len(html) > _LONG:
        return f'<td class="long">{html}</td>'
    return f"<td>{html}</td>"


class _HtmlRows:
    """One list of records: a table (its own scroll box) or a bulleted list."""

    def __init__(self, sink: _HtmlSink, title: str) -> None:
        self.sink, self.title = sink, title
        self.keys: tuple | None = None
        self.kind = ""  # "table" or "list" once the first item is seen
        self.tabular = False  # whether any item was a record (a table row)
        self.shown = 0

    def add(self, item: Any) -> None:
        # A page of 100,000 rows helps nobody and no browser opens it: the
        # first EXPORT_INDEX_ROWS are shown, every row is in the CSV and JSON.
        if self.shown >= settings.EXPORT_INDEX_ROWS:
            self.tabular = self.tabular or isinstance(item, dict)
            return
        self.shown += 1
        write, text = self.sink.write, self.sink.text
        if isinstance(item, dict):
            if self.kind != "table":
                self._open("table")
                self.tabular = True
            keys = tuple(item)
            if keys != self.keys:  # a row with other fields gets its own header
                self.keys = keys
                cells = "".join(
                    f'<th scope="col">{escape(_heading(str(k)))}</th>' for k in keys
                )
                write(f'<tr class="head">{cells}</tr>')
            write("<tr>" + "".join([_td(text(v)) for v in item.values()]) + "</tr>")
        else:
            self._open("list")
            write(f"<li>{text(item)}</li>")

    def _open(self, kind: str) -> None:
        if self.kind == kind:
            return
        self._close()
        self.kind = kind
        if kind == "table":
            label = escape(self.title, quote=True)
            self.sink.write(
                f'<div class="scroll" role="region" tabindex="0" aria-label="{label}">'
                "<table>"
            )
        else:
            self.sink.write("<ul>")

    def _close(self) -> None:
        if self.kind == "table":
            self.sink.write("</table></div>")
        elif self.kind == "list":
            self.sink.write("</ul>")
        self.kind, self.keys = "", None

    def end(self, count: int, csv_name: str | None) -> None:
        self._close()
        if not count:
            # gettext outside the f-string: makemessages skips calls inside one.
            nothing = gettext("Nothing held.")
            self.sink.write(f'<p class="none">{escape(nothing)}</p>')
            return
        if not self.tabular and self.shown == count:  # a short list needs no count
            return
        words = ngettext("%(n)s record.", "%(n)s records.", count) % {"n": count}
        if self.shown < count:
            words = ngettext(
                "The first %(shown)s of %(n)s record are shown here; every one is "
                "in the spreadsheet (CSV file) and in data.json.",
                "The first %(shown)s of %(n)s records are shown here; every one is "
                "in the spreadsheet (CSV file) and in data.json.",
                count,
            ) % {"shown": _number(self.shown), "n": _number(count)}
        link = ""
        if csv_name:
            label = escape(gettext("The same as a spreadsheet (CSV file)"))
            link = f' <a href="{escape(csv_name, quote=True)}">{label}</a>'
        self.sink.write(f'<p class="count">{escape(words)}{link}</p>')


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
        self.html = _HtmlSink(scratch / "index-data.html")

    def value(
        self, value: Any, counts: dict[str, int], path: str, depth: int = 0
    ) -> None:
        """Write ``value`` to data.json (and its lists of rows to CSV and HTML)."""
        if isinstance(value, dict):
            self.mapping(value, counts, path, depth)
        elif _is_stream(value):
            self.rows(value, counts, path)
        else:
            self.write(_encode(value))
            self.html.scalar(value)

    def mapping(
        self, value: dict, counts: dict[str, int], path: str, depth: int
    ) -> None:
        if depth and not value:
            self.write("{}")
            self.html.scalar(None)
            return
        self.write("{")
        if depth:
            self.html.write("<dl>")
        for i, (name, item) in enumerate(value.items()):
            self.write(("," if i else "") + _encode(str(name)) + ":")
            self.html.item_start(str(name), depth)
            self.value(item, counts, f"{path}.{name}", depth + 1)
            self.html.item_end(depth)
        self.write("}")
        if depth:
            self.html.write("</dl>")

    def rows(self, rows: Iterable, counts: dict[str, int], path: str) -> None:
        sink, n, write = None, 0, self.write
        name = path.split(".", 2)[-1]
        table = self.html.rows(_heading(name.rsplit(".", 1)[-1]))
        write("[")
        for n, item in enumerate(rows, 1):
            write(("," if n > 1 else "") + _encode(item))
            table.add(item)
            if isinstance(item, dict):
                if sink is None:
                    sink = _CsvSink(self.scratch, f"csv/{path}.csv", len(self.sinks))
                    self.sinks.append(sink)
                sink.add(item)
        write("]")
        table.end(n, sink.name if sink else None)
        counts[name] = n

    def close(self) -> None:
        for sink in self.sinks:
            sink.file.close()
        self.html.close()


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
    number: int = 0
    # The categories as the registry names them (English): what the recipient
    # register records, so matching does not depend on the page's language.
    category_keys: tuple[str, ...] = ()


@dataclass
class ExportManifest:
    path: Path
    size: int
    sources: list[SourceSummary]
    files: list[str]


def _summary(source: PersonalDataSource, number: int) -> SourceSummary:
    """The source's words as plain text in the active (the request's) language."""
    info = source.info
    return SourceSummary(
        source.key,
        shown(source.label),
        tuple(shown(c) for c in info.categories),
        tuple(shown(p) for p in info.purposes),
        tuple(shown(r) for r in info.recipients),
        shown(info.retention),
        shown(info.origin),
        number=number,
        category_keys=tuple(str(c) for c in info.categories),
    )


def _write_data_json(
    archive: zipfile.ZipFile,
    subject: Any,
    header: dict,
    sources: list[PersonalDataSource],
    scratch: Path,
) -> tuple[list[SourceSummary], _Streamer]:
    summaries = []
    with archive.open("data.json", "w", force_zip64=True) as member:
        out = _Writer(member)
        streamer = _Streamer(out.write, scratch)
        out.write(_encode(header)[:-1] + ',"sources":{')
        for i, source in enumerate(sources):
            summary = _summary(source, i + 1)
            body = {"label": summary.label, "categories": list(summary.categories)}
            out.write(("," if i else "") + _encode(source.key) + ":")
            out.write(_encode(body)[:-1] + ',"data":')
            streamer.html.source_start(summary.number, summary.label)
            streamer.value(source.export(subject), summary.counts, source.key)
            streamer.html.source_end()
            out.write("}")
            summaries.append(summary)
        out.write("}}")
        out.flush()
    streamer.close()
    return summaries, streamer


@dataclass(frozen=True)
class RecipientLine:
    """One entry of the recipient register, as Art. 15(1)(c) and 15(2) ask."""

    name: str
    kind: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    transfers: tuple[str, ...]
    category_keys: tuple[str, ...] = ()


def _register() -> list[RecipientLine]:
    """The recipient register (disclosures_app), or nothing if it is not installed."""
    from django.apps import apps

    if not apps.is_installed("disclosures_app"):
        return []
    from disclosures_app.models import Recipient

    rows = Recipient.objects.filter(archived_at__isnull=True).prefetch_related(
        "transfers"
    )
    return [
        RecipientLine(
            r.name,
            r.get_kind_display(),
            tuple(r.purposes),
            # Registry words in the page's language; staff's own words as typed.
            tuple(shown(c) for c in r.data_categories),
            tuple(
                f"{t.country} ({t.get_safeguard_display()})" for t in r.transfers.all()
            ),
            category_keys=tuple(r.data_categories),
        )
        for r in rows
    ]


def _with_register(
    summaries: list[SourceSummary], register: list[RecipientLine]
) -> None:
    """Add to each source the kinds of register recipients that get its categories."""
    for summary in summaries:
        held = set(summary.category_keys)
        kinds = [r.kind for r in register if held & set(r.category_keys)]
        summary.recipients = tuple(dict.fromkeys([*summary.recipients, *kinds]))


def _write_index(archive: zipfile.ZipFile, context: dict, data_html: Path) -> None:
    """index.html: the page around the data sections, streamed from disk."""
    page = render_to_string(
        "fulfilment/export_index.html",
        {"PRIVACY_CONTACT": settings.PRIVACY_CONTACT_EMAIL, **context},
    )
    head, _, tail = page.partition(_DATA_MARK)
    with archive.open("index.html", "w", force_zip64=True) as member:
        member.write(head.encode())
        with data_html.open("rb") as data:
            while chunk := data.read(_CHUNK):
                member.write(chunk)
        member.write(tail.encode())


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
    language: str | None = None,
) -> ExportManifest:
    """Write the package for ``subject`` to ``path`` and describe what it holds.

    ``language`` is the request's: index.html's words and dates follow it.
    """
    chosen = list(registry) if sources is None else sources
    with translation.override(language or settings.LANGUAGE_CODE):
        return _build(subject, path, reference, chosen)


def _build(
    subject: Any, path: Path, reference: str, chosen: list[PersonalDataSource]
) -> ExportManifest:
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
        summaries, streamer = _write_data_json(
            zf, subject, header, chosen, Path(scratch)
        )
        files = ["data.json"]
        for sink in streamer.sinks:
            zf.write(sink.path, sink.name)
            files.append(sink.name)
        register = _register()
        _with_register(summaries, register)
        context = {
            "reference": reference,
            "generated_at": generated,
            "sources": summaries,
            "register": register,
            "tables": len(streamer.sinks),
            "data_mark": mark_safe(_DATA_MARK),  # noqa: S308 - a constant comment
        }
        _write_index(zf, context, streamer.html.path)
    return ExportManifest(path, path.stat().st_size, summaries, [*files, "index.html"])

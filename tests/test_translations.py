"""Every public string is translatable, and every catalogue is complete.

Three checks, each of which fails on a real slip:

- a public template with visible text (or a human attribute such as
  ``aria-label``) outside a translation tag;
- a catalogue entry that is untranslated, fuzzy, or whose placeholders differ
  from its source (a missing ``%(name)s`` would crash or lose the value);
- a catalogue that lacks a string the code and templates now mark
  (``makemessages`` extracts them; the catalogue must hold each one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LOCALE = ROOT / "locale"

# What the public reads: pages, e-mails to requesters, the export's index.
PUBLIC_TEMPLATES = sorted(
    [
        TEMPLATES / "base.html",
        *TEMPLATES.glob("public/*.html"),
        *TEMPLATES.glob("requests/*.html"),
        *(p for p in TEMPLATES.glob("consent/*.html") if "admin" not in p.name),
        *TEMPLATES.glob("errors/*.html"),
        *TEMPLATES.glob("incidents/public/*.html"),
        TEMPLATES / "fulfilment" / "export_index.html",
        *(
            p
            for p in TEMPLATES.glob("emails/*")
            if p.name.startswith(
                (
                    "request_",
                    "fulfilment_",
                    "consent_",
                    "complaint_",
                    "compromise_",
                    "breach_notice",
                )
            )
            # Staff e-mails stay English, whatever their prefix.
            and "_staff_" not in p.name
        ),
    ]
)
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en-gb"]
# Attributes a person reads or a screen reader speaks.
HUMAN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder", "aria-description")
HOLE = "\x00"  # stands for whatever a template tag or variable produces
# As `make messages` runs it: only the portal's own code and templates.
IGNORED = [
    arg
    for pattern in (
        ".venv/*",
        "node_modules/*",
        "bench/*",
        "var/*",
        "*/tests/*",
        "tests/*",
    )
    for arg in ("--ignore", pattern)
]
WORD = re.compile(r"[^\W\d_]{2,}")


def _flatten(source: str) -> str:
    """The template's literal text, every tag, variable and translation a hole."""
    out, depth = [], 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            # Text inside these is translated, or is a comment nobody sees.
            if name in ("blocktranslate", "blocktrans", "comment"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment"):
                depth -= 1
            out.append(HOLE)
        elif token.token_type == TokenType.TEXT and depth == 0:
            out.append(token.contents)
        elif token.token_type != TokenType.COMMENT:
            out.append(HOLE)
    return "".join(out)


def untranslated_text(source: str) -> list[str]:
    """Words a person would read that no translation tag covers."""
    text = _flatten(source)
    text = re.sub(r"(?is)<(style|script)\b.*?</\1>", HOLE, text)
    text = re.sub(r"(?s)<!--.*?-->", HOLE, text)
    found = []
    for attr in HUMAN_ATTRIBUTES:
        for value in re.findall(rf'\s{attr}="([^"]*)"', text):
            found += WORD.findall(value)
    visible = re.sub(r"(?s)<[^>]*>", HOLE, text)
    visible = re.sub(r"&[a-zA-Z]+;|&#\d+;", " ", visible)
    found += WORD.findall(visible)
    return found


def test_the_checker_finds_unmarked_text() -> None:
    # The check itself can fail: plain text, an attribute, text after a block.
    assert untranslated_text("<p>Hello</p>") == ["Hello"]
    assert untranslated_text('<nav aria-label="Language"></nav>') == ["Language"]
    assert untranslated_text(
        "{% blocktranslate %}Fine{% endblocktranslate %} Oops"
    ) == ["Oops"]
    assert untranslated_text("{% comment %}Staff note{% endcomment %}{# x #}") == []
    assert (
        untranslated_text(
            '{% load i18n %}<a href="{% url "x" %}" class="brand big">'
            '{% translate "Home" %}</a><style>p { color: red }</style>'
        )
        == []
    )


@pytest.mark.parametrize(
    "path",
    PUBLIC_TEMPLATES,
    ids=[str(p.relative_to(TEMPLATES)) for p in PUBLIC_TEMPLATES],
)
def test_public_template_marks_every_string(path: Path) -> None:
    words = untranslated_text(path.read_text(encoding="utf-8"))
    assert not words, (
        f"{path.relative_to(ROOT)} has text outside translate tags: {words}"
    )


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([^)]+\)[sdif]|\{[a-z_]+\}", text))


def _catalogue(code: str) -> polib.POFile:
    path = LOCALE / code.replace("-br", "_BR") / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"no catalogue for {code} at {path.relative_to(ROOT)}"
    return polib.pofile(str(path))


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete(code: str) -> None:
    catalogue = _catalogue(code)
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
        else:
            for source, target in _pairs(entry):
                if _placeholders(source) != _placeholders(target):
                    problems.append(f"placeholders differ: {source!r} → {target!r}")
    assert not problems, f"{code}: " + "; ".join(problems[:20])


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    if entry.msgid_plural:
        plural = entry.msgid_plural
        return [
            (entry.msgid if i == 0 else plural, s)
            for i, s in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """Every msgid the code and templates mark, as ``makemessages`` finds them."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext's xgettext is missing (apt-get install gettext)")
    excluded = [
        arg for code in TRANSLATED for arg in ("-x", code.replace("-br", "_BR"))
    ]
    pot = LOCALE / "django.pot"
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "--keep-pot",
                *excluded,
                *IGNORED,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "DEBUG": "1"},
        )
        return {e.msgid for e in polib.pofile(str(pot)) if e.msgid}
    finally:
        pot.unlink(missing_ok=True)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_holds_every_marked_string(code: str, extracted: set[str]) -> None:
    held = {e.msgid for e in _catalogue(code) if not e.obsolete}
    missing = sorted(extracted - held)
    assert not missing, (
        f"{code} lacks {len(missing)} marked strings (run `make messages` and "
        f"translate them): {missing[:10]}"
    )

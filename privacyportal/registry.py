"""The personal-data registry: every place that holds personal data, in one list.

Each app registers its sources in ``AppConfig.ready()``. Access export and
erasure iterate the registry, so adding a system means adding a source, never
editing the fulfilment code.

A source's words (its label, the ``SourceInfo`` summary, its correctable
fields' labels) are marked with ``gettext_noop``: they stay English ``str``
wherever they are stored or compared (erasure outcomes, audit data, JSON, the
disclosure log's categories, which must match what was recorded), and are
translated only where a person reads them, through ``shown`` (or the live
lookups ``source_label`` and ``field_label``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.utils import translation


class Outcome:
    DELETED = "deleted"
    ANONYMISED = "anonymised"
    RETAINED = "retained"
    NOTHING = "nothing_held"
    CHOICES = [
        (DELETED, "Deleted"),
        (ANONYMISED, "Anonymised"),
        (RETAINED, "Retained"),
        (NOTHING, "Nothing held"),
    ]


@dataclass(frozen=True)
class ErasureResult:
    """What one source did with a subject's data; ``retained`` always says why."""

    outcome: str
    items: int = 0
    detail: str = ""
    reason: str = ""
    legal_basis: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in {value for value, _ in Outcome.CHOICES}:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if self.outcome == Outcome.RETAINED and not (self.reason and self.legal_basis):
            raise ValueError("a retained outcome needs a reason and a legal basis")


@dataclass(frozen=True)
class SourceInfo:
    """What the export summary says of a source (GDPR Art. 15 (1))."""

    categories: tuple[str, ...]
    purposes: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    retention: str = ""
    origin: str = ""
    # A record of how the person's requests were handled (who was told what,
    # what was done): kept by design, so keeping it does not make an erasure
    # "partly completed". The requester is still told it is kept, and why.
    record_of_handling: bool = False


@runtime_checkable
class PersonalDataSource(Protocol):
    key: str
    # Plain English str marked with gettext_noop (as are the SourceInfo words
    # and field labels): pages translate it with ``shown``, never a lazy string,
    # which would be stored in whatever language happened to be active.
    label: str
    info: SourceInfo

    def export(self, subject: Any) -> dict[str, Any]:
        """JSON-serialisable data; list values may be iterators for large sets."""

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        """Delete, anonymise or retain (with reason); idempotent."""


@runtime_checkable
class RectifiableSource(Protocol):
    """A source whose fields a rectification request may correct."""

    def rectifiable_fields(self) -> dict[str, str]:
        """Field name -> label shown to the requester and staff."""

    def current_values(self, subject: Any) -> dict[str, Any]:
        """The values held now, for the staff diff."""

    def rectify(self, subject: Any, *, field: str, value: Any, actor: Any) -> None:
        """Apply one correction (audited); raise ValueError for a bad value."""


# Returns sources that live in rows (e.g. external databases configured in the
# admin), consulted on every read so a source saved at runtime is seen at once.
Provider = Callable[[], Iterable["PersonalDataSource"]]


@dataclass
class Registry:
    _sources: dict[str, PersonalDataSource] = field(default_factory=dict)
    _providers: list[Provider] = field(default_factory=list)

    def register(self, source: PersonalDataSource) -> None:
        if not isinstance(source, PersonalDataSource):
            raise TypeError(f"{source!r} does not implement PersonalDataSource")
        existing = self._sources.get(source.key)
        if existing is not None and type(existing) is not type(source):
            raise ValueError(f"source key {source.key!r} is already registered")
        self._sources[source.key] = source

    def unregister(self, key: str) -> None:
        self._sources.pop(key, None)

    def add_provider(self, provider: Provider) -> None:
        if provider not in self._providers:
            self._providers.append(provider)

    def remove_provider(self, provider: Provider) -> None:
        if provider in self._providers:
            self._providers.remove(provider)

    def _all(self) -> dict[str, PersonalDataSource]:
        found = dict(self._sources)
        for provider in self._providers:
            for source in provider():
                # A registered (built-in) source always wins over a row.
                found.setdefault(source.key, source)
        return found

    def get(self, key: str) -> PersonalDataSource:
        if key in self._sources:
            return self._sources[key]
        return self._all()[key]

    def keys(self) -> list[str]:
        return sorted(self._all())

    def __iter__(self) -> Iterator[PersonalDataSource]:
        found = self._all()
        return iter([found[key] for key in sorted(found)])

    def __len__(self) -> int:
        return len(self._all())

    def rectifiable(self) -> list[RectifiableSource]:
        return [s for s in self if isinstance(s, RectifiableSource)]

    def field_owner(self, field: str) -> RectifiableSource | None:
        """The source that holds a field named ``source_key.field`` or ``field``."""
        key, _, name = field.rpartition(".")
        for source in self.rectifiable():
            if (not key or source.key == key) and name in source.rectifiable_fields():
                return source
        return None


registry = Registry()


def register(source: PersonalDataSource) -> None:
    registry.register(source)


def materialise(value: Any) -> Any:
    """Turn iterators inside an export into lists (for small exports and tests)."""
    if isinstance(value, dict):
        return {key: materialise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Iterable) and not isinstance(value, (str, bytes))
    ):
        return [materialise(item) for item in value]
    return value


def shown(text: Any) -> str:
    """A registry string in the active language, for the person reading it.

    Built-in sources mark their words with ``gettext_noop``; a staff-typed
    label (an external source) has no catalogue entry and comes back as typed.
    """
    return translation.gettext(str(text)) if text else ""


def stored(text: Any) -> str:
    """A registry string as plain text in LANGUAGE_CODE, for the database,
    audit data and staff (a source may still hand out a lazy string)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text) if text else ""


def source_label(key: str, fallback: str = "") -> str:
    """The live label of source ``key`` in the active language; ``fallback``
    (the text stored when the step ran) once the source no longer exists."""
    try:
        return shown(registry.get(key).label)
    except KeyError:
        return fallback


def field_label(field: str, fallback: str = "") -> str:
    """The live label of a correctable field (``source.field``), as above."""
    source = registry.field_owner(field)
    label = source.rectifiable_fields().get(field.rpartition(".")[2]) if source else ""
    return shown(label) if label else fallback

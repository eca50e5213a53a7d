"""Retention categories: everything that expires, in one list.

Each app registers its categories in ``AppConfig.ready()`` (requests_app its
closed requests, export packages and tokens; retention_app its recordings,
transcripts, call records and applicants). The sweep, legal holds, policies and
deletion records live in retention_app and serve every registered category
without importing another app's models.

A category says which of its rows are due and disposes of one batch of them.
The sweep calls ``dispose_batch`` inside a short transaction, writes one
DeletionRecord per returned item in that same transaction, and removes the
returned files only after it commits.

A category may set ``announces = True`` (items other systems mirror, such as
recordings): the sweep then also writes one AuditEvent per batch,
``retention.sweep.batch``, in the batch's transaction, naming the disposed
items' ids (ids only). Outgoing webhooks turn it into events. One event per
batch, not per item, keeps a million-row sweep to hundreds of audit events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


class Action:
    DELETE = "delete"
    ANONYMISE = "anonymise"
    CHOICES = [(DELETE, "Delete"), (ANONYMISE, "Anonymise to statistics")]


@dataclass(frozen=True)
class Terms:
    """The policy in force for a category, as the sweep passes it to the category.

    ``days`` None means "keep until deleted". ``not_before`` is the end of the
    grace period of a shortening change: nothing becomes due because of the
    change before it, while what was due under ``previous_days`` (the duration
    it replaced; None if unknown) still goes on time.
    """

    key: str
    days: int | None
    action: str
    version: int
    not_before: datetime | None = None
    previous_days: int | None = None


@dataclass(frozen=True)
class Holds:
    """Active legal holds, by scope, as seen inside the sweep's batch transaction.

    Maps an organization or subject id to the name of a hold covering it, so a
    refusal can name the hold. Categories whose rows carry no ``held`` flag
    filter with these; the sweep takes them under a lock that placing a hold
    waits for, so a hold placed while a batch runs applies from the next batch.
    """

    organizations: dict[int, str] = field(default_factory=dict)
    subjects: dict[int, str] = field(default_factory=dict)

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.organizations)

    @property
    def subject_ids(self) -> frozenset[int]:
        return frozenset(self.subjects)

    def covering(
        self, *, organization_id: int | None = None, subject_id: int | None = None
    ) -> str:
        """The name of a hold covering this scope, or "" when none does."""
        if organization_id in self.organizations:
            return self.organizations[organization_id]
        return self.subjects.get(subject_id, "") if subject_id else ""


@dataclass(frozen=True)
class Disposed:
    """One item a category deleted or anonymised: ids and sizes, no personal data."""

    item_id: str
    organization_id: int | None = None
    bytes: int = 0
    files: tuple[str, ...] = ()
    # The rule that disposed of it when not the category's policy
    # (e.g. "customer setting"); recorded in the DeletionRecord.
    rule: str = ""


@dataclass(frozen=True)
class Due:
    count: int
    bytes: int = 0


@runtime_checkable
class RetentionCategory(Protocol):
    key: str
    label: str
    action: str
    default_days: int | None
    legal_basis: str

    def due(self, *, now: datetime, terms: Terms, holds: Holds) -> Due:
        """How many items (and bytes) the next sweep would dispose of."""

    def due_under(self, *, at: datetime, terms: Terms) -> Due:
        """Unheld items that would be due at ``at`` under ``terms`` (change preview)."""

    def dispose_batch(
        self, *, now: datetime, terms: Terms, holds: Holds, limit: int
    ) -> list[Disposed]:
        """Delete or anonymise at most ``limit`` due, unheld items; [] when done.

        Runs inside the caller's transaction. Rows must be claimed with
        ``FOR UPDATE SKIP LOCKED`` and the statement that removes them must
        re-check expiry and holds, so concurrent sweeps never dispose of an
        item twice and a hold committed before the statement always wins.
        """

    def recompute(self, *, terms: Terms, batch_size: int) -> int:
        """Refresh stored expiry dates after a policy change; returns rows touched.

        Categories that compute expiry in their query return 0.
        """


@dataclass
class CategoryRegistry:
    _categories: dict[str, RetentionCategory] = field(default_factory=dict)

    def register(self, category: RetentionCategory) -> None:
        if not isinstance(category, RetentionCategory):
            raise TypeError(f"{category!r} does not implement RetentionCategory")
        existing = self._categories.get(category.key)
        if existing is not None and type(existing) is not type(category):
            raise ValueError(f"category key {category.key!r} is already registered")
        self._categories[category.key] = category

    def unregister(self, key: str) -> None:
        self._categories.pop(key, None)

    def get(self, key: str) -> RetentionCategory:
        return self._categories[key]

    def keys(self) -> list[str]:
        return sorted(self._categories)

    def __iter__(self) -> Iterator[RetentionCategory]:
        return iter([self._categories[key] for key in self.keys()])

    def __len__(self) -> int:
        return len(self._categories)


categories = CategoryRegistry()


def register(category: RetentionCategory) -> None:
    categories.register(category)


# Set by retention_app: returns the active holds. Other apps (erasure, customer
# actions) ask here instead of importing retention_app's models.
_hold_provider: Callable[[], Holds] | None = None


def set_hold_provider(provider: Callable[[], Holds]) -> None:
    global _hold_provider
    _hold_provider = provider


def active_holds() -> Holds:
    return _hold_provider() if _hold_provider else Holds()


# Set by retention_app: takes the hold lock shared for the current transaction.
# Whoever reads the holds and then acts on them in one transaction takes it
# first; placing a hold takes it exclusively, so a hold placed meanwhile waits
# for the commit instead of being missed.
_hold_lock: Callable[[], None] | None = None


def set_hold_lock(lock: Callable[[], None]) -> None:
    global _hold_lock
    _hold_lock = lock


def lock_holds_shared() -> None:
    if _hold_lock:
        _hold_lock()

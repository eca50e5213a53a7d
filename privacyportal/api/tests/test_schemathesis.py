"""Schemathesis against the live schema: generated calls to a real server.

The schema is fetched from a live server (pytest-django's ``live_server``,
the test database on PostgreSQL) and every operation in it gets calls made
from it, valid ones and invalid ones, with a key holding every scope. Each
answer must be no server error and must be what the schema says: a documented
status, its content type, a body of its shape, its headers. Generation is
derandomized, so a run in CI makes the same calls as a run here.

A second pass calls every operation without a key and with a wrong one: each
must answer the documented 401 problem, before any input is looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from privacyportal.api.keys import api_key_create
from privacyportal.api.scopes import SCOPES
from privacyportal.audit.services import Actor
from privacyportal.subjects.tests.factories import DataSubjectFactory
from retention_app.tests.factories import RecordingFactory

pytestmark = pytest.mark.services

CONFORMS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Calls per operation and mode; a small input space (a GET without
# parameters) ends sooner, so the total is counted, not assumed.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}
AT_LEAST = 1000


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,  # the same calls on every run: CI reproduces a failure
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: each step is another call, and a failure names its call.
        phases=[Phase.explicit, Phase.generate],
    )


@pytest.fixture
def world(transactional_db, purposes) -> dict[str, Any]:
    """Rows for path parameters to find: an organization, a recording, a request."""
    from requests_app.services.common import clock_cache_clear
    from requests_app.tests.factories import submit

    clock_cache_clear()  # rules cached by an earlier test are gone with its rows
    recording = RecordingFactory(organization__slug="acme", fresh=True)
    DataSubjectFactory(email="ada@example.org")
    request = submit(email="bob@example.org")
    _, raw = api_key_create(
        actor=Actor.system(),
        name="Schemathesis",
        scopes=list(SCOPES),
        rate_per_minute=1_000_000,
    )
    return {
        "key": raw,
        "paths": {
            "id": recording.pk,
            "slug": recording.organization.slug,
            "reference": request.reference,
        },
    }


@pytest.fixture
def api_schema(live_server) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/")
    schema.config.base_url = live_server.url
    return schema


def _operations(schema: schemathesis.BaseSchema) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()  # raises on an operation the schema describes badly


def _strategy(operation: Any, mode: GenerationMode, known: dict[str, Any]) -> Any:
    """Cases for ``operation``; half on rows that exist when it has a path id."""
    generated = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    if not names:
        return generated
    fixed = {name: known[name] for name in names}
    return st.one_of(
        operation.as_strategy(generation_mode=mode, path_parameters=fixed),
        generated,
    )


def _run(
    operation: Any,
    strategy: Any,
    examples: int,
    call: Callable[[Any], None],
) -> int:
    made = 0

    @_settings(examples)
    @given(case=strategy)
    def check(case: Any) -> None:
        nonlocal made
        made += 1
        call(case)

    check()
    return made


def _fuzz(
    schema: Any, known: dict[str, Any], examples: dict, call: Callable
) -> tuple[int, list[str]]:
    """Calls made over every operation and mode, and what failed (one per pair)."""
    made, failures = 0, []
    for operation in _operations(schema):
        for mode, count in examples.items():
            strategy = _strategy(operation, mode, known)
            try:
                made += _run(operation, strategy, count, call)
            # Schemathesis raises a group of failures: every operation is reported.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:3000])
    return made, failures


def _bad_body(case: Any) -> bool:
    """Whether only the body breaks the schema: then it must be refused.

    Query strings are read as forms are: a parameter left empty filters
    nothing, and one the operation does not know is ignored, so a call with
    such a query is answered, and Schemathesis would call that accepting bad
    data. Bodies are strict (unknown fields refused), so they are held to it.
    """
    components = case.meta.components if case.meta else {}
    negative = {where for where, info in components.items() if info.mode.is_negative}
    return negative == {ParameterLocation.BODY}


def test_every_operation_answers_generated_calls_as_its_schema_says(world, api_schema):
    session = requests.Session()
    auth = {"Authorization": f"Bearer {world['key']}"}

    def call(case: Any) -> None:
        response = case.call(session=session, headers=auth)
        checks = [*CONFORMS, negative_data_rejection] if _bad_body(case) else CONFORMS
        case.validate_response(response, checks=checks, headers=auth)

    made, failures = _fuzz(api_schema, world["paths"], EXAMPLES, call)
    assert failures == [], "\n\n".join(failures)
    assert made >= AT_LEAST


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ck_not-a-key-the-portal-made", "Basic dXNlcjpwYXNz"],
    ids=["no-key", "unknown-key", "other-scheme"],
)
def test_every_operation_refuses_calls_without_a_live_key(
    world, api_schema, authorization
):
    session = requests.Session()
    headers = {"Authorization": authorization} if authorization else {}

    def call(case: Any) -> None:
        response = case.call(session=session, headers=headers)
        assert response.status_code == 401, (case.operation.label, response.text)
        assert response.json()["type"].endswith(":unauthenticated")
        case.validate_response(response, checks=CONFORMS, headers=headers)

    examples = {GenerationMode.POSITIVE: 3}
    made, failures = _fuzz(api_schema, world["paths"], examples, call)
    assert failures == [], "\n\n".join(failures)
    assert made >= 21

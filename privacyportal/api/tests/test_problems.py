"""Every error under /api/ is application/problem+json, never a 5xx."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.generics import ListAPIView
from rest_framework.serializers import ModelSerializer
from rest_framework.test import APIRequestFactory

from privacyportal.api.models import ApiKey
from privacyportal.api.pagination import CursorPagination
from privacyportal.api.permissions import scope
from privacyportal.api.problems import CONTENT_TYPE, PROBLEMS
from privacyportal.api.tests.fixtures import ApiClient
from privacyportal.middleware import PortalWSGIRequest

BATCH = "/api/v1/consent/batch-read"


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["type"] == f"urn:privacy-portal:problem:{slug}"
    assert body["status"] == status
    assert body["title"] == PROBLEMS[slug][1]
    assert body["detail"]
    return body


@pytest.fixture
def reader(api, purposes) -> ApiClient:
    return api("consent:read")


def test_an_unknown_api_url_is_a_404_problem(reader):
    body = _problem(reader.get("/api/v1/nothing-here"), 404, "not-found")
    assert body["instance"] == "/api/v1/nothing-here"
    _problem(reader.get("/api/v2/"), 404, "not-found")


def test_a_wrong_method_is_a_405_problem_with_allow(reader):
    response = reader.post("/api/v1/consent", {})
    _problem(response, 405, "method-not-allowed")
    assert "GET" in response["Allow"]
    _problem(reader.client.delete(BATCH, **reader.headers), 405, "method-not-allowed")


def test_options_is_405_not_a_description_of_the_view(reader):
    _problem(reader.client.options(BATCH, **reader.headers), 405, "method-not-allowed")


def test_malformed_json_is_a_400_problem(reader):
    response = reader.post(BATCH, '{"emails": [', content_type="application/json")
    _problem(response, 400, "malformed-body")


@pytest.mark.parametrize(
    "body",
    ["[" * 30_000 + "]" * 30_000, '{"emails": NaN}', '{"n": ' + "9" * 5000 + "}"],
)
def test_json_the_decoder_chokes_on_is_a_400_problem(reader, body):
    response = reader.post(BATCH, body, content_type="application/json")
    _problem(response, 400, "malformed-body")


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800"'], ids=["nul", "surrogate"])
def test_text_the_database_cannot_hold_is_a_400_problem_in_keys_and_values(
    reader, text
):
    # With an Idempotency-Key the answer is stored: it used to name the key.
    for n, body in enumerate([f"{{{text}: 1}}", f'{{"emails": [{text}]}}']):
        response = reader.post(
            BATCH, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"k{n}"
        )
        _problem(response, 400, "malformed-body")


@pytest.mark.parametrize("body", ["[]", "null", "42", '"text"', "{}"])
def test_json_that_is_not_an_object_of_the_right_shape_is_400(reader, body):
    _problem(
        reader.post(BATCH, body, content_type="application/json"), 400, "invalid-input"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ],
)
def test_a_body_that_is_not_json_is_a_415_problem(reader, content_type):
    response = reader.post(BATCH, "emails=a@example.org", content_type=content_type)
    _problem(response, 415, "unsupported-media-type")


def test_an_unparsable_request_is_a_400_problem_not_the_html_page(reader, monkeypatch):
    monkeypatch.setattr("django.test.client.WSGIRequest", PortalWSGIRequest)
    # The query string is decoded in the body's charset, which cannot decode.
    response = reader.client.get(
        "/api/v1/consent?email=a@example.org&purpose=newsletter",
        CONTENT_TYPE="application/x-www-form-urlencoded; charset=rot13",
        **reader.headers,
    )
    _problem(response, 400, "bad-request")


def test_unknown_fields_in_a_body_are_refused(reader):
    body = {"emails": ["a@example.org"], "emials": ["b@example.org"]}
    problem = _problem(reader.post(BATCH, body), 400, "invalid-input")
    assert problem["errors"] == {"emials": ["Unknown field."]}


def test_a_body_over_the_limit_is_a_413_problem_before_it_is_read(reader, settings):
    big = json.dumps({"emails": ["a@example.org"] * 10_000})
    assert len(big) > settings.API_MAX_BODY_BYTES
    problem = _problem(reader.post(BATCH, big), 413, "body-too-large")
    assert str(settings.API_MAX_BODY_BYTES) in problem["detail"]


def test_bodies_up_to_the_limit_are_read(reader, settings):
    # 100 long but valid addresses: well under 64 KiB, over Django's 2.5 MB? no:
    # the point is that the API's limit, not another one, decides.
    emails = [f"{'x' * 60}{n}@example.org" for n in range(100)]
    assert reader.post(BATCH, {"emails": emails}).status_code == 200


@override_settings(DEBUG=False)
def test_an_unhandled_error_is_a_500_problem(reader, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("consent_app.api._answers", boom)
    reader.client.raise_request_exception = False
    response = reader.post(BATCH, {"emails": ["a@example.org"]})
    _problem(response, 500, "server-error")
    assert "boom" not in response.content.decode()


# --- pagination --------------------------------------------------------------------


class _KeySerializer(ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["name"]


class _Keys(ListAPIView):
    permission_classes = [scope("consent:read")]
    queryset = ApiKey.objects.all()
    serializer_class = _KeySerializer
    pagination_class = CursorPagination


def _list(make_key, **params):
    raw = make_key()
    request = APIRequestFactory().get(
        "/api/v1/keys", params, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    return _Keys.as_view()(request).render()


@pytest.mark.parametrize("cursor", ["garbage", "cD0xMjM=%%", "bz0xJnA9Mg", "A" * 500])
def test_a_bad_cursor_is_a_400_problem(make_key, cursor):
    response = _list(make_key, cursor=cursor)
    assert response.status_code == 400
    assert json.loads(response.content)["type"].endswith(":bad-cursor")


def test_cursor_pages_follow_their_links(make_key):
    for n in range(5):
        make_key(name=f"k{n}")
    response = _list(make_key, page_size=2)
    body = json.loads(response.content)
    assert len(body["results"]) == 2 and body["next"]


def test_an_accept_header_without_json_is_a_406_problem(reader):
    response = reader.get(
        "/api/v1/consent",
        {"email": "a@example.org", "purpose": "newsletter"},
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 406
    assert response["Content-Type"] == CONTENT_TYPE


def test_the_api_sets_no_cookie_and_needs_no_csrf_token(reader, settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        BATCH,
        {"emails": ["a@example.org"]},
        content_type="application/json",
        **reader.headers,
    )
    assert response.status_code == 200
    assert not response.cookies

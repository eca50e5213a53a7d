"""Where a staff login lands."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/admin/", ""]
)
def test_login_with_an_unsafe_or_no_next_lands_on_the_admin_index(
    client, admin_user, next_url
):
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": "password", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_login_with_a_local_next_lands_there(client, admin_user):
    response = client.post(
        "/admin/login/",
        {
            "username": "admin",
            "password": "password",
            "next": "/admin/requests_app/privacyrequest/",
        },
    )
    assert response["Location"] == "/admin/requests_app/privacyrequest/"

"""Laws that allow "a further period" named to the requester (CH, SG, NZ)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app.services import RequestError, extension_due, request_extend
from requests_app.tests.factories import in_progress, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff_user("officer", "Privacy Officer")


def local_due(request):
    return timezone.localtime(request.due_at).date()


@pytest.mark.parametrize("country", ["CH", "SG", "NZ"])
def test_staff_name_the_new_date_where_the_law_leaves_it_open(officer, country):
    request = in_progress(officer, country=country)
    assert request.legal_rule.spec().extension_by_notice
    until = local_due(request) + timedelta(days=20)
    request_extend(actor=officer, request=request, reason="Archive search", until=until)
    request.refresh_from_db()
    assert local_due(request) == until
    assert request.extended_at is not None


def test_an_open_extension_needs_a_date_within_ninety_days(officer):
    request = in_progress(officer, country="CH")
    due = local_due(request)
    for until in (None, due, due - timedelta(days=1), due + timedelta(days=91)):
        with pytest.raises(RequestError):
            request_extend(actor=officer, request=request, reason="r", until=until)
    request.refresh_from_db()
    assert request.extended_at is None and local_due(request) == due


def test_a_fixed_extension_takes_no_date(officer):
    request = in_progress(officer, country="DE")  # GDPR: two months, computed
    with pytest.raises(RequestError, match="fixes the extension"):
        extension_due(request, local_due(request) + timedelta(days=5))
    request_extend(actor=officer, request=request, reason="Complex request")
    request.refresh_from_db()
    assert local_due(request) > local_due(request) - timedelta(days=1)
    assert request.extended_at is not None


def test_quebec_still_allows_no_extension(officer):
    request = in_progress(officer, country="CA", region="QC")
    assert not request.legal_rule.spec().allows_extension
    with pytest.raises(RequestError):
        request_extend(
            actor=officer,
            request=request,
            reason="r",
            until=local_due(request) + timedelta(days=5),
        )


def test_the_extend_page_says_until_when_staff_may_name_the_date(client, officer):
    request = in_progress(officer, country="NZ")
    client.force_login(officer)
    page = client.post(
        "/admin/requests_app/privacyrequest/",
        {"action": "extend", "_selected_action": [request.pk]},
    )
    body = page.content.decode()
    assert "The date you name below, at the latest" in body
    assert 'name="until"' in body

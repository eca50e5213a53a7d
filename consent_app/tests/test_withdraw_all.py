"""'Turn everything off': the service, the preference-centre button, its wording."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from consent_app.links import _create, unsubscribe_headers
from consent_app.models import ConsentEvent, ConsentLink, PolicyVersion, Source
from consent_app.services import (
    ConsentError,
    consent_allows,
    consent_grant,
    consent_withdraw,
    consent_withdraw_all,
)
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal import audit
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.mail import resolve

SYSTEM = Actor.system("test")
# Seeded purposes that are on by default for someone who never chose.
ON_BY_DEFAULT = {
    "product-announcements",
    "targeted-advertising",
    "cross-border-transfer",
}


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


def _grant(subject, *codes: str) -> None:
    for code in codes:
        consent_grant(actor=SYSTEM, subject=subject, purpose=code, source="form")


def _withdraw_all(subject) -> list[ConsentEvent]:
    return consent_withdraw_all(
        actor=Actor.subject(subject.pk),
        subject=subject,
        source=Source.PREFERENCE_CENTRE,
        evidence="test",
    )


def _withdrawals_by_purpose(subject) -> Counter:
    rows = ConsentEvent.objects.filter(
        subject=subject, action="withdrawn", source=Source.PREFERENCE_CENTRE
    ).values_list("purpose__code", flat=True)
    return Counter(rows)


def _manage_path(subject) -> str:
    token = _create(kind=ConsentLink.Kind.PREFERENCES, subject=subject, days=7)
    return f"/privacy/preferences/{token}/"


# --- the service -----------------------------------------------------------------


def test_everything_off_withdraws_each_purpose_that_was_on_and_nothing_else(
    purposes, subject
):
    version = PolicyVersionFactory(published=True)
    _grant(subject, "newsletter", "special-offers")
    consent_withdraw(
        actor=SYSTEM, subject=subject, purpose="market-research", source="form"
    )
    consent_withdraw(
        actor=SYSTEM, subject=subject, purpose="targeted-advertising", source="form"
    )
    was_on = {"newsletter", "special-offers"} | ON_BY_DEFAULT - {"targeted-advertising"}
    audits_before = AuditEvent.objects.filter(
        action="consent.consent.withdrawn"
    ).count()

    events = _withdraw_all(subject)

    counts = _withdrawals_by_purpose(subject)
    for code in purposes:
        assert counts[code] == (1 if code in was_on else 0), code
        assert consent_allows(subject, code) is False, code
    assert len(events) == len(was_on)
    assert {e.policy_version for e in events} == {version}
    assert AuditEvent.objects.filter(
        action="consent.consent.withdrawn"
    ).count() == audits_before + len(was_on)


def test_everything_off_twice_writes_nothing_the_second_time(purposes, subject):
    _grant(subject, "newsletter")
    assert _withdraw_all(subject)
    events, audits = ConsentEvent.objects.count(), AuditEvent.objects.count()

    assert _withdraw_all(subject) == []

    assert ConsentEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits


def test_everything_off_leaves_nothing_half_done_when_one_write_fails(
    purposes, subject, monkeypatch
):
    _grant(subject, "newsletter", "special-offers")
    events, audits = ConsentEvent.objects.count(), AuditEvent.objects.count()
    real = audit.record
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", fail_on_second)
    with pytest.raises(RuntimeError):
        _withdraw_all(subject)

    assert ConsentEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits
    assert consent_allows(subject, "newsletter") is True


def test_everything_off_for_a_person_who_never_chose_turns_off_the_defaults(
    purposes, subject
):
    _withdraw_all(subject)
    counts = _withdrawals_by_purpose(subject)
    assert set(counts) == ON_BY_DEFAULT
    assert set(counts.values()) == {1}


def test_everything_off_refuses_an_unknown_source(purposes, subject):
    _grant(subject, "newsletter")
    with pytest.raises(ConsentError):
        consent_withdraw_all(actor=SYSTEM, subject=subject, source="carrier-pigeon")
    assert consent_allows(subject, "newsletter") is True


# --- the preference centre ---------------------------------------------------------


def test_everything_off_button_confirms_and_a_second_click_writes_nothing(
    client, purposes, subject
):
    _grant(subject, "newsletter")
    path = _manage_path(subject)

    response = client.post(path, {"choice": "withdraw_all"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Everything is off. You can turn any of them on again below." in page
    counts = _withdrawals_by_purpose(subject)
    assert counts == Counter({code: 1 for code in ON_BY_DEFAULT | {"newsletter"}})
    event = ConsentEvent.objects.filter(subject=subject).first()
    assert event.ip == "203.0.113.0" and event.actor_label
    assert "turn everything off" in event.evidence

    events = ConsentEvent.objects.count()
    again = client.post(path, {"choice": "withdraw_all"})
    assert again.status_code == 302
    assert ConsentEvent.objects.count() == events


def test_everything_off_with_a_bad_or_expired_link_changes_nothing(
    client, purposes, subject
):
    _grant(subject, "newsletter")
    path = _manage_path(subject)
    altered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    events = ConsentEvent.objects.count()

    assert client.post(altered, {"choice": "withdraw_all"}).status_code == 404
    ConsentLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(path, {"choice": "withdraw_all"})

    assert response.status_code == 404
    assert "does not work" in response.content.decode()
    assert ConsentEvent.objects.count() == events
    assert consent_allows(subject, "newsletter") is True


def test_everything_off_needs_the_csrf_token(purposes, subject):
    _grant(subject, "newsletter")
    path = _manage_path(subject)
    response = Client(enforce_csrf_checks=True).post(path, {"choice": "withdraw_all"})
    assert response.status_code == 403
    assert consent_allows(subject, "newsletter") is True


def test_a_single_choice_without_a_purpose_is_an_error_and_changes_nothing(
    client, purposes, subject
):
    path = _manage_path(subject)
    response = client.post(path, {"choice": "withdraw"})
    assert response.status_code == 400
    assert "not understood" in response.content.decode()
    assert not ConsentEvent.objects.filter(subject=subject).exists()


class _Buttons(HTMLParser):
    """The text of every <button>: with no aria-label, that is its name."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._open = False

    def handle_starttag(self, tag, attrs):
        if tag == "button":
            assert "aria-label" not in dict(attrs)
            self._open, self.names = True, [*self.names, ""]

    def handle_endtag(self, tag):
        if tag == "button":
            self._open = False
            self.names[-1] = " ".join(self.names[-1].split())

    def handle_data(self, data):
        if self._open:
            self.names[-1] += data


def test_every_button_names_what_it_does(client, purposes, subject):
    _grant(subject, "newsletter")
    parser = _Buttons()
    parser.feed(client.get(_manage_path(subject)).content.decode())

    names = parser.names
    assert "Turn off Newsletter" in names
    assert "Turn on Special offers" in names
    assert "Turn off Product announcements and updates" in names  # on by default
    assert names.count("Turn everything off") == 1
    assert len(names) == len(purposes) + 1
    assert len(set(names)) == len(names)


def test_history_dates_follow_the_language(client, purposes, subject):
    _grant(subject, "newsletter")
    event = ConsentEvent.objects.get(subject=subject)
    when = timezone.localtime(event.occurred_at)
    page = client.get(_manage_path(subject), HTTP_ACCEPT_LANGUAGE="de").content
    with translation.override("de"):
        expected = formats.date_format(when, "DATETIME_FORMAT")
    assert expected in page.decode()
    assert PolicyVersion.objects.count() == 0  # no policy line to confuse it


# --- unsubscribe ---------------------------------------------------------------------


def test_unsubscribe_pages_name_the_purpose_as_it_is_written(client, purposes, subject):
    _grant(subject, "newsletter")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    path = "/" + url.split("/", 3)[3]

    ask = client.get(path).content.decode()
    done = client.post(path).content.decode()

    assert "Unsubscribe from Newsletter" in ask
    assert "e-mails about Newsletter." in ask
    assert "You will no longer get e-mails about Newsletter." in done
    assert "about newsletter" not in ask + done
    assert consent_allows(subject, "newsletter") is False


def test_other_choices_survive_a_one_purpose_unsubscribe(client, purposes, subject):
    _grant(subject, "newsletter", "special-offers")
    url = resolve(unsubscribe_headers(subject, "newsletter"))["List-Unsubscribe"][1:-1]
    client.post("/" + url.split("/", 3)[3])
    assert consent_allows(subject, "special-offers") is True

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from consent_app.models import ConsentEvent, ConsentState, Source
from consent_app.policy import policy_version_publish
from consent_app.services import (
    CHILD_REASON,
    ConsentError,
    UnknownPurpose,
    consent_allows,
    consent_grant,
    consent_withdraw,
    gpc_honour,
    ledger_redact,
    marketing_opt_out,
    truncate_ip,
    withdraw_for_child,
)
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, materialise, registry
from privacyportal.subjects.services import UNDER_13_HOOKS, subject_mark_under_13
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")


def grant(subject, code, **kw):
    kw.setdefault("source", Source.FORM)
    return consent_grant(actor=SYSTEM, subject=subject, purpose=code, **kw)


def withdraw(subject, code, **kw):
    kw.setdefault("source", Source.FORM)
    return consent_withdraw(actor=SYSTEM, subject=subject, purpose=code, **kw)


def test_grant_then_withdraw_changes_the_answer_and_keeps_both_events(
    purposes, subject
):
    assert consent_allows(subject, "special-offers") is False  # default off
    grant(subject, "special-offers")
    assert consent_allows(subject, "special-offers") is True
    withdraw(subject, "special-offers")
    assert consent_allows(subject, "special-offers") is False
    events = ConsentEvent.objects.filter(subject=subject).order_by("pk")
    assert [e.action for e in events] == ["granted", "withdrawn"]
    state = ConsentState.objects.get(subject=subject, purpose__code="special-offers")
    assert state.granted is False and state.last_event == events.last()


def test_withdrawing_what_is_already_withdrawn_adds_no_event_and_no_audit(
    purposes, subject
):
    grant(subject, "newsletter")
    first = withdraw(subject, "newsletter")
    assert withdraw(subject, "newsletter", source=Source.UNSUBSCRIBE) is None
    events = ConsentEvent.objects.filter(subject=subject, action="withdrawn")
    assert list(events) == [first]
    assert AuditEvent.objects.filter(action="consent.consent.withdrawn").count() == 1


def test_a_first_explicit_withdrawal_of_a_default_off_purpose_is_recorded(
    purposes, subject
):
    """Recorded, so that a later change of the default cannot switch it on."""
    assert withdraw(subject, "special-offers") is not None
    assert ConsentEvent.objects.filter(subject=subject).count() == 1


def test_each_change_writes_an_audit_event(purposes, subject):
    event = grant(subject, "newsletter")
    audit = AuditEvent.objects.get(action="consent.consent.granted")
    assert audit.subject_id == subject.pk
    assert audit.target_id == str(event.pk)
    assert audit.data["purpose"] == "newsletter"


def test_default_answer_applies_until_someone_chooses(purposes, subject):
    assert consent_allows(subject, "product-announcements") is True
    assert consent_allows(subject, "partner-offers") is False


def test_consent_allows_is_one_query(purposes, subject, django_assert_num_queries):
    grant(subject, "newsletter")
    consent_allows(subject, "market-research")  # the first call prepares it
    with django_assert_num_queries(1):
        assert consent_allows(subject, "newsletter") is True


def test_unknown_purpose_is_refused_and_writes_nothing(purposes, subject):
    with pytest.raises(UnknownPurpose):
        grant(subject, "mind-reading")
    with pytest.raises(UnknownPurpose):
        consent_allows(subject, "mind-reading")
    assert not ConsentEvent.objects.exists()


def test_staff_on_behalf_needs_a_reason(purposes, subject):
    with pytest.raises(ConsentError, match="reason"):
        grant(subject, "newsletter", source=Source.STAFF)
    event = grant(subject, "newsletter", source=Source.STAFF, reason="phone call")
    assert event.reason == "phone call"


def test_ip_is_truncated_to_its_network():
    assert truncate_ip("203.0.113.77") == "203.0.113.0"
    assert truncate_ip("2001:db8:abcd:12:1::5") == "2001:db8:abcd::"
    assert truncate_ip("not an ip") is None


def test_event_stores_network_not_host(purposes, subject):
    event = grant(subject, "newsletter", ip="198.51.100.23", user_agent="Firefox")
    event.refresh_from_db()
    assert event.ip == "198.51.100.0"
    assert event.user_agent == "Firefox"


def test_restricted_processing_answers_no(purposes, subject):
    grant(subject, "newsletter")
    subject.processing_restricted = True
    assert consent_allows(subject, "newsletter") is False


def test_nothing_can_be_granted_for_a_child(purposes):
    child = DataSubjectFactory(child=True)
    with pytest.raises(ConsentError, match="under 13"):
        grant(child, "newsletter")
    assert not ConsentEvent.objects.exists()
    assert consent_allows(child, "product-announcements") is False


def test_marking_a_child_withdraws_every_consent_with_the_reason(purposes, subject):
    assert withdraw_for_child in UNDER_13_HOOKS
    grant(subject, "newsletter")
    grant(subject, "special-offers")
    withdraw(subject, "partner-offers")
    subject_mark_under_13(actor=SYSTEM, subject=subject)
    for code in purposes:
        if code != "partner-offers":
            assert not consent_allows(subject, code), code
    child_events = ConsentEvent.objects.filter(subject=subject, reason=CHILD_REASON)
    # every purpose except the one already withdrawn
    assert child_events.count() == len(purposes) - 1
    assert set(child_events.values_list("action", flat=True)) == {"withdrawn"}


def test_marketing_opt_out_withdraws_granted_and_defaulted_marketing(purposes, subject):
    grant(subject, "newsletter")
    withdraw(subject, "special-offers")
    grant(subject, "cross-border-transfer")
    count = marketing_opt_out(actor=SYSTEM, subject=subject, source=Source.REQUEST)
    marketing = [c for c, p in purposes.items() if p.is_marketing]
    assert count == len(marketing) - 1  # special-offers was already withdrawn
    for code in marketing:
        assert consent_allows(subject, code) is False
    # a default-on purpose now has a stored "no", so a default cannot re-enable it
    state = ConsentState.objects.get(
        subject=subject, purpose__code="product-announcements"
    )
    assert state.granted is False and state.source == Source.REQUEST
    assert consent_allows(subject, "cross-border-transfer") is True
    assert marketing_opt_out(actor=SYSTEM, subject=subject, source="request") == 0


def test_less_protective_version_gates_earlier_consents_until_renewed(
    purposes, subject
):
    grant(subject, "newsletter")
    other = DataSubjectFactory()
    version = PolicyVersionFactory(less_protective=True)
    version.affected_purposes.set([purposes["newsletter"]])
    before = timezone.now() - timedelta(days=1)
    policy_version_publish(actor=SYSTEM, version=version)

    assert consent_allows(subject, "newsletter") is False
    assert consent_allows(subject, "newsletter", at=before) is False
    later = timezone.now() + timedelta(seconds=1)
    assert consent_allows(subject, "newsletter", at=later) is True
    # unaffected purposes are not gated
    assert consent_allows(other, "product-announcements") is True

    event = grant(subject, "newsletter")
    assert event.policy_version == version
    assert consent_allows(subject, "newsletter") is True
    assert consent_allows(subject, "newsletter", at=before) is True


def test_gpc_withdraws_targeted_advertising_once(purposes, subject):
    assert consent_allows(subject, "targeted-advertising") is True
    assert gpc_honour(subject=subject, ip="192.0.2.9") is True
    assert gpc_honour(subject=subject) is True
    events = ConsentEvent.objects.filter(subject=subject, source=Source.GPC)
    assert events.count() == 1
    assert consent_allows(subject, "targeted-advertising") is False
    # an explicit later choice by the person stands
    grant(subject, "targeted-advertising", source=Source.PREFERENCE_CENTRE)
    gpc_honour(subject=subject)
    assert consent_allows(subject, "targeted-advertising") is True
    assert events.count() == 1


def test_registry_exports_ledger_and_erasure_redacts_but_retains(purposes, subject):
    grant(subject, "newsletter", ip="192.0.2.1", user_agent="UA", evidence="form 7")
    source = registry.get("consent.ledger")
    data = materialise(source.export(subject))
    assert data["events"][0]["evidence"] == "form 7"
    assert data["current"][0]["purpose"] == "newsletter"

    result = source.erase(subject, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED
    assert result.reason == "proof of consent"
    assert "7(1)" in result.legal_basis
    event = ConsentEvent.objects.get(subject=subject)
    assert (event.ip, event.user_agent, event.evidence) == (None, "", "")
    assert event.redacted and event.action == "granted"
    assert consent_allows(subject, "newsletter") is True


def test_application_never_deletes_ledger_rows(purposes, subject):
    grant(subject, "newsletter")
    ledger_redact(actor=SYSTEM, subject=subject)
    assert ConsentEvent.objects.filter(subject=subject).count() == 1


needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def _refused(sql: str, params: list) -> None:
    from django.db import IntegrityError, transaction

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@needs_pg
def test_trigger_refuses_delete_and_updates_other_than_redaction(purposes, subject):
    event = grant(subject, "newsletter", ip="192.0.2.1", evidence="x")
    table = "consent_app_consentevent"
    _refused(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    _refused(f"UPDATE {table} SET action = 'withdrawn' WHERE id = %s", [event.pk])
    _refused(  # redaction must not smuggle another change
        f"UPDATE {table} SET ip = NULL, user_agent = '', evidence = '', "
        "redacted = true, redacted_at = now(), source = 'api' WHERE id = %s",
        [event.pk],
    )
    _refused(f"UPDATE {table} SET evidence = 'forged' WHERE id = %s", [event.pk])
    assert ledger_redact(actor=SYSTEM, subject=subject) == 1
    _refused(  # and a redacted row is final
        f"UPDATE {table} SET evidence = 'again' WHERE id = %s", [event.pk]
    )

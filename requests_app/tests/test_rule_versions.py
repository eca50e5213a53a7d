"""Effective-dated rules, per-jurisdiction clocks and holiday calendars, end to end.

Each case files a request through request_submit on a frozen day and checks
the dates the seeded rule versions give (migration 0008). Expected dates were
counted by hand on a calendar; the comments show the count.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError

from requests_app import calendars, deadlines, services
from requests_app.models import DeadlineRule, Holiday, PrivacyRequest
from requests_app.rule_versions import applied_rule_html
from requests_app.services import common
from requests_app.tests.factories import submit, verified

pytestmark = pytest.mark.django_db


def filed_on(day: date, **residence: str) -> PrivacyRequest:
    with time_machine.travel(datetime(*day.timetuple()[:3], 10, tzinfo=UTC)):
        return submit(**residence)


def day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


# (country, region, received, rule code, legal due, due)
CASES = [
    # New Zealand: 20 working days by the Act's own definition.
    (
        "NZ",
        "",
        date(2026, 3, 2),
        "nz-privacy-act",
        date(2026, 3, 30),
        date(2026, 3, 30),
    ),
    # 4 days before Christmas, none from 25 Dec to 15 Jan, Waitangi Day (Sat
    # 6 Feb) moved to Mon 8 Feb: the 20th working day is Tue 9 Feb; the
    # policy's 30 calendar days come first.
    (
        "NZ",
        "",
        date(2026, 12, 18),
        "nz-privacy-act",
        date(2027, 2, 9),
        date(2027, 1, 17),
    ),
    # Received on a Saturday in a leap year: counting starts on Mon 28 Feb.
    (
        "NZ",
        "",
        date(2028, 2, 26),
        "nz-privacy-act",
        date(2028, 3, 24),
        date(2028, 3, 24),
    ),
    # Switzerland: 30 calendar days, no roll; month end and leap day.
    ("CH", "", date(2026, 1, 31), "ch-fadp", date(2026, 3, 2), date(2026, 3, 2)),
    ("CH", "", date(2028, 1, 30), "ch-fadp", date(2028, 2, 29), date(2028, 2, 29)),
    # Quebec: its own 30 days, even landing on a Saturday; Ontario: PIPEDA.
    (
        "CA",
        "QC",
        date(2026, 12, 31),
        "qc-private-sector",
        date(2027, 1, 30),
        date(2027, 1, 30),
    ),
    ("CA", "ON", date(2026, 12, 31), "pipeda", date(2027, 1, 30), date(2027, 1, 30)),
    ("ZA", "", date(2026, 1, 31), "za-popia", date(2026, 3, 2), date(2026, 3, 2)),
    ("AU", "", date(2026, 2, 28), "au-app12", date(2026, 3, 30), date(2026, 3, 30)),
    ("SG", "", date(2028, 2, 29), "sg-pdpa", date(2028, 3, 30), date(2028, 3, 30)),
    # Florida: 45 days across a year end.
    ("US", "FL", date(2026, 12, 31), "us-fl", date(2027, 2, 14), date(2027, 1, 30)),
    # Mexico: 20 days, shorter than the policy.
    ("MX", "", date(2026, 2, 28), "mx-lfpdppp", date(2026, 3, 20), date(2026, 3, 20)),
    # EU, Irish calendar (ESTABLISHMENT_COUNTRY=IE): Sat 28 Feb + 1 month = Sat
    # 28 Mar -> Mon 30 Mar; 17 Mar is St Patrick's Day -> Wed 18 Mar.
    ("FR", "", date(2026, 2, 28), "gdpr", date(2026, 3, 30), date(2026, 3, 30)),
    ("DE", "", date(2026, 2, 17), "gdpr", date(2026, 3, 18), date(2026, 3, 18)),
    # Ascension Day (14 May) is a holiday in France, not in Ireland: the
    # requester's country does not move the deadline.
    ("FR", "", date(2026, 4, 14), "gdpr", date(2026, 5, 14), date(2026, 5, 14)),
    # UK: 31 Aug 2026 is the summer bank holiday in England -> Tue 1 Sep.
    ("GB", "", date(2026, 7, 31), "uk-gdpr", date(2026, 9, 1), date(2026, 8, 30)),
    # Laws without a number of days, and unknown countries: the policy date.
    ("JP", "", date(2026, 1, 31), None, None, date(2026, 3, 2)),
    ("CN", "", date(2026, 1, 31), None, None, date(2026, 3, 2)),
    ("XX", "", date(2026, 1, 31), None, None, date(2026, 3, 2)),
]


@pytest.mark.parametrize(
    ("country", "region", "received", "code", "legal_due", "due"), CASES
)
def test_each_jurisdiction_gets_its_rule_version_dates(
    country, region, received, code, legal_due, due
):
    request = filed_on(received, country=country, region=region)
    assert (request.legal_rule.code if request.legal_rule else None) == code
    assert day(request.legal_due_at) == legal_due
    assert day(request.due_at) == due


def test_oklahoma_rule_applies_from_receipt_on_1_january_2027():
    before = filed_on(date(2026, 12, 31), country="US", region="OK")
    after = filed_on(date(2027, 1, 1), country="US", region="OK")
    assert before.legal_rule is None and before.legal_due_at is None
    assert day(before.due_at) == date(2027, 1, 30)  # the policy's 30 days
    assert after.legal_rule.code == "us-ok"
    assert day(after.legal_due_at) == date(2027, 2, 15)  # 1 Jan + 45


def test_india_rule_starts_with_the_dpdp_rules_in_may_2027():
    assert filed_on(date(2027, 5, 12), country="IN").legal_rule is None
    request = filed_on(date(2027, 5, 13), country="IN")
    assert request.legal_rule.code == "in-dpdp"
    assert day(request.legal_due_at) == date(2027, 8, 11)  # 13 May + 90
    assert day(request.due_at) == date(2027, 6, 12)  # the policy comes first


def test_mexico_requests_keep_the_version_of_their_day_of_receipt():
    old = filed_on(date(2025, 3, 20), country="MX")
    new = filed_on(date(2025, 3, 21), country="MX")
    assert old.legal_rule.code == new.legal_rule.code == "mx-lfpdppp"
    assert old.legal_rule != new.legal_rule
    assert new.legal_rule.source_url.endswith("LFPDPPP.pdf")


def test_a_version_added_later_never_changes_an_existing_request(officer):
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC)):
        request = verified(country="US", region="FL")
    first = request.legal_rule
    DeadlineRule.objects.filter(pk=first.pk).update(effective_to=date(2026, 3, 9))
    newer = DeadlineRule.objects.create(
        code="us-fl",
        name="Florida, amended: 30 days, +30",
        jurisdictions=["US-FL"],
        effective_from=date(2026, 3, 10),
        amount=30,
        extension_amount=30,
    )
    with time_machine.travel(datetime(2026, 3, 12, 10, tzinfo=UTC)):
        services.request_extend(actor=officer, request=request, reason="Many systems")
        later = submit(country="US", region="FL")
    request.refresh_from_db()
    assert request.legal_rule == first
    assert day(request.due_at) == date(2026, 5, 1)  # 2 Mar + 45 + 15
    assert later.legal_rule == newer
    assert day(later.legal_due_at) == date(2026, 4, 11)  # 12 Mar + 30


def test_california_acknowledgement_skips_the_states_own_holidays():
    # Thanksgiving (federal) and the day after (a California holiday) are
    # skipped: the 10th business day after Wed 18 Nov is Fri 4 Dec.
    request = filed_on(date(2026, 11, 18), country="US", region="CA")
    assert day(request.ack_due_at) == date(2026, 12, 4)


def test_eu_month_rule_rolls_by_the_configured_establishment(settings):
    settings.ESTABLISHMENT_COUNTRY = "DE-BY"
    # Sun 6 Dec + 1 month = Wed 6 Jan 2027, Epiphany in Bavaria -> Thu 7 Jan.
    assert day(filed_on(date(2026, 12, 6), country="IE").legal_due_at) == date(
        2027, 1, 7
    )
    settings.ESTABLISHMENT_COUNTRY = "IE"
    assert day(filed_on(date(2026, 12, 6), country="IE").legal_due_at) == date(
        2027, 1, 6
    )


def test_unknown_country_gets_the_policy_date_and_the_page_says_so():
    request = filed_on(date(2026, 1, 31), country="ZZ")
    assert request.jurisdiction == "XX" and request.legal_rule is None
    assert day(request.due_at) == day(request.policy_due_at) == date(2026, 3, 2)
    text = applied_rule_html(request)
    assert "no rule for this country" in text and "company policy" in text


def test_applied_rule_names_the_version_and_its_source():
    request = filed_on(date(2026, 3, 2), country="NZ")
    text = applied_rule_html(request)
    assert "in force from 1 Dec 2020" in text
    assert "Privacy Act 2020 (NZ) s 44" in text
    assert 'href="https://www.legislation.govt.nz/' in text


def test_company_closure_for_a_country_applies_to_its_provinces():
    Holiday.objects.create(
        date=date(2026, 3, 16), name="Office closed", jurisdiction="CA"
    )
    pipeda = DeadlineRule.objects.get(code="pipeda")
    pipeda.roll_to_working_day = True
    pipeda.save()
    # 14 Feb + 30 = Mon 16 Mar, closed -> Tue 17 Mar (in Ontario and Quebec's
    # fallback alike; Quebec's own rule does not roll).
    ontario = filed_on(date(2026, 2, 14), country="CA", region="ON")
    assert day(ontario.legal_due_at) == date(2026, 3, 17)


def test_nz_working_days_ignore_company_closures():
    Holiday.objects.create(
        date=date(2026, 3, 30), name="Office closed", jurisdiction="NZ"
    )
    assert day(filed_on(date(2026, 3, 2), country="NZ").legal_due_at) == date(
        2026, 3, 30
    )


@pytest.mark.parametrize(
    ("typed", "problem"), [("DE", 'Did you mean "EU"?'), ("Narnia", "not a")]
)
def test_closure_jurisdiction_must_be_a_code_requests_carry(typed, problem):
    closure = Holiday(date=date(2026, 5, 1), name="Closed", jurisdiction=typed)
    with pytest.raises(ValidationError) as error:
        closure.full_clean()
    assert problem in str(error.value)


def test_closure_jurisdiction_is_stored_upper_case():
    closure = Holiday(date=date(2026, 5, 1), name="Closed", jurisdiction=" eu ")
    closure.full_clean()
    assert closure.jurisdiction == "EU"


def test_migration_moves_member_state_closures_to_eu():
    seeded = importlib.import_module("requests_app.migrations.0009_seed_rule_versions")
    Holiday.objects.bulk_create(
        [
            Holiday(date=date(2026, 10, 3), name="Unity Day", jurisdiction="DE"),
            Holiday(date=date(2026, 10, 4), name="Closed", jurisdiction="eu"),
            Holiday(date=date(2026, 10, 5), name="Closed", jurisdiction="EU"),
            Holiday(date=date(2026, 10, 5), name="Same day", jurisdiction="fr"),
        ]
    )
    seeded.closures_to_request_codes(apps, None)
    rows = sorted(Holiday.objects.values_list("date", "jurisdiction"))
    assert rows == [
        (date(2026, 10, 3), "EU"),
        (date(2026, 10, 4), "EU"),
        (date(2026, 10, 5), "EU"),
    ]


def test_overlapping_versions_of_one_rule_are_refused():
    rule = DeadlineRule(
        code="gdpr",
        name="GDPR again",
        jurisdictions=["EU"],
        effective_from=date(2026, 1, 1),
        amount=1,
    )
    with pytest.raises(ValidationError, match="Another version"):
        rule.full_clean()


def test_rule_lookup_adds_no_query_once_cached(django_assert_num_queries):
    received = datetime(2026, 3, 2, 10, tzinfo=UTC)
    common.policy_and_legal_rule("US-CA", received.date())  # fills the cache
    with django_assert_num_queries(0):
        _, legal = common.policy_and_legal_rule("CA-QC", received.date())
        common.holidays_for("CA-QC", received, legal.spec.calendar)
        common.holidays_for("US-CA", received, calendars.JURISDICTION)


def test_rule_admin_shows_open_requests_per_version(client, officer):
    filed_on(date(2026, 3, 2), country="NZ")
    filed_on(date(2026, 3, 3), country="NZ")
    rule = DeadlineRule.objects.get(code="nz-privacy-act")
    client.force_login(officer)
    listing = client.get("/admin/requests_app/deadlinerule/").content.decode()
    page = client.get(f"/admin/requests_app/deadlinerule/{rule.pk}/change/")
    text = page.content.decode()
    assert "In force from 1 Dec 2020: 2 open" in text
    assert "its timing is fixed" in text
    assert "Privacy Act 2020 (NZ) s 44" in text  # the source, on the rule's page
    assert "New Zealand" in listing and ">2<" in listing  # where, and open requests


def test_request_page_shows_the_rule_applied_in_plain_words(client, officer):
    request = filed_on(date(2026, 3, 2), country="CH")
    client.force_login(officer)
    text = client.get(
        f"/admin/requests_app/privacyrequest/{request.pk}/change/"
    ).content.decode()
    assert "Switzerland FADP: 30 days, version in force from 1 Sep 2023" in text
    assert "FADP (revDSG) Art. 25(7)" in text
    assert "ch-fadp" not in text  # no raw codes on staff pages


# --- pure calendar arithmetic ----------------------------------------------------


def _nz_working_days_between(start: date, end: date) -> int:
    off = calendars.non_working_days(calendars.NZ_PRIVACY_ACT, start, end)
    span = (end - start).days
    days = (start + timedelta(days=n) for n in range(1, span + 1))
    return sum(deadlines.is_working_day(d, off) for d in days)


NZ = deadlines.RuleSpec(code="nz", unit=deadlines.WORKING_DAYS, amount=20)


@pytest.mark.parametrize("offset", range(0, 400, 7))
def test_nz_due_date_is_the_twentieth_working_day(offset):
    received = date(2026, 11, 1) + timedelta(days=offset)
    off = calendars.non_working_days(
        calendars.NZ_PRIVACY_ACT, received, received + timedelta(days=400)
    )
    due = deadlines.rule_due(received, NZ, off)
    assert _nz_working_days_between(received, due) == 20
    assert deadlines.is_working_day(due, off)


def test_nz_act_calendar_has_no_working_day_from_christmas_to_15_january():
    off = calendars.non_working_days(
        calendars.NZ_PRIVACY_ACT, date(2026, 12, 1), date(2027, 1, 31)
    )
    summer = [date(2026, 12, 25) + timedelta(days=n) for n in range(22)]
    assert all(d in off for d in summer)
    assert date(2027, 1, 18) not in off and date(2026, 12, 24) not in off


def test_unknown_region_falls_back_to_the_country_calendar():
    assert calendars.non_working_days("CA-ZZ", date(2026, 1, 1), date(2026, 12, 31))
    assert not calendars.non_working_days("ZZ", date(2026, 1, 1), date(2026, 12, 31))


def test_misconfigured_establishment_fails_the_system_check(settings):
    settings.ESTABLISHMENT_COUNTRY = "EU"
    (error,) = calendars.check_establishment_country()
    assert error.id == "requests.E001"
    settings.ESTABLISHMENT_COUNTRY = "DE-BY"
    assert calendars.check_establishment_country() == []


def test_rule_jurisdictions_must_be_codes_requests_carry():
    rule = DeadlineRule(
        code="new-law", name="A new law", effective_from=date(2027, 1, 1), amount=30
    )
    rule.jurisdictions = ["DE"]
    with pytest.raises(ValidationError, match='Did you mean "EU"'):
        rule.full_clean()
    rule.jurisdictions = ["us-ok"]
    rule.full_clean()
    assert rule.jurisdictions == ["US-OK"]


def test_a_version_with_requests_keeps_its_timing_in_the_admin(client, officer):
    filed_on(date(2026, 3, 2), country="CH")
    rule = DeadlineRule.objects.get(code="ch-fadp")
    client.force_login(officer)
    response = client.post(
        f"/admin/requests_app/deadlinerule/{rule.pk}/change/",
        {
            "code": "ch-fadp",
            "name": "Switzerland FADP (renamed)",
            "source_citation": rule.source_citation,
            "source_url": rule.source_url,
            "amount": "10",
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Switzerland FADP (renamed)"
    assert (rule.amount, rule.effective_from) == (30, date(2023, 9, 1))
    assert rule.jurisdictions == ["CH"]  # not posted: kept, not emptied


def test_rule_page_chooses_jurisdictions_by_name_never_as_json(client, officer):
    rule = DeadlineRule.objects.get(code="gdpr")
    client.force_login(officer)
    url = f"/admin/requests_app/deadlinerule/{rule.pk}/change/"
    page = client.get(url).content.decode()
    assert '<option value="EU" selected>EU / EEA</option>' in page
    assert "selectfilter" in page  # the two-box chooser with its search
    assert '["EU"]' not in page
    post = {
        "code": "gdpr",
        "name": rule.name,
        "jurisdictions": ["UK", "EU"],
        "effective_from": "2018-05-25",
        "unit": rule.unit,
        "amount": rule.amount,
        "calendar": rule.calendar,
        "extension_unit": rule.extension_unit,
        "extension_amount": rule.extension_amount,
    }
    assert client.post(url, post).status_code == 302
    rule.refresh_from_db()
    assert rule.jurisdictions == ["EU", "UK"]  # in the list's order
    refused = client.post(url, {**post, "jurisdictions": ["DE"]})
    assert "Select a valid choice" in refused.content.decode()


def test_a_version_with_requests_shows_its_jurisdictions_fixed_by_name(client, officer):
    filed_on(date(2026, 3, 2), country="CH")
    rule = DeadlineRule.objects.get(code="ch-fadp")
    client.force_login(officer)
    url = f"/admin/requests_app/deadlinerule/{rule.pk}/change/"
    page = client.get(url).content.decode()
    assert '<div class="readonly">Switzerland</div>' in page
    assert "Fixed: this version has requests." in page
    post = {"code": "ch-fadp", "name": rule.name, "jurisdictions": ["EU"]}
    assert client.post(url, post).status_code == 302
    rule.refresh_from_db()
    assert rule.jurisdictions == ["CH"]


def test_closure_admin_offers_only_codes_requests_carry(client, officer):
    client.force_login(officer)
    url = "/admin/requests_app/holiday/add/"
    refused = client.post(
        url, {"date": "2026-10-03", "name": "Unity", "jurisdiction": "DE"}
    )
    assert refused.status_code == 200 and not Holiday.objects.exists()
    saved = client.post(
        url, {"date": "2026-10-03", "name": "Unity", "jurisdiction": "EU"}
    )
    assert saved.status_code == 302
    assert Holiday.objects.get().jurisdiction == "EU"
    listing = client.get("/admin/requests_app/holiday/").content.decode()
    assert "EU / EEA" in listing

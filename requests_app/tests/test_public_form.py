"""The public request form: countries, jurisdictions, messages and limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from django_countries import countries

from requests_app import jurisdictions
from requests_app.forms import (
    RequestForm,
    RequestValidation,
    collation_key,
    country_choices,
)
from requests_app.models import PrivacyRequest
from requests_app.tests.test_views import FORM, payload

pytestmark = pytest.mark.django_db  # the correction fields read the registry
TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


@pytest.fixture(autouse=True)
def _default_language():
    # A page fetched with ?lang= leaves its language active in this thread.
    yield
    translation.deactivate()


# --- countries ------------------------------------------------------------------


def test_every_iso_country_is_offered_once():
    codes = [code for code, _ in country_choices() if code]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(countries.countries)
    assert len(codes) >= 249 and "XX" not in codes  # no "another country" needed


@pytest.mark.parametrize("language", ["en-gb", "de", "fr", "es", "pt-br"])
def test_countries_are_sorted_by_their_name_in_the_page_language(language):
    with translation.override(language):
        names = [name for code, name in country_choices() if code]
    assert names == sorted(names, key=collation_key)


def test_german_names_sort_umlauts_with_their_base_letter():
    with translation.override("de"):
        names = [name for code, name in country_choices() if code]
    assert "Österreich" in names and "Austria" not in names
    # Among the O's (Oman, Österreich, Osttimor), not after Z as by code point.
    position = names.index("Österreich")
    assert names[position - 1].startswith("O") and names[position + 1][0] in "OÖ"
    assert names.index("Ägypten") < names.index("Albanien")


def test_each_language_gets_its_own_names_from_one_shared_list():
    with translation.override("fr"):
        french = country_choices()
    with translation.override("es"):
        spanish = country_choices()
    assert dict(french)["DE"] == "Allemagne" and dict(spanish)["DE"] == "Alemania"
    with translation.override("fr"):
        assert country_choices() is french  # built once per language


def test_the_form_renders_countries_in_the_page_language(client):
    german = client.get(FORM + "?lang=de").content.decode()
    assert '<option value="AT">Österreich</option>' in german
    english = client.get(FORM + "?lang=en-gb").content.decode()
    assert '<option value="AT">Austria</option>' in english


def test_validation_is_a_set_lookup_shared_by_every_post():
    field = RequestValidation.base_fields["country"]
    assert RequestValidation(payload()).fields["country"] is field
    assert "KE" in field.codes and "XX" in field.codes and "ZZ" not in field.codes


# --- jurisdictions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "region", "code"),
    [
        ("KE", "", "XX"),  # no rules of its own: the company policy
        ("AT", "", "EU"),
        ("NO", "", "EU"),
        ("GB", "", "UK"),
        ("US", "CA", "US-CA"),
        ("CA", "QC", "CA-QC"),
        ("BR", "", "BR"),
        ("JP", "", "JP"),
        ("XX", "", "XX"),
    ],
)
def test_each_country_maps_to_the_jurisdiction_of_its_rules(country, region, code):
    assert jurisdictions.jurisdiction_for(country, region) == code


def test_every_rule_code_is_known_to_staff_filters():
    known = dict(jurisdictions.known_codes())
    for code in ["EU", "UK", "US", "US-CA", "CA", "CA-QC", "XX"]:
        assert code in known
    for code in jurisdictions.RULE_COUNTRIES:
        assert code in known
    assert "KE" not in known and "DE" not in known  # never a request's code


@translation.override("en-gb")
def test_names_for_staff_come_from_the_country_list():
    assert jurisdictions.residence_name("KE") == "Kenya"
    assert jurisdictions.residence_name("US", "CA") == (
        "California, United States of America"
    )
    assert jurisdictions.residence_name("CA", "QC") == "Quebec, Canada"
    assert jurisdictions.residence_name("XX") == "Another country"
    assert jurisdictions.jurisdiction_name("CA-QC") == "Quebec (Canada)"
    assert jurisdictions.jurisdiction_name("XX") == "Other countries"
    assert jurisdictions.jurisdiction_name("BR") == "Brazil"


def test_a_request_from_an_unlisted_country_keeps_its_country(post_form):
    response = post_form(FORM, payload(country="KE", email="k@example.org"))
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert (request.country, request.region, request.jurisdiction) == ("KE", "", "XX")


def test_old_another_country_code_is_still_accepted():
    form = RequestValidation(payload(country="XX"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["country"] == "XX"


# --- fields shown by choice --------------------------------------------------------


def test_values_of_hidden_fields_are_ignored_not_refused():
    form = RequestValidation(
        payload(
            type="access",
            correction_field="subjects.profile.phone",
            correction_value="+44",
            agent_name="Left over",
            agent_email="left@example.org",
        )
    )
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["correction_field"] == data["correction_value"] == ""
    assert data["agent_name"] == data["agent_email"] == ""


def test_a_correction_still_needs_both_parts():
    form = RequestValidation(
        payload(type="rectification", correction_field="subjects.profile.phone")
    )
    assert not form.is_valid()
    assert "correction_value" in form.errors


def test_conditional_blocks_are_marked_for_css_and_script(client):
    html = client.get(FORM).content.decode()
    assert 'class="correction-fields" id="correction-fields"' in html
    assert 'data-shown-when="type=rectification"' in html
    assert 'data-shown-when="is_agent"' in html
    assert '<script src="/static/portal/form.js" defer></script>' in html
    css = (Path(django_settings.BASE_DIR) / "static/portal/public.css").read_text()
    assert ":has(input[name=type][value=rectification]:checked)" in css


@pytest.mark.parametrize(
    "name", ["form.html", "lost_link.html", "sent.html", "opted_out.html"]
)
def test_public_templates_have_no_inline_script(name):
    text = (TEMPLATES / "requests" / name).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert not re.search(r"\son[a-z]+\s*=", text)  # no event-handler attributes


# --- messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "number"), [("en-gb", "5,000"), ("de", "5.000"), ("fr", "5\u202f000")]
)
def test_the_details_limit_is_written_as_the_language_writes_numbers(language, number):
    with translation.override(language):
        help_text = str(RequestForm().fields["details"].help_text)
    assert number in help_text or number.replace("\u202f", "\xa0") in help_text


def test_a_failed_post_shows_a_summary_linking_each_message_to_its_field(post_form):
    response = post_form(FORM, payload(type="", email="nope", name=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert '<h2 id="error-summary-title" tabindex="-1">' in html
    for anchor in ("#id_type_0", "#id_email", "#id_name"):
        assert f'href="{anchor}"' in html
    assert 'href="#id_country"' not in html  # only fields with a message
    assert re.search(
        r'<input[^>]*aria-describedby="id_email_helptext id_email_error"[^>]*>', html
    )
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_name"', html)
    assert '<fieldset class="field choice-group has-error"' in html
    assert 'aria-describedby="id_type_helptext id_type_error"' in html
    assert "<title>Error: Make a privacy request" in html


def test_the_lost_link_form_has_the_same_summary(client):
    response = client.post("/privacy/request/lost-link/", {"email": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary-title" tabindex="-1"' in html
    assert 'href="#id_email"' in html and 'href="#id_reference"' in html


# --- humane limits ------------------------------------------------------------------


def test_three_typos_then_two_filings_from_one_address_are_all_accepted(post_form):
    # Default limits, as deployed.
    typos = [
        payload(email="ada@example"),
        payload(country=""),
        payload(name=""),
    ]
    assert [post_form(FORM, p).status_code for p in typos] == [400, 400, 400]
    filed = [post_form(FORM, payload(email=f"ok{i}@example.org")) for i in range(2)]
    assert [r.status_code for r in filed] == [302, 302]
    assert PrivacyRequest.objects.count() == 2


def test_the_filing_after_the_hourly_limit_is_refused(post_form, settings):
    limit = settings.REQUEST_RATE_PER_IP
    codes = [
        post_form(FORM, payload(email=f"n{i}@example.org")).status_code
        for i in range(limit + 1)
    ]
    assert codes == [302] * limit + [429]
    assert PrivacyRequest.objects.count() == limit


def test_mistakes_beyond_the_generous_allowance_are_refused(post_form, settings):
    settings.REQUEST_INVALID_RATE_PER_IP = 4
    codes = [post_form(FORM, payload(email="typo")).status_code for _ in range(6)]
    assert codes == [400] * 4 + [429] * 2


def test_typos_on_the_lost_link_form_do_not_use_up_the_new_links(client, settings):
    settings.REQUEST_RESEND_RATE = 1
    for _ in range(3):
        response = client.post(
            "/privacy/request/lost-link/",
            {"email": "a@example.org", "reference": "PR-26"},
        )
        assert response.status_code == 400
    response = client.post(
        "/privacy/request/lost-link/",
        {"email": "a@example.org", "reference": "PR-2026-000001"},
    )
    assert response.status_code == 200


def test_validation_binds_no_help_text_the_page_shows():
    # Binding tests help_text, which looks a lazy text up in the catalogue.
    shared = RequestValidation.base_fields
    assert shared["details"].help_text == "" and shared["email"].help_text == ""
    assert shared["details"] is not RequestForm.base_fields["details"]
    assert "5,000" in str(RequestForm.base_fields["details"].help_text)
    assert shared["country"] is RequestForm.base_fields["country"]

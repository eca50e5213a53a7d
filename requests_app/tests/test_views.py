from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from privacyportal import mail as outbox
from privacyportal.models import OutboundEmail
from privacyportal.subjects.tests.factories import DataSubjectFactory
from privacyportal.tasks import send_email_task
from requests_app import services
from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.tests.factories import in_progress, submit, token_from, verified

pytestmark = pytest.mark.django_db
S = PrivacyRequest.Status
FORM = "/privacy/request/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def payload(**overrides) -> dict:
    data = {
        "type": "access",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "country": "DE",
        "region": "",
        "relationship": "customer",
        "details": "Everything, please.",
        "website": "",
    }
    data.update(overrides)
    return data


def test_form_renders_every_field(client):
    response = client.get(FORM)
    assert response.status_code == 200
    for name in (
        "type",
        "name",
        "email",
        "country",
        "region",
        "relationship",
        "details",
        "is_agent",
        "agent_name",
        "agent_email",
        "website",
    ):
        assert f'name="{name}"'.encode() in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_valid_post_files_a_request_and_shows_check_your_inbox(post_form):
    response = post_form(FORM, payload())
    assert (
        response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    )
    request = PrivacyRequest.objects.get()
    assert request.email == "ada@example.org" and request.channel == "web"


def test_known_and_unknown_emails_get_byte_identical_pages(post_form):
    DataSubjectFactory(email="known@example.org")
    known = post_form(
        FORM, payload(email="known@example.org"), using=Client(), follow=True
    )
    unknown = post_form(
        FORM, payload(email="stranger@example.org"), using=Client(), follow=True
    )
    assert known.redirect_chain == unknown.redirect_chain
    known, unknown = known.content, unknown.content
    assert CSRF.sub(b"", known) == CSRF.sub(b"", unknown)
    assert PrivacyRequest.objects.count() == 2


def test_csrf_is_enforced(post_form):
    response = post_form(FORM, payload(), using=Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not PrivacyRequest.objects.exists()
    assert not RequestSubmission.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", b"Enter an e-mail address like name@example.com"),
        ("type", "sell-my-soul", b"Choose one of the options"),
        ("name", "", b"Enter your name"),
        ("details", "x" * 5001, b"at most 5000 characters"),
        ("region", "", b"Choose your state"),
        ("country", "ZZ", b"Choose a country from the list"),
        ("country", "", b"Choose the country where you live"),
        ("region", "Narnia", b"Choose a state or province from the list"),
    ],
)
def test_bad_fields_show_a_message_next_to_them(post_form, field, value, message):
    extra = {"country": "US"} if field == "region" else {}
    response = post_form(FORM, payload(**{field: value, **extra}))
    assert response.status_code == 400 and message in response.content
    assert not PrivacyRequest.objects.exists()
    assert not RequestSubmission.objects.exists()


def test_validation_forms_share_fields_but_not_their_results():
    from requests_app.forms import RequestForm, RequestValidation

    bad = RequestValidation(payload(email="nope", country="ZZ"))
    good = RequestValidation(payload())
    assert not bad.is_valid() and good.is_valid()
    assert set(bad.errors) == {"email", "country"} and not good.errors
    # Shared (no per-POST deep copy) ...
    assert bad.fields["country"] is good.fields["country"]
    # ... while the form that renders errors has its own copies.
    assert RequestForm().fields["country"] is not good.fields["country"]
    assert good.cleaned_data["country"] == "DE" and good.cleaned_data["region"] == ""

    # Validating (and rendering errors) leaves the shared fields as declared.
    # (by identity: a reassigned choice list compares equal to the old one).
    def attributes():
        return {
            (name, attr): id(value)
            for name, field in RequestForm.base_fields.items()
            for part in (field, field.widget)
            for attr, value in vars(part).items()
        }

    before = attributes()
    RequestValidation(payload(correction_field="x", correction_value="y")).is_valid()
    RequestForm(payload(email="bad")).as_div()
    assert attributes() == before


@pytest.mark.parametrize("field", ["name", "agent_name"])
def test_names_are_one_line_of_text(post_form, field, settings):
    forged = "Customer,\n\nYour account will be DELETED. Keep it: https://evil.example"
    response = post_form(
        FORM, payload(is_agent="on", agent_email="a@example.org", **{field: forged})
    )
    assert response.status_code == 400
    assert b"Use letters, spaces and punctuation only" in response.content
    assert not RequestSubmission.objects.exists()


def test_mail_to_an_unconfirmed_address_carries_no_text_from_the_filer():
    request = submit(name="Totally Official Notice")
    outbox.send_pending()
    (message,) = [m for m in mail.outbox if m.to == [request.email]]
    assert "Totally Official" not in message.body
    assert "Totally Official" not in message.alternatives[0][0]


def test_agent_needs_name_and_email(post_form):
    response = post_form(FORM, payload(is_agent="on"))
    assert response.status_code == 400
    # Next to each field, and once more in the summary at the top.
    assert response.content.count(b"Required when you act as an agent") == 4
    for field in (b"agent_name", b"agent_email"):
        assert b'<ul class="errorlist" id="id_%s_error">' % field in response.content
        assert b'href="#id_%s"' % field in response.content


def test_oversized_body_is_refused(post_form):
    response = post_form(FORM, payload(details="x" * 70_000))
    assert response.status_code in {400, 413}
    assert not PrivacyRequest.objects.exists()
    assert not RequestSubmission.objects.exists()


def test_honeypot_shows_the_same_page_and_files_nothing(post_form):
    response = post_form(FORM, payload(website="http://spam.example"))
    assert (
        response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    )
    assert not PrivacyRequest.objects.exists()
    assert not RequestSubmission.objects.exists()


def test_rate_limit_per_ip(post_form, settings):
    settings.REQUEST_RATE_PER_IP = 3
    codes = [
        post_form(FORM, payload(email=f"p{i}@example.org")).status_code
        for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    assert PrivacyRequest.objects.count() == 3


def test_rate_limit_per_email_across_addresses(settings):
    settings.REQUEST_RATE_PER_EMAIL = 2
    codes = [
        Client(REMOTE_ADDR=f"10.0.0.{i}")
        .post(FORM, payload(email="Same@Example.org", type=t))
        .status_code
        for i, t in enumerate(["access", "erasure", "objection"])
    ]
    assert codes == [302, 302, 429]


def test_an_address_over_its_limit_cannot_use_up_another_persons_quota(settings):
    settings.REQUEST_RATE_PER_IP = 1
    settings.REQUEST_RATE_PER_EMAIL = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    codes = [
        attacker.post(FORM, payload(email="victim@example.org")).status_code
        for _ in range(5)
    ]
    assert codes == [302, 429, 429, 429, 429]
    # Only the one accepted post counted against the victim's address.
    victim = Client(REMOTE_ADDR="198.51.100.7")
    assert victim.post(FORM, payload(email="victim@example.org")).status_code == 302


def test_the_portable_counter_keeps_its_whole_window():
    from privacyportal import fastcache

    checks = [("rl:test:window", 3600, 2)]
    assert fastcache._count_portable(checks) == [1]
    # Ten minutes on (past the cache's default five-minute timeout) the
    # window still holds the first attempt; an hour on it has closed.
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert fastcache._count_portable(checks) == [2]
        assert fastcache._count_portable(checks + checks) == [3]  # stops there
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert fastcache._count_portable(checks) == [1]


def test_submission_with_broker_down_still_succeeds_and_mails_later(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(send_email_task, "apply_async", broker_down)
    monkeypatch.setattr(send_email_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, payload(email="later@example.org"))
    assert (
        response.status_code == 302 and response["Location"] == "/privacy/request/sent/"
    )
    email = OutboundEmail.objects.get(to="later@example.org")
    assert email.status == OutboundEmail.Status.PENDING and not mail.outbox
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        sent = []
        monkeypatch.setattr(send_email_task, "delay", lambda pk: sent.append(pk))
        assert outbox.redispatch_pending() == 1
    assert sent == [email.pk]
    assert outbox.send_pending() == 1
    assert mail.outbox[0].to == ["later@example.org"]


# --- verification and status pages ---------------------------------------------


def test_verify_get_asks_for_a_click_and_post_verifies(client):
    request = submit(details="Only <the> forum posts")
    token = token_from(request)
    page = client.get(f"/privacy/request/verify/{token}/")
    assert page.status_code == 200 and b"Confirm my request" in page.content
    # It shows what would be confirmed (escaped), so a stranger's is recognised.
    assert b"Only &lt;the&gt; forum posts" in page.content
    assert request.get_type_display().encode() in page.content
    request.refresh_from_db()
    assert request.status == S.RECEIVED  # a prefetching mail scanner verifies nothing
    response = client.post(f"/privacy/request/verify/{token}/")
    assert response.status_code == 302
    assert "/privacy/request/status/" in response["Location"]
    request.refresh_from_db()
    assert request.status == S.VERIFIED
    status = client.get(response["Location"])
    assert request.reference.encode() in status.content
    # Pages behind a secret link stay out of every cache.
    assert "no-store" in status["Cache-Control"] and "no-store" in page["Cache-Control"]


def neutral(response) -> bytes:
    return CSRF.sub(b"", response.content)


def test_unknown_and_expired_links_get_the_same_neutral_page(client):
    # (A used link of a confirmed request says so: test_public_pages.py.)
    request = submit()
    expired_token = token_from(request)
    unknown = client.get("/privacy/request/verify/" + "A" * 43 + "/")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        expired = client.get(f"/privacy/request/verify/{expired_token}/")
    assert unknown.status_code == 404
    assert expired.status_code == 410
    for response, token in (
        (unknown, "A" * 43),
        (expired, expired_token),
    ):
        assert neutral(response).replace(token.encode(), b"T") == neutral(
            unknown
        ).replace(b"A" * 43, b"T")
        assert request.reference.encode() not in response.content


def test_expired_link_page_sends_a_new_link(client):
    request = submit(email="renew@example.org")
    token = token_from(request)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = client.post(f"/privacy/request/verify/{token}/new-link/")
        assert response.status_code == 200
        new = token_from(request)
        assert new != token
        assert client.post(f"/privacy/request/verify/{new}/").status_code == 302


def test_new_link_flood_is_rate_limited(client, settings):
    settings.REQUEST_RESEND_RATE = 2
    codes = [
        client.post("/privacy/request/verify/" + "B" * 43 + "/new-link/").status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]


def status_token(request) -> str:
    return token_from(request, "request_confirmation")


def test_status_page_shows_facts_and_staff_questions(client, officer):
    request = in_progress(officer)
    services.request_ask(actor=officer, request=request, question="Which account?")
    page = client.get(f"/privacy/request/status/{status_token(request)}/")
    assert page.status_code == 200
    for text in (
        request.reference,
        "Waiting for your answer",
        "Which account?",
        "Our question to you",
        "Withdraw my request",
    ):
        assert text.encode() in page.content


def test_requester_answers_a_question_on_the_status_page(client, officer):
    request = in_progress(officer)
    services.request_ask(actor=officer, request=request, question="Which account?")
    token = status_token(request)
    response = client.post(
        f"/privacy/request/status/{token}/answer/", {"answer": "The blue one"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == S.IN_PROGRESS
    assert b"The blue one" in client.get(f"/privacy/request/status/{token}/").content


def test_answer_without_a_question_is_refused(client, officer):
    request = in_progress(officer)
    token = status_token(request)
    response = client.post(f"/privacy/request/status/{token}/answer/", {"answer": "x"})
    assert response.status_code == 409


def test_requester_withdraws_on_the_status_page(client):
    request = verified()
    token = status_token(request)
    client.post(f"/privacy/request/status/{token}/withdraw/")
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN
    page = client.get(f"/privacy/request/status/{token}/")
    assert b"Withdraw my request" not in page.content


def test_status_link_reaches_only_its_own_request(client):
    mine, other = verified(), verified()
    token = status_token(mine)
    page = client.get(f"/privacy/request/status/{token}/")
    assert mine.reference.encode() in page.content
    assert other.reference.encode() not in page.content
    # a verification token is not a status token, and tampering gives 404
    assert client.get(f"/privacy/request/status/{token[:-1]}x/").status_code == 404
    assert (
        client.get(f"/privacy/request/status/{token_from(other)}/").status_code == 404
    )
    assert client.get(f"/privacy/request/status/{other.pk}/").status_code == 404


def test_status_link_expires(client, settings):
    request = verified()
    token = status_token(request)
    later = timezone.now() + timedelta(days=settings.REQUEST_STATUS_LINK_DAYS + 1)
    with time_machine.travel(later):
        assert client.get(f"/privacy/request/status/{token}/").status_code == 410


def test_a_filing_redirects_so_a_refresh_files_nothing_more(post_form, client):
    response = post_form(FORM, payload(email="prg@example.org"), follow=True)
    assert response.redirect_chain == [("/privacy/request/sent/", 302)]
    assert b"Check your inbox" in response.content
    assert b"prg" not in response.redirect_chain[0][0].encode()
    # "Refreshing" the page after the redirect is a GET: nothing new is filed.
    assert client.get("/privacy/request/sent/").status_code == 200
    assert PrivacyRequest.objects.count() == 1


def test_a_marketing_opt_out_gets_its_own_done_page(post_form):
    response = post_form(FORM, payload(type="marketing_opt_out"), follow=True)
    assert response.redirect_chain == [("/privacy/request/opted-out/", 302)]
    body = response.content.decode()
    assert "no more marketing e-mail" in body and "Follow the link" not in body


def test_typos_do_not_use_up_the_filings_an_address_may_make(post_form, settings):
    settings.REQUEST_RATE_PER_IP = 2
    settings.REQUEST_INVALID_RATE_PER_IP = 20
    mistakes = [
        post_form(FORM, payload(email="not-an-address")).status_code for _ in range(5)
    ]
    assert mistakes == [400] * 5
    filed = [
        post_form(FORM, payload(email=f"ok{i}@example.org")).status_code
        for i in range(3)
    ]
    assert filed == [302, 302, 429]  # valid posts still limited


def test_a_flood_of_junk_posts_is_still_stopped(post_form, settings):
    settings.REQUEST_INVALID_RATE_PER_IP = 3
    codes = [post_form(FORM, payload(email="junk")).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]

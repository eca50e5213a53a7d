"""Staff reach the admin only after a second factor, when it is required."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacyportal.audit.models import AuditEvent
from requests_app.tests.factories import staff_user
from tests.test_settings import PROD, run_django

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("required")]
PASSWORD = "pw-Very-Long-123"


@pytest.fixture
def required():
    # django-otp also slows down guesses (1 s, then doubling, per device); the
    # tests type several codes within a second, so only axes limits them here.
    with override_settings(
        STAFF_2FA_REQUIRED=True,
        OTP_TOTP_THROTTLE_FACTOR=0,
        OTP_STATIC_THROTTLE_FACTOR=0,
    ):
        yield


def sign_in(client, user) -> None:
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.get_username(), "password": PASSWORD},
    )
    assert response.status_code == 302


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enrol(client) -> list[str]:
    client.get("/admin/second-factor/setup/")
    device = TOTPDevice.objects.get(confirmed=False)
    page = client.post("/admin/second-factor/setup/", {"code": code_for(device)})
    return page.context["codes"]


def test_a_password_alone_does_not_reach_the_admin(client):
    sign_in(client, staff_user("ann"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/second-factor/?next=/admin/")
    # No app yet: the second step sends the person to enrolment.
    follow = client.get(response["Location"])
    assert follow["Location"].startswith("/admin/second-factor/setup/")
    assert client.get("/admin/reports/").status_code == 302


def test_enrolment_confirms_a_code_and_shows_recovery_codes_once(client):
    user = staff_user("ben")
    sign_in(client, user)
    page = client.get("/admin/second-factor/setup/")
    assert "Cannot scan?" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    wrong = client.post("/admin/second-factor/setup/", {"code": "000000"})
    assert "not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(
        action="portal.staff.second_factor_enrolled", actor_id=str(user.pk)
    ).exists()
    # Enrolled: the setup page no longer offers a new secret.
    assert client.get("/admin/second-factor/setup/").status_code == 302


def test_next_sign_in_takes_an_app_code_or_a_recovery_code_once(client):
    user = staff_user("cat")
    sign_in(client, user)
    codes = enrol(client)
    client.logout()

    sign_in(client, user)
    assert client.get("/admin/").status_code == 302
    done = client.post("/admin/second-factor/?next=/admin/", {"code": codes[0]})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(token=codes[0]).count() == 0
    client.logout()

    sign_in(client, user)
    again = client.post("/admin/second-factor/", {"code": codes[0]})
    assert again.status_code == 200 and "not right" in again.content.decode()
    device = TOTPDevice.objects.get(user=user)
    device.refresh_from_db()
    device.last_t = -1  # a fresh time step, as a new minute would give
    device.save()
    ok = client.post("/admin/second-factor/", {"code": code_for(device)})
    assert ok.status_code == 302 and client.get("/admin/").status_code == 200


def test_unsafe_next_lands_on_the_admin(client):
    user = staff_user("dan")
    sign_in(client, user)
    enrol(client)
    client.logout()
    sign_in(client, user)
    device = TOTPDevice.objects.get(user=user)
    device.last_t = -1
    device.save()
    done = client.post(
        "/admin/second-factor/?next=https://evil.example/", {"code": code_for(device)}
    )
    assert done["Location"] == "/admin/"


def test_wrong_codes_lock_the_account_like_wrong_passwords(client):
    user = staff_user("eve")
    sign_in(client, user)
    enrol(client)
    client.logout()
    sign_in(client, user)
    for _ in range(5):
        client.post("/admin/second-factor/", {"code": "123456"})
    page = client.get("/admin/second-factor/")
    assert page.context["locked"] is True
    assert "locked" in page.content.decode()


def test_relaxed_for_development_the_admin_opens_after_the_password(client):
    with override_settings(STAFF_2FA_REQUIRED=False):
        sign_in(client, staff_user("fay"))
        assert client.get("/admin/").status_code == 200


def test_required_by_default_when_debug_is_off():
    done = run_django(
        PROD,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STAFF_2FA_REQUIRED)",
    )
    assert done.stdout.strip().splitlines()[-1] == "True", done.stderr

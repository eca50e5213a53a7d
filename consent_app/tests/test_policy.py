from __future__ import annotations

import pytest
from django.core import mail

from consent_app.models import PolicyCampaign, PolicyVersion, Purpose
from consent_app.policy import (
    campaign_run_batch,
    campaigns_resume,
    policy_version_publish,
    policy_version_save,
    render_markdown,
)
from consent_app.services import ConsentError
from consent_app.tasks import policy_campaign_batch_task
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.mail import send_pending
from privacyportal.models import OutboundEmail
from privacyportal.subjects.tests.factories import DataSubjectFactory

SYSTEM = Actor.system("test")


def _recipients() -> list:
    people = [DataSubjectFactory() for _ in range(5)]
    DataSubjectFactory(email=None)  # no address: nobody to tell
    DataSubjectFactory(child=True)  # a child's data is deleted, not marketed to
    return people


def test_markdown_is_rendered_without_raw_html():
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script> **bold** [x](javascript:alert(1))"
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_publishing_twice_is_refused(purposes):
    version = PolicyVersionFactory()
    policy_version_publish(actor=SYSTEM, version=version)
    with pytest.raises(ConsentError, match="already published"):
        policy_version_publish(actor=SYSTEM, version=version)
    assert (
        AuditEvent.objects.filter(action="consent.policy_version.published").count()
        == 1
    )


def test_published_version_cannot_be_edited(purposes):
    version = PolicyVersionFactory()
    policy_version_publish(actor=SYSTEM, version=version)
    version.text = "changed"
    with pytest.raises(ConsentError):
        policy_version_save(actor=SYSTEM, version=version, fields=["text"])


def test_less_protective_without_chosen_purposes_gates_all(purposes):
    version = PolicyVersionFactory(less_protective=True)
    policy_version_publish(actor=SYSTEM, version=version)
    assert not Purpose.objects.filter(reconsent_since__isnull=True).exists()


def test_campaign_emails_each_subject_once_even_when_the_task_runs_twice(
    purposes, django_capture_on_commit_callbacks
):
    people = _recipients()
    version = PolicyVersionFactory(material=True, summary_of_changes="New partners")
    campaign = policy_version_publish(actor=SYSTEM, version=version)
    assert campaign.total == 5

    assert campaign_run_batch(campaign_id=campaign.pk, batch_size=2) == 2
    policy_campaign_batch_task.run(campaign.pk)  # a redelivered task: next batch
    while campaign_run_batch(campaign_id=campaign.pk, batch_size=2):
        pass
    campaign.refresh_from_db()
    assert campaign.status == PolicyCampaign.Status.DONE
    assert campaign.sent == 5 and campaign.progress == "5 / 5 (100%)"
    # the task delivered again after the end does nothing
    assert policy_campaign_batch_task.run(campaign.pk) == 0
    # even a lost checkpoint cannot send twice: each e-mail's key is unique
    PolicyCampaign.objects.filter(pk=campaign.pk).update(status="running", cursor=0)
    campaign_run_batch(campaign_id=campaign.pk, batch_size=100)
    assert OutboundEmail.objects.count() == 5

    send_pending()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert "New partners" in mail.outbox[0].body


def test_resume_job_re_enqueues_a_stalled_campaign(purposes):
    from datetime import timedelta

    _recipients()
    version = PolicyVersionFactory(material=True)
    campaign = policy_version_publish(actor=SYSTEM, version=version)
    assert campaigns_resume(stalled_after=timedelta(hours=1)) == 0
    assert campaigns_resume(stalled_after=timedelta(seconds=-1)) == 1
    campaign_run_batch(campaign_id=campaign.pk)
    campaign_run_batch(campaign_id=campaign.pk)
    assert campaigns_resume(stalled_after=timedelta(seconds=-1)) == 0


def test_admin_publish_asks_for_confirmation_first(admin_client, purposes):
    version = PolicyVersionFactory(material=True)
    url = "/admin/consent_app/policyversion/"
    data = {"action": "publish", "_selected_action": [version.pk]}
    page = admin_client.post(url, data)
    assert page.status_code == 200 and b"Yes, publish" in page.content
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.DRAFT

    done = admin_client.post(url, {**data, "confirm": "yes"})
    assert done.status_code == 302
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.PUBLISHED
    assert version.published_by is not None


def test_policy_page_shows_the_current_version(client, purposes):
    text = "## Our promise\n\n<img src=x onerror=alert(1)><iframe src=//x></iframe>"
    PolicyVersionFactory(published=True, text=text)
    page = client.get("/privacy/policy/").content.decode()
    assert "<h2>Our promise</h2>" in page
    assert "onerror" not in page and "<iframe" not in page

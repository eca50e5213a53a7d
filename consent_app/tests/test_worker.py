from __future__ import annotations

import pytest

from conftest import WorkerProcess
from consent_app.models import PolicyCampaign
from consent_app.policy import policy_version_publish
from consent_app.tests.factories import PolicyVersionFactory
from privacyportal.audit.services import Actor
from privacyportal.models import OutboundEmail
from privacyportal.subjects.tests.factories import DataSubjectFactory


@pytest.fixture
def campaign_worker(transactional_db):
    worker = WorkerProcess(
        {
            "CONSENT_CAMPAIGN_BATCH_SIZE": "3",
            "CONSENT_CAMPAIGN_BATCH_INTERVAL": "0",
            "EMAIL_URL": "dummymail://",
        }
    ).start()
    yield worker
    worker.stop()


@pytest.mark.services
def test_material_change_campaign_runs_on_a_real_worker(
    purposes, campaign_worker, wait_until
):
    people = [DataSubjectFactory() for _ in range(7)]
    version = PolicyVersionFactory(material=True)
    campaign = policy_version_publish(actor=Actor.system("test"), version=version)

    def finished() -> bool:
        campaign.refresh_from_db()
        return campaign.status == PolicyCampaign.Status.DONE

    wait_until(finished, timeout=60)
    assert campaign.sent == len(people) and campaign.batches == 3
    sent = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT)
    wait_until(lambda: sent.count() == len(people), timeout=60)
    assert sorted(sent.values_list("to", flat=True)) == sorted(p.email for p in people)

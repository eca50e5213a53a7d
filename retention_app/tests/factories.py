from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from privacyportal.subjects.tests.factories import OrganizationFactory
from retention_app.models import CallRecord, JobApplicant, Recording


def ago(days: float):
    return timezone.now() - timedelta(days=days)


class RecordingFactory(factory.django.DjangoModelFactory):
    """A bare row (no file); use services.recording_register for real content."""

    class Meta:
        model = Recording

    organization = factory.SubFactory(OrganizationFactory)
    meeting_title = factory.Sequence(lambda n: f"Weekly sync {n}")
    started_at = factory.LazyFunction(lambda: ago(400))
    duration_seconds = 1800
    size_bytes = 1000
    purge_after = factory.LazyFunction(lambda: ago(1))

    class Params:
        fresh = factory.Trait(purge_after=factory.LazyFunction(lambda: ago(-30)))
        keep = factory.Trait(purge_after=None)


class CallRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallRecord

    organization = factory.SubFactory(OrganizationFactory)
    started_at = factory.LazyFunction(lambda: ago(800))
    duration_seconds = 600
    participant_count = 3
    purge_after = factory.LazyFunction(lambda: ago(1))


class JobApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobApplicant

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"applicant{n}@example.org")
    position = "Support engineer"
    applied_at = factory.LazyFunction(lambda: ago(300))
    outcome = JobApplicant.Outcome.REJECTED
    decided_at = factory.LazyFunction(lambda: ago(250))
    purge_after = factory.LazyFunction(lambda: ago(1))

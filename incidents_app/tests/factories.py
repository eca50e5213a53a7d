from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from incidents_app.models import Incident
from incidents_app.services import incident_save


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident recorded through the service (so it has its reference)."""

    class Meta:
        model = Incident

    title = "Support mailbox forwarded to a wrong address"
    description = "For two days, tickets were copied to a former contractor."
    became_aware_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    data_categories = factory.LazyFunction(lambda: ["contact details"])
    approx_subjects = 120

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return incident_save(actor=None, incident=model_class(**kwargs), fields=[])

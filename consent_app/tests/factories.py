from __future__ import annotations

import datetime

import factory

from consent_app.models import PolicyVersion, Purpose


class PurposeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purpose
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"purpose-{n}")
    name = factory.Sequence(lambda n: f"Purpose {n}")
    description = "What it is for."

    class Params:
        marketing = factory.Trait(is_marketing=True)


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    label = factory.Sequence(lambda n: f"2026.{n}")
    effective_on = factory.LazyFunction(datetime.date.today)
    text = "# Privacy policy\n\nWe protect your data."
    summary_of_changes = "Clearer wording."

    class Params:
        published = factory.Trait(
            status=PolicyVersion.Status.PUBLISHED,
            published_at=factory.LazyFunction(
                lambda: datetime.datetime.now(datetime.UTC)
            ),
        )

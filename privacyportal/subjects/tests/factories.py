from __future__ import annotations

import factory

from privacyportal.subjects.models import DataSubject, Device, Organization


class DataSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSubject

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    phone = factory.Faker("phone_number")
    company = factory.Faker("company")

    class Params:
        child = factory.Trait(is_under_13=True)
        requester = factory.Trait(requester_only=True, company="", phone="")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    subject = factory.SubFactory(DataSubjectFactory)
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
    software_version = "5.4.1"
    connected_hardware = "USB headset"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    contact_email = factory.Sequence(lambda n: f"admin{n}@customer.example")

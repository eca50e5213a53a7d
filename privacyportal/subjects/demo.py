"""Demo subjects, devices and customer organizations (idempotent)."""

from __future__ import annotations

import random
from typing import Any

from privacyportal.subjects import services
from privacyportal.subjects.models import DataSubject, Organization

FIRST = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Eitan",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Jun",
    "Kemi",
    "Lars",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
]
LAST = [
    "Silva",
    "Okafor",
    "Martin",
    "Patel",
    "Cohen",
    "Haddad",
    "Berg",
    "Sato",
    "Petrov",
    "Li",
    "Adeyemi",
    "Nilsson",
    "Wong",
    "Rahman",
    "Aziz",
    "Iyer",
]
COMPANIES = [
    "Northwind Traders",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Acme Schools",
]


def seed(*, rng: random.Random, actor: Any) -> dict[str, int]:
    created_orgs = 0
    for name in COMPANIES:
        slug = name.lower().replace(" ", "-")
        if not Organization.objects.filter(slug=slug).exists():
            services.organization_create(
                actor=actor, name=name, slug=slug, contact_email=f"it@{slug}.example"
            )
            created_orgs += 1
    created = 0
    for i in range(40):
        # Draw every random value first, so a second run walks the same sequence.
        first, last = rng.choice(FIRST), rng.choice(LAST)
        profile = {
            "name": f"{first} {last}",
            "company": rng.choice(COMPANIES),
            "title": rng.choice(["Engineer", "Teacher", "CFO"]),
            "ip_addresses": [f"203.0.113.{rng.randint(1, 254)}"],
        }
        device = {
            "serial_number": f"DEMO-{i:04d}",
            "software_version": rng.choice(["5.3.2", "5.4.1", "6.0.0"]),
            "connected_hardware": rng.choice(["USB headset", "HD webcam"]),
        }
        email = f"{first}.{last}.{i}@example.org".lower()
        if DataSubject.objects.by_email(email).exists():
            continue
        subject = services.subject_create(
            actor=actor, email=email, domain="example.org", **profile
        )
        services.device_add(actor=actor, subject=subject, **device)
        created += 1
    return {"organizations": created_orgs, "subjects": created}

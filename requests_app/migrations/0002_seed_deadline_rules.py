"""The deadline rules the portal ships with; Privacy Officers edit them later."""

from django.db import migrations

US_45_DAY_STATES = [
    "CA", "CO", "CT", "DE", "IA", "IN", "KY", "MD", "MN", "MT", "NE", "NH",
    "NJ", "OR", "RI", "TN", "TX", "UT", "VA",
]

RULES = [
    dict(code="policy", name="Company policy: 30 calendar days", is_policy=True,
         jurisdictions=[], unit="days", amount=30),
    dict(code="gdpr", name="GDPR (EU/EEA): one month, +2 months", jurisdictions=["EU"],
         unit="months", amount=1, roll_to_working_day=True,
         extension_unit="months", extension_amount=2),
    dict(code="uk-gdpr", name="UK GDPR: one month, +2 months, clock stops",
         jurisdictions=["UK"], unit="months", amount=1, roll_to_working_day=True,
         extension_unit="months", extension_amount=2, pauses_on_needs_info=True),
    dict(code="us-45", name="US state laws: 45 days, +45, acknowledge in 10 days",
         jurisdictions=[f"US-{s}" for s in US_45_DAY_STATES], unit="days", amount=45,
         extension_unit="days", extension_amount=45, ack_business_days=10),
    dict(code="lgpd", name="Brazil LGPD: 15 days", jurisdictions=["BR"],
         unit="days", amount=15),
    dict(code="pipeda", name="Canada PIPEDA: 30 days, +30", jurisdictions=["CA"],
         unit="days", amount=30, extension_unit="days", extension_amount=30),
]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("requests_app", "DeadlineRule")
    for rule in RULES:
        DeadlineRule.objects.update_or_create(code=rule["code"], defaults=rule)


def unseed(apps, schema_editor):
    DeadlineRule = apps.get_model("requests_app", "DeadlineRule")
    DeadlineRule.objects.filter(code__in=[r["code"] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_privacy_requests")]
    operations = [migrations.RunPython(seed, unseed)]

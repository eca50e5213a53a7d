"""Seed the US state notice periods for telling residents of a breach.

These figures come from a published summary of state breach-notification laws,
not from the statutes: counsel must verify each one (and its conditions, e.g.
whether the clock runs from discovery or from determining the breach) before
relying on it. Staff edit the rows in the admin; ``verified_by_counsel`` stays
False until someone does.
"""

from django.db import migrations

DAYS = {
    "CO": 30, "FL": 30, "WA": 30, "ME": 30,
    "CT": 60, "DE": 60, "TX": 60, "SD": 60, "LA": 60,
    "AZ": 45, "OH": 45, "RI": 45, "TN": 45, "VT": 45, "WI": 45, "NM": 45,
    "AL": 45, "MD": 45, "OR": 45, "IN": 45,
}  # fmt: skip


def seed(apps, schema_editor):
    Rule = apps.get_model("incidents_app", "StateNoticeRule")
    for state, days in DAYS.items():
        Rule.objects.get_or_create(
            state=state,
            defaults={"days": days, "notes": "From a summary; verify with counsel."},
        )


def unseed(apps, schema_editor):
    Rule = apps.get_model("incidents_app", "StateNoticeRule")
    Rule.objects.filter(state__in=DAYS, verified_by_counsel=False).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents_app", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

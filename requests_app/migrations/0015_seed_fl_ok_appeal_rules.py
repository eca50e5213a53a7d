"""Appeal rules for Florida and Oklahoma, whose deadline rules give appeal days.

Each starts on the day its deadline rule does (0009: Florida's Digital Bill of
Rights from 1 July 2024, Oklahoma's Data Privacy Act from 1 January 2027) and
gives the same 60 days to decide (``appeal_days`` there). The attorney general
pages are to be verified by counsel, like those in 0014.
"""

from datetime import date

from django.db import migrations

WINDOW = 45

# code, law, in force from, days to decide, AG complaint page.
RULES = [
    ("US-FL", "Florida Digital Bill of Rights", date(2024, 7, 1), 60,
     "https://www.myfloridalegal.com/how-to-file-a-complaint",
     "Fla. Stat. s 501.707 (appeals)"),
    ("US-OK", "Oklahoma Data Privacy Act", date(2027, 1, 1), 60,
     "https://oklahoma.gov/oag/about/divisions/cpu.html",
     "Oklahoma SB 546 (2026), 75A O.S. ss 300-315 (appeals)"),
]  # fmt: skip


def seed(apps, schema_editor):
    AppealRule = apps.get_model("requests_app", "AppealRule")
    for code, law, start, days, url, citation in RULES:
        AppealRule.objects.update_or_create(
            jurisdiction=code,
            effective_from=start,
            defaults={
                "name": f"{law}: appeals decided within {days} days",
                "window_days": WINDOW,
                "decide_days": days,
                "complaint_url": url,
                "source_citation": f"{citation}; to be verified by counsel",
            },
        )


def unseed(apps, schema_editor):
    AppealRule = apps.get_model("requests_app", "AppealRule")
    for code, _law, start, *_ in RULES:
        AppealRule.objects.filter(jurisdiction=code, effective_from=start).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0014_seed_appeal_rules")]

    operations = [migrations.RunPython(seed, unseed)]

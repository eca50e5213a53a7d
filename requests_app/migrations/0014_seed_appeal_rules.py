"""The US state laws that give a refused requester an appeal.

Periods to decide and the dates the laws took effect are taken from a summary
of the state laws and are to be verified by counsel, as are the attorney
general complaint pages. Every law here lets the consumer appeal "within a
reasonable period of time after receipt of the decision"; the portal allows
45 days (README, "Appeals of refused requests"). Utah's UCPA and California's
CCPA give no statutory appeal, so they have no rule; neither do the GDPR
countries, where the complaint routes apply.
"""

from datetime import date

from django.db import migrations

WINDOW = 45

# code, state, law, in force from, days to decide, AG complaint page.
# From a summary, to be verified by counsel.
RULES = [
    ("US-VA", "Virginia CDPA", date(2023, 1, 1), 60,
     "https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint"),
    ("US-CO", "Colorado Privacy Act", date(2023, 7, 1), 45,
     "https://coag.gov/file-complaint/"),
    ("US-CT", "Connecticut Data Privacy Act", date(2023, 7, 1), 60,
     "https://portal.ct.gov/ag/common/complaint-form-landing-page"),
    ("US-OR", "Oregon Consumer Privacy Act", date(2024, 7, 1), 45,
     "https://justice.oregon.gov/consumercomplaints/"),
    ("US-TX", "Texas Data Privacy and Security Act", date(2024, 7, 1), 60,
     "https://www.texasattorneygeneral.gov/consumer-protection/"
     "file-consumer-complaint"),
    ("US-MT", "Montana Consumer Data Privacy Act", date(2024, 10, 1), 60,
     "https://dojmt.gov/consumer/consumer-complaints/"),
    ("US-IA", "Iowa Consumer Data Protection Act", date(2025, 1, 1), 60,
     "https://www.iowaattorneygeneral.gov/for-consumers/"
     "file-a-consumer-complaint"),
    ("US-IN", "Indiana Consumer Data Protection Act", date(2026, 1, 1), 60,
     "https://www.in.gov/attorneygeneral/consumer-protection-division/"
     "file-a-complaint/"),
    ("US-TN", "Tennessee Information Protection Act", date(2025, 7, 1), 60,
     "https://www.tn.gov/attorneygeneral/working-for-tennessee/consumer/"
     "file-a-complaint.html"),
    ("US-DE", "Delaware Personal Data Privacy Act", date(2025, 1, 1), 60,
     "https://attorneygeneral.delaware.gov/fraud/cmu/complaint/"),
    ("US-NH", "New Hampshire Privacy Act", date(2025, 1, 1), 60,
     "https://www.doj.nh.gov/consumer/complaints/"),
    ("US-NJ", "New Jersey Data Privacy Act", date(2025, 1, 15), 45,
     "https://www.njconsumeraffairs.gov/Pages/Consumer-Complaints.aspx"),
    ("US-KY", "Kentucky Consumer Data Protection Act", date(2026, 1, 1), 60,
     "https://www.ag.ky.gov/Resources/Consumer-Resources/Consumers/Pages/"
     "Consumer-Complaints.aspx"),
    ("US-NE", "Nebraska Data Privacy Act", date(2025, 1, 1), 60,
     "https://protectthegoodlife.nebraska.gov/consumer-complaint"),
    ("US-MD", "Maryland Online Data Privacy Act", date(2025, 10, 1), 60,
     "https://www.marylandattorneygeneral.gov/Pages/CPD/complaint.aspx"),
    ("US-MN", "Minnesota Consumer Data Privacy Act", date(2025, 7, 31), 45,
     "https://www.ag.state.mn.us/Office/Complaint.asp"),
    ("US-RI", "Rhode Island Data Transparency and Privacy Protection Act",
     date(2026, 1, 1), 60, "https://riag.ri.gov/forms/consumer-complaint"),
]  # fmt: skip


def seed(apps, schema_editor):
    AppealRule = apps.get_model("requests_app", "AppealRule")
    for code, law, start, days, url in RULES:
        AppealRule.objects.update_or_create(
            jurisdiction=code,
            effective_from=start,
            defaults={
                "name": f"{law}: appeals decided within {days} days",
                "window_days": WINDOW,
                "decide_days": days,
                "complaint_url": url,
                "source_citation": f"{law}, appeal process (from a summary of "
                "the state laws; to be verified by counsel)",
            },
        )


def unseed(apps, schema_editor):
    AppealRule = apps.get_model("requests_app", "AppealRule")
    for code, _law, start, _days, _url in RULES:
        AppealRule.objects.filter(jurisdiction=code, effective_from=start).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0013_appeals")]

    operations = [migrations.RunPython(seed, unseed)]

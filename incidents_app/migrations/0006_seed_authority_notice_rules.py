"""Seed the supervisory authority's notice period: 72 hours (Art. 33(1)).

The GDPR applies from 25 May 2018; the UK GDPR from 1 January 2021 (before,
the GDPR itself applied in the UK). Staff add a version when a law changes.
"""

from datetime import date

from django.db import migrations

RULES = [
    dict(
        code="gdpr-art33",
        name="GDPR Art. 33: notify the authority within 72 hours",
        jurisdictions=["EU"],
        effective_from=date(2018, 5, 25),
        hours=72,
        source_citation="Regulation (EU) 2016/679, Art. 33(1)",
        source_url="https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    ),
    dict(
        code="uk-gdpr-art33",
        name="UK GDPR Art. 33: notify the ICO within 72 hours",
        jurisdictions=["UK"],
        effective_from=date(2021, 1, 1),
        hours=72,
        source_citation="UK GDPR, Art. 33(1)",
        source_url="https://www.legislation.gov.uk/eur/2016/679/article/33",
    ),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("incidents_app", "AuthorityNoticeRule")
    for rule in RULES:
        fields = dict(rule)
        Rule.objects.update_or_create(
            code=fields.pop("code"),
            effective_from=fields.pop("effective_from"),
            defaults=fields,
        )


def unseed(apps, schema_editor):
    Rule = apps.get_model("incidents_app", "AuthorityNoticeRule")
    for rule in RULES:
        Rule.objects.filter(
            code=rule["code"], effective_from=rule["effective_from"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents_app", "0005_effective_dated_notice_rules")]

    operations = [migrations.RunPython(seed, unseed)]

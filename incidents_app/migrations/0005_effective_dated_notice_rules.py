"""Notice periods become effective-dated rules (privacyportal.rules).

US state periods get start and end dates: the rows already there keep their
days and start on 1 January 2000, before any incident the register holds, so
every incident is still counted as before. The supervisory authority's period
(GDPR Art. 33(1), UK GDPR Art. 33(1): 72 hours), a constant until now, becomes
a rule staff can version; seeded in 0006.
"""

import datetime

from django.db import migrations, models



class Migration(migrations.Migration):
    dependencies = [("incidents_app", "0004_affected_notices")]

    operations = [
        migrations.AlterModelOptions(
            name="statenoticerule",
            options={
                "ordering": ["state", "-effective_from"],
                "verbose_name": "US state notice period",
            },
        ),
        migrations.AlterField(
            model_name="statenoticerule",
            name="state",
            field=models.CharField(help_text="e.g. CO", max_length=2),
        ),
        migrations.AddField(
            model_name="statenoticerule",
            name="effective_from",
            field=models.DateField(
                default=datetime.date(2000, 1, 1),
                help_text="First day of becoming aware this version applies to.",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statenoticerule",
            name="effective_to",
            field=models.DateField(
                blank=True,
                null=True,
                help_text="Last day of becoming aware this version applies to; "
                "empty while in force.",
            ),
        ),
        migrations.AddConstraint(
            model_name="statenoticerule",
            constraint=models.UniqueConstraint(
                fields=("state", "effective_from"), name="statenoticerule_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="statenoticerule",
            constraint=models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="statenoticerule_dates_in_order",
            ),
        ),
        migrations.CreateModel(
            name="AuthorityNoticeRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "effective_from",
                    models.DateField(
                        help_text="First day of becoming aware this version "
                        "applies to."
                    ),
                ),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        null=True,
                        help_text="Last day of becoming aware this version applies "
                        "to; empty while in force.",
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="The same for every version of one law.",
                        max_length=40,
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                (
                    "jurisdictions",
                    models.JSONField(
                        default=list,
                        help_text='Where the people affected live: ["EU"], ["UK"].',
                    ),
                ),
                (
                    "hours",
                    models.PositiveSmallIntegerField(
                        help_text="Elapsed hours from becoming aware of the breach.",
                        verbose_name="hours to notify the authority",
                    ),
                ),
                ("source_citation", models.CharField(blank=True, max_length=200)),
                ("source_url", models.URLField(blank=True, max_length=300)),
            ],
            options={
                "verbose_name": "authority notice period",
                "ordering": ["code", "-effective_from"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("code", "effective_from"),
                        name="authoritynoticerule_version",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(effective_to__isnull=True)
                        | models.Q(effective_to__gte=models.F("effective_from")),
                        name="authoritynoticerule_dates_in_order",
                    ),
                ],
            },
        ),
    ]

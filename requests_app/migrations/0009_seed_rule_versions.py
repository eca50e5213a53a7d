"""Dates, sources and calendars for the rules shipped in 0002, and new rules.

Every rule is a version in force from a date (README, "Deadlines", lists the
sources). Future versions are seeded now with their start dates, so nothing is
edited on the day a law starts: Oklahoma's applies to requests received from
1 January 2027. Laws that set no number of days (Japan, China) get no rule: the
policy date applies (jurisdictions.NO_STATUTORY_PERIOD).

Company closures entered under a country code (``DE``) or in lower case
(``eu``) never applied, since requests carry ``EU``; they are moved to the
code requests carry.
"""

from datetime import date

from django.db import migrations

EU_CALENDAR = "establishment"

# code -> fields added to the rules seeded by 0002.
EXISTING = {
    "policy": dict(
        effective_from=date(2015, 1, 1),
        source_citation="Company privacy policy (revised 2015): "
        "'we will respond within 30 days'",
    ),
    "gdpr": dict(
        effective_from=date(2018, 5, 25),
        calendar=EU_CALENDAR,
        extension_condition="Tell the requester within one month of receipt, "
        "with the reasons for the delay (Art. 12(3)).",
        source_citation="GDPR Art. 12(3); Regulation 1182/71 Art. 3 (counting)",
        source_url="https://eur-lex.europa.eu/eli/reg/2016/679/oj",
    ),
    "uk-gdpr": dict(
        effective_from=date(2021, 1, 1),
        calendar="uk",
        extension_condition="Tell the requester within one month of receipt, "
        "with the reasons for the delay (Art. 12(3)).",
        source_citation="UK GDPR Art. 12(3)",
        source_url="https://www.legislation.gov.uk/eur/2016/679/article/12",
    ),
    "us-45": dict(
        effective_from=date(2023, 1, 1),
        extension_condition="Tell the consumer within the first 45 days, with "
        "the reason for the extension.",
        source_citation="Cal. Civ. Code 1798.130(a)(2) and the Virginia-style "
        "state laws (45 + 45 days); CCPA Regulations 7021 (confirm receipt "
        "within 10 business days)",
        source_url="https://leginfo.legislature.ca.gov/faces/codes_displaySection"
        ".xhtml?lawCode=CIV&sectionNum=1798.130",
    ),
    "lgpd": dict(
        effective_from=date(2020, 9, 18),
        source_citation="LGPD (Lei 13.709/2018) Art. 19 II",
        source_url="https://www.planalto.gov.br/ccivil_03/_ato2015-2018/2018/lei/"
        "l13709.htm",
    ),
    "pipeda": dict(
        effective_from=date(2001, 1, 1),
        extension_condition="Tell the requester within the first 30 days, with "
        "the new time limit, the reasons and the right to complain (s 8(4)).",
        source_citation="PIPEDA s 8(3)-(5)",
        source_url="https://laws-lois.justice.gc.ca/eng/acts/P-8.6/section-8.html",
    ),
}

NEW = [
    dict(
        code="nz-privacy-act",
        name="New Zealand Privacy Act 2020: 20 working days",
        jurisdictions=["NZ"],
        effective_from=date(2020, 12, 1),
        unit="working_days",
        amount=20,
        calendar="nz-privacy-act",
        roll_to_working_day=True,
        extension_condition="A reasonable further period, if notice is given "
        "within the 20 working days with the period and the reasons (s 48); "
        "not fixed in days, so not offered by the portal.",
        source_citation="Privacy Act 2020 (NZ) s 44 (20 working days), s 48 "
        "(extension), s 7 ('working day': weekends, listed holidays, "
        "25 Dec-15 Jan)",
        source_url="https://www.legislation.govt.nz/act/public/2020/0031/latest/",
    ),
    dict(
        code="ch-fadp",
        name="Switzerland FADP: 30 days",
        jurisdictions=["CH"],
        effective_from=date(2023, 9, 1),
        unit="days",
        amount=30,
        extension_condition="If the information cannot be given in 30 days, "
        "tell the requester within the 30 days and name the date it will be "
        "given (DPO Art. 18(1)); no fixed number of days.",
        source_citation="FADP (revDSG) Art. 25(7); Data Protection Ordinance "
        "Art. 18",
        source_url="https://www.fedlex.admin.ch/eli/cc/2022/491/en",
    ),
    dict(
        code="qc-private-sector",
        name="Quebec private-sector act (Law 25): 30 days",
        jurisdictions=["CA-QC"],
        effective_from=date(1994, 1, 1),
        unit="days",
        amount=30,
        extension_condition="No extension: no answer within 30 days counts as "
        "a refusal (s 32).",
        source_citation="Act respecting the protection of personal information "
        "in the private sector (CQLR c P-39.1) s 32, as amended by Law 25 "
        "(S.Q. 2021, c 25)",
        source_url="https://www.legisquebec.gouv.qc.ca/en/document/cs/P-39.1",
    ),
    dict(
        code="za-popia",
        name="South Africa POPIA/PAIA: 30 days, +30",
        jurisdictions=["ZA"],
        effective_from=date(2021, 7, 1),
        unit="days",
        amount=30,
        extension_unit="days",
        extension_amount=30,
        extension_condition="Once, for at most 30 days; tell the requester within "
        "30 days of receipt, with the period, the reasons and the right to "
        "complain to the Information Regulator (PAIA s 57(2)-(3)).",
        source_citation="POPIA s 23(3) read with PAIA s 56(1) and s 57",
        source_url="http://acts.co.za/promotion/"
        "57__extension_of_period_to_deal_with_request.php",
    ),
    dict(
        code="au-app12",
        name="Australia APP 12: 30 days",
        jurisdictions=["AU"],
        effective_from=date(2014, 3, 12),
        unit="days",
        amount=30,
        source_citation="Privacy Act 1988 (Cth) Sch 1, APP 12.4(a)(ii) ('within "
        "a reasonable period'); OAIC APP Guidelines ch 12: generally not more "
        "than 30 calendar days",
        source_url="https://www.oaic.gov.au/privacy/australian-privacy-principles/"
        "australian-privacy-principles-guidelines/"
        "chapter-12-app-12-access-to-personal-information",
    ),
    dict(
        code="sg-pdpa",
        name="Singapore PDPA: 30 days",
        jurisdictions=["SG"],
        effective_from=date(2021, 2, 1),
        unit="days",
        amount=30,
        extension_condition="If the answer takes longer than 30 days, tell the "
        "applicant within the 30 days when it will come; no fixed number of "
        "days.",
        source_citation="PDPA 2012 s 21; Personal Data Protection Regulations "
        "2021 regs 4-5",
        source_url="https://sso.agc.gov.sg/SL-Supp/S63-2021/Published/"
        "20210129170000?DocDate=20210129170000&WholeDoc=1",
    ),
    dict(
        code="us-fl",
        name="Florida Digital Bill of Rights: 45 days, +15",
        jurisdictions=["US-FL"],
        effective_from=date(2024, 7, 1),
        unit="days",
        amount=45,
        extension_unit="days",
        extension_amount=15,
        extension_condition="Once, when reasonably necessary; tell the consumer "
        "within the first 45 days, with the reason (s 501.706(2)).",
        appeal_days=60,
        source_citation="Fla. Stat. s 501.706(2) (45 + 15 days), s 501.707 "
        "(appeals); applies to controllers over USD 1 billion revenue",
        source_url="http://www.leg.state.fl.us/statutes/index.cfm?App_mode="
        "Display_Statute&URL=0500-0599/0501/Sections/0501.706.html",
    ),
    dict(
        code="us-ok",
        name="Oklahoma Data Privacy Act: 45 days, +45",
        jurisdictions=["US-OK"],
        effective_from=date(2027, 1, 1),
        unit="days",
        amount=45,
        extension_unit="days",
        extension_amount=45,
        extension_condition="Once, when reasonably necessary; tell the consumer "
        "within the first 45 days, with the reason.",
        appeal_days=60,
        source_citation="Oklahoma SB 546 (2026), 75A O.S. ss 300-315, in force "
        "1 January 2027",
        source_url="https://www.cookieyes.com/blog/oklahoma-data-privacy-act/",
    ),
    dict(
        code="mx-lfpdppp",
        name="Mexico LFPDPPP (2010): 20 days, +20",
        jurisdictions=["MX"],
        effective_from=date(2012, 1, 6),
        effective_to=date(2025, 3, 20),
        unit="days",
        amount=20,
        extension_unit="days",
        extension_amount=20,
        extension_condition="Once, by an equal period, when the circumstances "
        "justify it, with notice to the data subject (Art. 32).",
        source_citation="LFPDPPP (DOF 5 Jul 2010) Art. 32: the decision within "
        "20 days, carried out within 15 more; counted here as calendar days",
        source_url="https://www.diputados.gob.mx/LeyesBiblio/abro/lfpdppp/"
        "LFPDPPP_orig_05jul10.pdf",
    ),
    dict(
        code="mx-lfpdppp",
        name="Mexico LFPDPPP (2025): 20 days, +20",
        jurisdictions=["MX"],
        effective_from=date(2025, 3, 21),
        unit="days",
        amount=20,
        extension_unit="days",
        extension_amount=20,
        extension_condition="Once, by an equal period, when the circumstances "
        "justify it, with notice to the data subject.",
        source_citation="LFPDPPP (DOF 20 Mar 2025), ARCO requests: the decision "
        "within 20 days, +20 once, carried out within 15 more; counted here as "
        "calendar days",
        source_url="https://www.diputados.gob.mx/LeyesBiblio/pdf/LFPDPPP.pdf",
    ),
    dict(
        code="in-dpdp",
        name="India DPDP Rules: grievances within 90 days",
        jurisdictions=["IN"],
        effective_from=date(2027, 5, 13),
        unit="days",
        amount=90,
        source_citation="DPDP Act 2023 s 13; DPDP Rules 2025 r 14(3) (at most 90 "
        "days), in force 18 months after publication on 13 Nov 2025",
        source_url="https://www.lexorbis.com/39519-2",
    ),
]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("requests_app", "DeadlineRule")
    for code, fields in EXISTING.items():
        DeadlineRule.objects.filter(code=code).update(**fields)
    for rule in NEW:
        DeadlineRule.objects.update_or_create(
            code=rule["code"],
            effective_from=rule["effective_from"],
            defaults=rule,
        )


def unseed(apps, schema_editor):
    DeadlineRule = apps.get_model("requests_app", "DeadlineRule")
    for rule in NEW:
        DeadlineRule.objects.filter(
            code=rule["code"], effective_from=rule["effective_from"]
        ).delete()


def closures_to_request_codes(apps, schema_editor):
    from requests_app.jurisdictions import jurisdiction_for, known_codes

    Holiday = apps.get_model("requests_app", "Holiday")
    known = dict(known_codes())
    for day in Holiday.objects.exclude(jurisdiction=""):
        code = day.jurisdiction.strip().upper()
        if code not in known:
            code = jurisdiction_for(code)
        if code == "XX" or code == day.jurisdiction:
            continue
        if Holiday.objects.filter(date=day.date, jurisdiction=code).exists():
            day.delete()  # the same closure was also entered under the right code
        else:
            Holiday.objects.filter(pk=day.pk).update(jurisdiction=code)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0008_rule_versions")]
    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(closures_to_request_codes, migrations.RunPython.noop),
    ]

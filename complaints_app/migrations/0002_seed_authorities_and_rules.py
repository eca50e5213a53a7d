"""Seed the supervisory authorities and the UK complaint rule.

The authorities list is seeded from public knowledge (names and web addresses
as known when this was written) and MUST be checked against each authority's
own site before relying on it; staff keep it up to date in the admin
(Complaints › Supervisory authorities). Germany is seeded with the federal
commissioner; a complainant may also go to their state's authority.
"""

from __future__ import annotations

from datetime import date

from django.db import migrations

AUTHORITIES = [
    ("AT", "Österreichische Datenschutzbehörde", "https://www.dsb.gv.at"),
    ("BE", "Belgian Data Protection Authority", "https://www.dataprotectionauthority.be"),
    ("BG", "Commission for Personal Data Protection (Bulgaria)", "https://www.cpdp.bg"),
    ("HR", "Agencija za zaštitu osobnih podataka (AZOP)", "https://azop.hr"),
    ("CY", "Commissioner for Personal Data Protection (Cyprus)", "https://www.dataprotection.gov.cy"),
    ("CZ", "Úřad pro ochranu osobních údajů", "https://uoou.gov.cz"),
    ("DK", "Datatilsynet (Denmark)", "https://www.datatilsynet.dk"),
    ("EE", "Andmekaitse Inspektsioon", "https://www.aki.ee"),
    ("FI", "Tietosuojavaltuutetun toimisto", "https://tietosuoja.fi"),
    ("FR", "Commission nationale de l'informatique et des libertés (CNIL)", "https://www.cnil.fr/fr/plaintes"),
    ("DE", "Der Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)", "https://www.bfdi.bund.de"),
    ("GR", "Hellenic Data Protection Authority", "https://www.dpa.gr"),
    ("HU", "Nemzeti Adatvédelmi és Információszabadság Hatóság (NAIH)", "https://naih.hu"),
    ("IE", "Data Protection Commission (Ireland)", "https://www.dataprotection.ie"),
    ("IT", "Garante per la protezione dei dati personali", "https://www.garanteprivacy.it"),
    ("LV", "Datu valsts inspekcija", "https://www.dvi.gov.lv"),
    ("LT", "Valstybinė duomenų apsaugos inspekcija", "https://vdai.lrv.lt"),
    ("LU", "Commission nationale pour la protection des données (Luxembourg)", "https://cnpd.public.lu"),
    ("MT", "Information and Data Protection Commissioner (Malta)", "https://idpc.org.mt"),
    ("NL", "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"),
    ("PL", "Urząd Ochrony Danych Osobowych (UODO)", "https://uodo.gov.pl"),
    ("PT", "Comissão Nacional de Proteção de Dados (CNPD)", "https://www.cnpd.pt"),
    ("RO", "Autoritatea Națională de Supraveghere a Prelucrării Datelor cu Caracter Personal", "https://www.dataprotection.ro"),
    ("SK", "Úrad na ochranu osobných údajov", "https://dataprotection.gov.sk"),
    ("SI", "Informacijski pooblaščenec", "https://www.ip-rs.si"),
    ("ES", "Agencia Española de Protección de Datos (AEPD)", "https://www.aepd.es"),
    ("SE", "Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se"),
    # EEA members outside the EU (GDPR applies there too).
    ("IS", "Persónuvernd", "https://www.personuvernd.is"),
    ("LI", "Datenschutzstelle Liechtenstein", "https://www.datenschutzstelle.li"),
    ("NO", "Datatilsynet (Norway)", "https://www.datatilsynet.no"),
    ("GB", "Information Commissioner's Office (ICO)", "https://ico.org.uk/make-a-complaint/"),
    # US states whose privacy laws an authority enforces on complaints.
    ("US-CA", "California Privacy Protection Agency (CPPA)", "https://cppa.ca.gov/webapplications/complaint"),
    ("US-CA", "California Attorney General", "https://oag.ca.gov/contact/consumer-complaint-against-business-or-company"),
    ("US-CO", "Colorado Attorney General", "https://coag.gov/file-complaint/"),
    ("US-CT", "Connecticut Attorney General", "https://www.dir.ct.gov/ag/complaint/"),
    ("US-VA", "Virginia Attorney General, Consumer Protection Section", "https://www.oag.state.va.us/consumer-protection/index.php/file-a-complaint"),
    ("US-TX", "Texas Attorney General", "https://www.texasattorneygeneral.gov/consumer-protection/file-consumer-complaint"),
    ("US-OR", "Oregon Department of Justice", "https://justice.oregon.gov/consumercomplaints/"),
]  # fmt: skip


def seed(apps, schema_editor):
    Authority = apps.get_model("complaints_app", "SupervisoryAuthority")
    Rule = apps.get_model("complaints_app", "ComplaintRule")
    for order, (code, name, url) in enumerate(AUTHORITIES):
        Authority.objects.get_or_create(
            code=code, name=name, defaults={"complaint_url": url, "order": order}
        )
    # Data (Use and Access) Act 2025 s 103 (DPA 2018 s 164A): acknowledge a
    # data-protection complaint within 30 days, from 19 June 2026; the Act
    # sets no number of days for the decision ("without undue delay").
    Rule.objects.get_or_create(
        code="uk-complaints",
        effective_from=date(2026, 6, 19),
        defaults={
            "name": "UK complaints to controllers",
            "jurisdictions": ["UK"],
            "ack_days": 30,
            "resolution_days": None,
            "source_citation": "Data (Use and Access) Act 2025 s 103; "
            "Data Protection Act 2018 s 164A",
            "source_url": "https://www.legislation.gov.uk/ukpga/2025/18/section/103",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("complaints_app", "0001_complaints")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

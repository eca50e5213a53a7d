"""Where a requester lives, reduced to the code that picks the legal clock.

Codes: ``EU`` (EU and EEA), ``UK``, ``US-XX`` (a state), ``CA-XX`` (a Canadian
province or territory), the ISO country code of a country with rules of its
own (``RULE_COUNTRIES``), or ``XX`` for every other country (the company's
policy applies). The request still stores the real ISO country code.
DeadlineRule.jurisdictions lists these codes.

``jurisdiction_for`` is the one place a residence becomes a code: the public
form, staff entry, the reports and the API all go through it. A sub-national
code falls back to its country's code when no rule names it
(``rule_chain``): a request from Ontario gets PIPEDA, one from Quebec Law 25.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django_countries import countries

EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
    "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
    "SE", "IS", "LI", "NO",
}  # fmt: skip

# Countries outside the EEA and the UK whose law has a deadline rule of its
# own (the seeded DeadlineRules and NO_STATUTORY_PERIOD name these codes).
# Every other country's requests carry ``XX``: the company policy applies.
RULE_COUNTRIES = frozenset(
    {"AU", "BR", "CA", "CH", "CN", "IN", "JP", "MX", "NZ", "SG", "US", "ZA"}
)

# Every ISO 3166-1 country the form offers, plus ``XX``, which requests filed
# before the form listed every country may still carry.
COUNTRY_CODES = frozenset(countries.countries) | {"XX"}

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"),
    ("DE", "Delaware"), ("DC", "District of Columbia"), ("FL", "Florida"),
    ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"),
    ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"),
    ("NE", "Nebraska"), ("NV", "Nevada"), ("NH", "New Hampshire"),
    ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"),
    ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"),
    ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip

# States whose consumer-privacy laws give 45 days (+45) to answer.
US_45_DAY_STATES = [
    "CA", "CO", "CT", "DE", "IA", "IN", "KY", "MD", "MN", "MT", "NE", "NH",
    "NJ", "OR", "RI", "TN", "TX", "UT", "VA",
]  # fmt: skip

CA_PROVINCES = [
    ("AB", "Alberta"), ("BC", "British Columbia"), ("MB", "Manitoba"),
    ("NB", "New Brunswick"), ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"), ("NT", "Northwest Territories"), ("NU", "Nunavut"),
    ("ON", "Ontario"), ("PE", "Prince Edward Island"), ("QC", "Quebec"),
    ("SK", "Saskatchewan"), ("YT", "Yukon"),
]  # fmt: skip

# Countries whose law differs below country level, and their regions (ISO
# 3166-2 suffixes; none is shared between the two lists).
REGIONS: dict[str, list[tuple[str, str]]] = {"US": US_STATES, "CA": CA_PROVINCES}

# Laws that set no response period in days: the policy date applies, and the
# request page says why (see README, "Deadlines").
NO_STATUTORY_PERIOD = {
    "JP": "Japan's APPI (Art. 33) says 'without delay' and sets no number of days",
    "CN": "China's PIPL (Art. 50) sets no number of days",
    "US": "No US state was given, and there is no federal privacy-request law",
    "XX": "The portal has no rule for this country",
}

_REGION_CODES = {
    country: {code for code, _ in regions} for country, regions in REGIONS.items()
}


def residence(country: str, region: str = "") -> tuple[str, str]:
    """Country and region as stored: upper-case, a region only where it counts."""
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    return country, region if region in _REGION_CODES.get(country, ()) else ""


def jurisdiction_for(country: str, region: str = "") -> str:
    """The jurisdiction code of a country (ISO 3166-1) and region (ISO 3166-2)."""
    country, region = residence(country, region)
    if country in EEA:
        return "EU"
    if country == "GB":
        return "UK"
    if country in REGIONS:
        return f"{country}-{region}" if region else country
    return country if country in RULE_COUNTRIES else "XX"


def rule_chain(code: str) -> tuple[str, ...]:
    """Codes to look rules up by, most specific first ("CA-QC", then "CA")."""
    country, _, region = code.partition("-")
    return (code, country) if region else (code,)


def known_codes() -> list[tuple[str, str]]:
    """Every code a request can carry, for the admin filter (no DISTINCT query)."""
    codes = [("EU", "EU / EEA"), ("UK", "United Kingdom"), ("US", "US (no state)")]
    codes += [(f"US-{c}", f"US: {name}") for c, name in US_STATES]
    codes += [(f"CA-{c}", f"Canada: {name}") for c, name in CA_PROVINCES]
    codes += sorted(
        ((c, country_name(c)) for c in RULE_COUNTRIES - {"US"}), key=lambda c: c[1]
    )
    return [*codes, ("XX", OTHER_COUNTRIES)]


OTHER_COUNTRIES = "Other countries"
_STATE_NAMES = dict(US_STATES)
_PROVINCE_NAMES = dict(CA_PROVINCES)
_NAMED = {"EU": "EU / EEA", "UK": "United Kingdom", "US": "United States (no state)"}


def country_name(code: str) -> str:
    """An ISO country's name in the active language (staff pages are English)."""
    return str(countries.name(code)) or gettext("Another country")


def jurisdiction_name(code: str) -> str:
    """A code as staff read it: "California (US)", "EU / EEA", "Brazil"."""
    if code in _NAMED:
        return _NAMED[code]
    if code == "XX":
        return OTHER_COUNTRIES
    country, _, region = code.partition("-")
    names = {"US": _STATE_NAMES, "CA": _PROVINCE_NAMES}.get(country, {})
    if region in names:
        return f"{names[region]} ({'US' if country == 'US' else 'Canada'})"
    return country_name(code)


def residence_name(country: str, region: str = "") -> str:
    """Where the requester lives: "California, United States of America", "Kenya"."""
    name = country_name(country)
    names = {"US": _STATE_NAMES, "CA": _PROVINCE_NAMES}.get(country, {})
    if region in names:
        return f"{names[region]}, {name}"
    return name


# The queue's filter offers these few groups instead of 60 codes.
GROUPS = [
    ("EU", "EU / EEA"),
    ("UK", "United Kingdom"),
    ("US-ANY", "United States"),
    ("OTHER", "Other countries"),
]


def validate_jurisdiction_code(value: str) -> None:
    """A closure or rule must name a code requests carry (a closure may name none).

    Requests carry ``EU``, never ``DE``: a closure typed as a member state
    would silently never apply. Callers store the code upper-case.
    """
    code = (value or "").strip().upper()
    if code and code not in dict(known_codes()):
        hint = jurisdiction_for(code)
        suggestion = f' Did you mean "{hint}"?' if hint != "XX" else ""
        raise ValidationError(
            f'"{value}" is not a jurisdiction requests are filed under.{suggestion}'
        )

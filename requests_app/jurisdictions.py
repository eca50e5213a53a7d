"""Where a requester lives, reduced to the code that picks the legal clock.

Codes: ``EU`` (EU and EEA), ``UK``, ``US-XX`` (a state), ``BR``, ``CA`` (Canada),
or the ISO country code itself. DeadlineRule.jurisdictions lists these codes.
"""

from __future__ import annotations

EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
    "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
    "SE", "IS", "LI", "NO",
}  # fmt: skip

COUNTRIES = [
    ("AT", "Austria"), ("AU", "Australia"), ("BE", "Belgium"), ("BG", "Bulgaria"),
    ("BR", "Brazil"), ("CA", "Canada"), ("CH", "Switzerland"), ("CY", "Cyprus"),
    ("CZ", "Czechia"), ("DE", "Germany"), ("DK", "Denmark"), ("EE", "Estonia"),
    ("ES", "Spain"), ("FI", "Finland"), ("FR", "France"), ("GB", "United Kingdom"),
    ("GR", "Greece"), ("HR", "Croatia"), ("HU", "Hungary"), ("IE", "Ireland"),
    ("IN", "India"), ("IS", "Iceland"), ("IT", "Italy"), ("JP", "Japan"),
    ("LI", "Liechtenstein"), ("LT", "Lithuania"), ("LU", "Luxembourg"),
    ("LV", "Latvia"), ("MT", "Malta"), ("MX", "Mexico"), ("NL", "Netherlands"),
    ("NO", "Norway"), ("NZ", "New Zealand"), ("PL", "Poland"), ("PT", "Portugal"),
    ("RO", "Romania"), ("SE", "Sweden"), ("SG", "Singapore"), ("SI", "Slovenia"),
    ("SK", "Slovakia"), ("US", "United States"), ("ZA", "South Africa"),
    ("XX", "Another country"),
]  # fmt: skip

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

_COUNTRY_CODES = {code for code, _ in COUNTRIES}
_STATE_CODES = {code for code, _ in US_STATES}


def jurisdiction_for(country: str, region: str = "") -> str:
    """The jurisdiction code of a country (ISO 3166-1) and, for the US, a state."""
    country = (country or "").upper()
    if country in EEA:
        return "EU"
    if country == "GB":
        return "UK"
    if country == "US":
        region = (region or "").upper()
        return f"US-{region}" if region in _STATE_CODES else "US"
    return country if country in _COUNTRY_CODES else "XX"


def known_codes() -> list[tuple[str, str]]:
    """Every code a request can carry, for the admin filter (no DISTINCT query)."""
    codes = [("EU", "EU / EEA"), ("UK", "United Kingdom"), ("US", "US (no state)")]
    codes += [(f"US-{c}", f"US: {name}") for c, name in US_STATES]
    codes += [
        (c, name) for c, name in COUNTRIES if c not in EEA and c not in {"GB", "US"}
    ]
    return codes


_COUNTRY_NAMES = dict(COUNTRIES)
_STATE_NAMES = dict(US_STATES)
_NAMED = {"EU": "EU / EEA", "UK": "United Kingdom", "US": "United States (no state)"}


def jurisdiction_name(code: str) -> str:
    """A code as staff read it: "California (US)", "EU / EEA", "Brazil"."""
    if code in _NAMED:
        return _NAMED[code]
    if code.startswith("US-") and code[3:] in _STATE_NAMES:
        return f"{_STATE_NAMES[code[3:]]} (US)"
    return _COUNTRY_NAMES.get(code, "Another country")


def residence_name(country: str, region: str = "") -> str:
    """Where the requester lives: "California, United States", "Germany"."""
    name = _COUNTRY_NAMES.get(country, "Another country")
    if country == "US" and region in _STATE_NAMES:
        return f"{_STATE_NAMES[region]}, {name}"
    return name


# The queue's filter offers these few groups instead of 60 codes.
GROUPS = [
    ("EU", "EU / EEA"),
    ("UK", "United Kingdom"),
    ("US-ANY", "United States"),
    ("OTHER", "Other countries"),
]

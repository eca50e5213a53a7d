"""Which days are not working days, by the calendar a deadline rule names.

Public holidays come from the ``holidays`` package, a maintained calendar of
national and regional holidays; the admin's Holiday table only adds company
closures (services.common.holidays_for). No database, no clock: each year of
each calendar is computed once per process and kept.

Calendars a rule can name:

- ``establishment``: the public holidays where the company is established,
  ``settings.ESTABLISHMENT_COUNTRY``. EU counting (Reg. 1182/71, Art. 3(4))
  moves a deadline off the public holidays of the member state where the act
  is done, and the controller answers from its establishment. The requester's
  country is never used for it: two people asking the same company the same
  thing on the same day get the same deadline, and a residence we cannot check
  does not move a legal date;
- ``jurisdiction``: the public holidays of the requester's US state (or
  country), for a US law's "10 business days" acknowledgement;
- ``uk``: the bank holidays of England and Wales (UK GDPR, ICO guidance);
- ``nz-privacy-act``: the Privacy Act 2020's own definition of a working day
  (s 7): weekends, its listed national holidays, and 25 December to 15 January;
- ``""``: weekends only.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.core import checks

WEEKENDS = ""
ESTABLISHMENT = "establishment"
JURISDICTION = "jurisdiction"
UK = "uk"
NZ_PRIVACY_ACT = "nz-privacy-act"

# Calendars a law defines for itself: company closures do not change them.
LAW_DEFINED = frozenset({NZ_PRIVACY_ACT})

# Jurisdiction codes whose holidays are not those of an ISO country code.
_JURISDICTION_REGIONS = {"UK": "GB-ENG", "XX": ""}


def region_for(calendar: str, jurisdiction: str) -> str:
    """The ``holidays`` region ("IE", "US-OK", "GB-ENG") a calendar means here."""
    if calendar == ESTABLISHMENT or (calendar == JURISDICTION and jurisdiction == "EU"):
        return settings.ESTABLISHMENT_COUNTRY
    if calendar == JURISDICTION:
        return _JURISDICTION_REGIONS.get(jurisdiction, jurisdiction)
    if calendar == UK:
        return "GB-ENG"
    return calendar


def non_working_days(region: str, first: date, last: date) -> frozenset[date]:
    """Public holidays of ``region`` in the years from ``first`` to ``last``."""
    return _years(region, first.year, last.year)


@lru_cache(maxsize=512)
def _years(region: str, first_year: int, last_year: int) -> frozenset[date]:
    days: set[date] = set()
    for year in range(first_year, last_year + 1):
        days |= _year(region, year)
    return frozenset(days)


@lru_cache(maxsize=512)
def _year(region: str, year: int) -> frozenset[date]:
    if not region:
        return frozenset()
    if region == NZ_PRIVACY_ACT:
        return _nz_privacy_act(year)
    country, _, subdiv = region.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        return frozenset()
    # A province or state the package does not know: its country's holidays.
    subdiv = subdiv if subdiv in supported[country] else None
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


def _nz_privacy_act(year: int) -> frozenset[date]:
    """Privacy Act 2020 s 7 "working day".

    Its listed holidays (Waitangi Day and Anzac Day moved to Monday when they
    fall on a weekend, Good Friday, Easter Monday, the Sovereign's birthday,
    Matariki, Labour Day) are New Zealand's national holidays without the
    regional anniversary days; the rest are inside 25 December-15 January.
    """
    national = holidays.country_holidays("NZ", years=year)
    summer = {date(year, 1, 1) + timedelta(days=n) for n in range(15)}
    summer |= {date(year, 12, 25) + timedelta(days=n) for n in range(7)}
    return frozenset(national) | frozenset(summer)


def region_problem(region: str) -> str:
    """Why a configured region is not a calendar, or "" when it is one."""
    country, _, subdiv = region.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        return f'"{country}" is not a country code the holidays calendar knows'
    if subdiv and subdiv not in supported[country]:
        return f'"{subdiv}" is not a region of {country} in the holidays calendar'
    return ""


@checks.register()
def check_establishment_country(**kwargs: object) -> list[checks.CheckMessage]:
    problem = region_problem(settings.ESTABLISHMENT_COUNTRY)
    if not problem:
        return []
    return [
        checks.Error(
            f"ESTABLISHMENT_COUNTRY: {problem}.",
            hint='An ISO 3166 code such as "IE" or "DE-BY".',
            id="requests.E001",
        )
    ]

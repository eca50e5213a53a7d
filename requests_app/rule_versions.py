"""Reads about deadline rule versions for staff pages, in plain words."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.safestring import SafeString

from requests_app.jurisdictions import NO_STATUTORY_PERIOD
from requests_app.models import OPEN_STATUSES, DeadlineRule, PrivacyRequest

# Fields that decide a request's dates: frozen once a version has requests, so
# a change of law is a new version and never moves existing requests' dates.
TIMING_FIELDS = (
    "jurisdictions",
    "effective_from",
    "unit",
    "amount",
    "calendar",
    "roll_to_working_day",
    "extension_unit",
    "extension_amount",
    "ack_business_days",
    "pauses_on_needs_info",
)


def with_open_counts(rules: QuerySet) -> QuerySet:
    """Rules with ``open_requests``, counted per rule on request_open_rule_idx.

    A subquery per rule row is an index-only scan of that rule's open requests
    (about 0.25 s for a million); a join with a filtered COUNT reads every
    request row instead (about 1 s).
    """
    count = (
        PrivacyRequest.objects.filter(
            legal_rule=OuterRef("pk"), status__in=OPEN_STATUSES
        )
        .order_by()
        .values("legal_rule")
        .annotate(n=Count("*"))
        .values("n")
    )
    return rules.annotate(open_requests=Coalesce(Subquery(count), Value(0)))


def versions_of(rule: DeadlineRule) -> QuerySet:
    return with_open_counts(DeadlineRule.objects.filter(code=rule.code)).order_by(
        "effective_from"
    )


def in_use(rule: DeadlineRule) -> bool:
    return (
        rule.pk is not None and PrivacyRequest.objects.filter(legal_rule=rule).exists()
    )


def source_html(rule: DeadlineRule) -> SafeString:
    if rule.source_url:
        return format_html(
            '{} (<a href="{}" rel="noopener" target="_blank">source</a>)',
            rule.source_citation or "Source",
            rule.source_url,
        )
    return format_html("{}", rule.source_citation or "No source recorded")


def applied_rule_html(request: PrivacyRequest) -> SafeString:
    """The rule version a request's dates come from, with its source."""
    rule = request.legal_rule
    if rule is None:
        reason = NO_STATUTORY_PERIOD.get(
            request.jurisdiction, "No legal rule was in force for this jurisdiction"
        )
        return format_html("None. {}, so the company policy's date applies.", reason)
    return format_html(
        "{}, version in force {}.<br>{}",
        rule.name,
        rule.in_force_label,
        source_html(rule),
    )

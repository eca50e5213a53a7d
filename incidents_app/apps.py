from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents_app"
    verbose_name = "Incidents and breaches"

    def ready(self) -> None:
        from incidents_app import categories, services, sources
        from privacyportal import emailtitles, mail, registry, retention
        from privacyportal.audit import describe

        registry.register(sources.CompromiseReportSource())
        registry.register(sources.BreachNoticeSource())
        for category in categories.ALL:
            retention.register(category)

        emailtitles.register(
            "incidents_reminder", "Reminder: notify the authority of a breach"
        )
        emailtitles.register(
            "incidents_overdue", "Overdue: the authority was not notified in time"
        )
        mail.register_minter(services.COMPROMISE_MINTER, services.compromise_link_mint)
        for template, title in EMAIL_TITLES.items():
            emailtitles.register(template, title)
        describe.register_area("incidents", "Incident", "Incidents and breaches")
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)
        from incidents_app import notices

        notices.ready()
        _connect_period_cache_signals()
        _register_dashboard()


def _connect_period_cache_signals() -> None:
    """Any write to the authority notice periods drops their cached copy."""
    from django.db.models.signals import post_delete, post_save

    from incidents_app.clocks import authority_periods_forget
    from incidents_app.models import AuthorityNoticeRule

    def forget(**kwargs) -> None:
        authority_periods_forget()

    for signal in (post_save, post_delete):
        signal.connect(forget, sender=AuthorityNoticeRule, weak=False)


def _register_dashboard() -> None:
    from incidents_app import selectors
    from privacyportal import widgets

    widgets.register(
        widgets.Widget(
            "incidents.tiles",
            "incidents_app.view_incident",
            selectors.tiles,
            11,
            counts=selectors.tile_counts,
        )
    )


SENTENCES = {
    "incidents.incident.recorded": "Incident recorded in the breach register",
    "incidents.incident.updated": "Incident details changed",
    "incidents.incident.decided": "Risk assessed and notification decided",
    "incidents.incident.authority_notified": "Supervisory authority notified",
    "incidents.incident.closed": "Incident closed",
    "incidents.incident.reminded": "Privacy Officers reminded of the deadline to "
    "notify the authority",
    "incidents.incident.overdue": "The notice period passed without notifying the "
    "authority: Privacy Officers alerted",
    "incidents.state_rule.created": "US state notice period added",
    "incidents.state_rule.updated": "US state notice period changed",
    "incidents.authority_rule.created": "Authority notice period added",
    "incidents.authority_rule.updated": "Authority notice period changed",
    "incidents.register.downloaded": "Breach register downloaded",
    "incidents.draft.viewed": "Draft notification to the authority opened",
    "incidents.compromise.confirmed": "Compromised-account report confirmed by the "
    "reporter",
    "incidents.compromise.incident_opened": "Incident opened from a "
    "compromised-account report",
    "incidents.compromise.purged": "Unconfirmed compromised-account reports deleted",
    "incidents.compromise.erased": "Compromised-account reports of a person erased "
    "or anonymised (erasure request)",
    "incidents.notice.erased": "Breach notices of a person erased: addresses "
    "removed from those sent, places on lists never sent deleted (erasure request)",
    "incidents.incident.report_words_removed": "Reporter's words removed from the "
    "incident with their anonymised report",
}
EMAIL_TITLES = {
    "compromise_verify": "Compromised-account report: confirmation link",
    "compromise_received": "Compromised-account report: acknowledgement",
    "staff_compromise_report": "New compromised-account report to staff",
}

from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents_app"
    verbose_name = "Incidents and breaches"

    def ready(self) -> None:
        from privacyportal import emailtitles
        from privacyportal.audit import describe

        emailtitles.register(
            "incidents_reminder", "Reminder: notify the authority of a breach"
        )
        emailtitles.register(
            "incidents_overdue", "Overdue: the authority was not notified in 72 hours"
        )
        describe.AREAS.setdefault("incidents", "Incident")
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)
        from incidents_app import notices

        notices.ready()


SENTENCES = {
    "incidents.incident.recorded": "Incident recorded in the breach register",
    "incidents.incident.updated": "Incident details changed",
    "incidents.incident.decided": "Risk assessed and notification decided",
    "incidents.incident.authority_notified": "Supervisory authority notified",
    "incidents.incident.closed": "Incident closed",
    "incidents.incident.reminded": "Privacy Officers reminded of the 72-hour deadline",
    "incidents.incident.overdue": "72 hours passed without notifying the authority: "
    "Privacy Officers alerted",
    "incidents.state_rule.created": "US state notice period added",
    "incidents.state_rule.updated": "US state notice period changed",
    "incidents.register.downloaded": "Breach register downloaded",
    "incidents.draft.viewed": "Draft notification to the authority opened",
}

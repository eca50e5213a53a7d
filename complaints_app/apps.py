from __future__ import annotations

from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints_app"
    verbose_name = "Complaints"

    def ready(self) -> None:
        from complaints_app import categories, sources
        from complaints_app.services import complaint_from_request
        from privacyportal import emailtitles, registry, retention, schedule
        from privacyportal.audit import describe
        from requests_app.services.common import VERIFICATION_HOOKS

        registry.register(sources.ComplaintSource())
        for category in categories.ALL:
            retention.register(category)
        if complaint_from_request not in VERIFICATION_HOOKS:
            VERIFICATION_HOOKS.append(complaint_from_request)
        for template, title in EMAIL_TITLES.items():
            emailtitles.register(template, title)
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)
        describe.register_area("complaints", "Complaint", "Complaints")
        _register_dashboard()
        schedule.register(
            schedule.Job(
                "Complaints: reminders and escalation",
                "complaints_app.tasks.complaints_alert_task",
                60,
                "Reminds the assignee 7 and 2 days before a complaint must be "
                "acknowledged or decided, and tells the Privacy Officers once it "
                "is overdue; each reminder is sent once.",
            )
        )


def _register_dashboard() -> None:
    from complaints_app import selectors
    from privacyportal import widgets

    widgets.register(
        widgets.Widget(
            "complaints.tiles",
            "complaints_app.view_complaint",
            selectors.tiles,
            14,
            counts=selectors.tile_counts,
        )
    )


EMAIL_TITLES = {
    "complaint_received": "Complaint received",
    "complaint_acknowledged": "Complaint acknowledged",
    "complaint_outcome": "Outcome of the complaint",
    "complaint_staff_reminder": "Reminder: a complaint is due soon",
    "complaint_staff_escalation": "A complaint is overdue",
}

SENTENCES = {
    "complaints.complaint.received": "Complaint received",
    "complaints.complaint.acknowledged": "Complaint acknowledged",
    "complaints.complaint.investigating": "Investigation of the complaint started",
    "complaints.complaint.assigned": "Complaint assigned",
    "complaints.complaint.noted": "Investigation note added to the complaint",
    "complaints.complaint.resolved": "Complaint resolved; outcome e-mailed",
    "complaints.complaint.not_upheld": "Complaint not upheld; outcome e-mailed",
    "complaints.complaint.escalated": "Complainant took the complaint further",
    "complaints.complaint.alerted": "Reminder about the complaint sent to staff",
    "complaints.complaint.incident_linked": "Complaint linked to an incident",
    "complaints.complaint.incident_unlinked": "Complaint unlinked from an incident",
    # Written by complaints_app (services._record_link) on the incident's side.
    "incidents.incident.complaint_linked": "Complaint linked to the incident",
    "incidents.incident.complaint_unlinked": "Complaint unlinked from the incident",
    "complaints.authority.changed": "Supervisory authority changed",
    "complaints.rule.changed": "Complaint rule changed",
    "requests.request.handed_to_complaints": "Confirmed and filed as a complaint",
}

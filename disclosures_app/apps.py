from __future__ import annotations

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures_app"
    verbose_name = "Recipients and disclosures"

    def ready(self) -> None:
        from disclosures_app import notices, sources, story
        from disclosures_app.selectors import yearly_figures
        from privacyportal import emailtitles, registry, schedule
        from privacyportal.audit import describe
        from privacyportal.subjects import story as subject_story
        from requests_app.fulfilment.receipt import RECEIPT_SECTIONS
        from requests_app.reports import YEARLY_EXTRAS
        from requests_app.services.common import COMPLETION_HOOKS

        registry.register(sources.DisclosureLogSource())
        subject_story.register("disclosures", story.disclosure_sections, order=50)
        emailtitles.register(
            "disclosures_applicant_notice", "Notice to an applicant of a disclosure"
        )
        emailtitles.register(
            "disclosures_recipient_notice", "Notice to a recipient (Art. 19)"
        )
        emailtitles.register(
            "disclosures_recipients_told", "Who we told about the request"
        )
        if notices.notices_fan_out not in COMPLETION_HOOKS:
            COMPLETION_HOOKS.append(notices.notices_fan_out)
        RECEIPT_SECTIONS["recipients_told"] = notices.recipients_told
        if yearly_figures not in YEARLY_EXTRAS:
            YEARLY_EXTRAS.append(yearly_figures)
        schedule.register(
            schedule.Job(
                "Disclosures: send notices to recipients",
                "disclosures_app.tasks.notices_dispatch_task",
                5,
                "Sends notices of erasures and corrections to the recipients of "
                "the data that are due (first try or a retry after a failure).",
            )
        )
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)
        describe.register_area(
            "disclosures", "Disclosure", "Recipients and disclosures"
        )
        _dashboard_warnings()


def _dashboard_warnings() -> None:
    """Our warnings (CCPA sale/sharing, contracts, notices) on the staff dashboard."""
    from disclosures_app import selectors
    from privacyportal import widgets

    widgets.register(
        widgets.Widget(
            "disclosures.warnings",
            "disclosures_app.view_disclosure",
            selectors.warnings_panel,
            25,
        )
    )


SENTENCES = {
    "disclosures.recipient.created": "Recipient added to the register",
    "disclosures.recipient.updated": "Recipient changed in the register",
    "disclosures.recipient.archived": "Recipient archived",
    "disclosures.recipient.transfers_changed": "Countries or safeguards changed",
    "disclosures.recipient.deleted": "Recipient deleted from the register",
    "disclosures.disclosure.recorded": "Disclosure recorded",
    "disclosures.disclosure.imported": "Disclosures recorded in bulk",
    "disclosures.ropa.downloaded": "Records of processing downloaded",
    "disclosures.notice.queued": "Recipients of the data to be told of the request",
    "disclosures.notice.sent": "Recipient told of the request",
    "disclosures.notice.acknowledged": "Recipient confirmed the notice",
    "disclosures.notice.failed": "Notice to a recipient failed",
}

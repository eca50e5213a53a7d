from __future__ import annotations

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures_app"
    verbose_name = "Recipients and disclosures"

    def ready(self) -> None:
        from disclosures_app import sources, story
        from privacyportal import emailtitles, registry
        from privacyportal.audit import describe
        from privacyportal.subjects import story as subject_story

        registry.register(sources.DisclosureLogSource())
        subject_story.register("disclosures", story.disclosure_sections, order=50)
        emailtitles.register(
            "disclosures_applicant_notice", "Notice to an applicant of a disclosure"
        )
        for code, sentence in SENTENCES.items():
            describe.register(code, sentence)


SENTENCES = {
    "disclosures.recipient.created": "Recipient added to the register",
    "disclosures.recipient.updated": "Recipient changed in the register",
    "disclosures.recipient.archived": "Recipient archived",
    "disclosures.recipient.deleted": "Recipient deleted from the register",
    "disclosures.disclosure.recorded": "Disclosure recorded",
    "disclosures.disclosure.imported": "Disclosures recorded in bulk",
}

from __future__ import annotations

from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "privacyportal.subjects"
    label = "subjects"
    verbose_name = "Data subjects"

    def ready(self) -> None:
        from privacyportal import registry
        from privacyportal.subjects import story
        from privacyportal.subjects.sources import SubjectProfileSource

        registry.register(SubjectProfileSource())
        story.register("profile", story.profile_sections, order=0)
        story.register_audit_sections()

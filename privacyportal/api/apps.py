from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "privacyportal.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from privacyportal import schedule
        from privacyportal.api import schema  # noqa: F401  (OpenAPI extensions)
        from privacyportal.audit import describe

        for code, sentence in AUDIT_SENTENCES.items():
            describe.register(code, sentence)
        describe.register_area("api", "API", "API keys")
        schedule.register(
            schedule.Job(
                "API: sweep stored idempotent answers",
                "privacyportal.api.tasks.idempotency_sweep_task",
                60,
                "Deletes answers to repeated API calls (Idempotency-Key) once "
                "they are older than API_IDEMPOTENCY_HOURS.",
            )
        )


AUDIT_SENTENCES = {
    "api.key.created": "API key created",
    "api.key.changed": "API key changed",
    "api.key.revoked": "API key revoked",
}

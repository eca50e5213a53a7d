from __future__ import annotations

from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        from privacyportal import mail, registry, retention, schedule
        from privacyportal.subjects.services import UNDER_13_HOOKS
        from requests_app.fulfilment import categories, exports, sources
        from requests_app.fulfilment.restriction import child_erasure_request
        from requests_app.services import common

        registry.register(sources.PrivacyRequestSource())
        mail.register_minter(exports.MINTER, exports.export_mint)
        mail.register_minter(common.LINK_MINTER, common.link_mint)
        registry.registry.add_provider(sources.external_sources)
        for category in categories.ALL:
            retention.register(category)
        if child_erasure_request not in UNDER_13_HOOKS:
            UNDER_13_HOOKS.append(child_erasure_request)
        schedule.register(
            schedule.Job(
                "Privacy request deadlines",
                "requests_app.tasks.request_deadlines_task",
                60,
                "Closes unverified requests, sends acknowledgements, reminders 7 and "
                "2 days before due, one escalation when overdue and a daily digest.",
            )
        )
        schedule.register(
            schedule.Job(
                "Fulfilment dispatch",
                "requests_app.tasks.fulfilment_dispatch_task",
                5,
                "Starts erasures whose cancel window has passed, re-sends erasure "
                "steps and export builds whose task was lost, resets builds a "
                "killed worker left half-done, finishes complete erasures.",
            )
        )

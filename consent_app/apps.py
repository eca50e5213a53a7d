from __future__ import annotations

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent_app"
    verbose_name = "Consent"

    def ready(self) -> None:
        from consent_app import links
        from consent_app.services import withdraw_for_child
        from consent_app.sources import ConsentLedgerSource
        from consent_app.story import consent_sections
        from privacyportal import mail, registry, schedule
        from privacyportal.subjects import story
        from privacyportal.subjects.services import UNDER_13_HOOKS

        registry.register(ConsentLedgerSource())
        story.register("consent", consent_sections, order=30)
        _register_dashboard()
        mail.register_minter("consent.link", links.mint)
        if withdraw_for_child not in UNDER_13_HOOKS:
            UNDER_13_HOOKS.append(withdraw_for_child)
        schedule.register(
            schedule.Job(
                "Consent: resume policy campaigns",
                "consent_app.tasks.campaigns_resume_task",
                10,
                "Re-enqueues policy-change e-mail campaigns that stopped "
                "(broker or worker lost); each subject is still e-mailed once.",
            )
        )
        schedule.register(
            schedule.Job(
                "Consent: purge expired links",
                "consent_app.tasks.links_purge_task",
                24 * 60,
                "Deletes expired preference-centre and unsubscribe links.",
            )
        )


def _register_dashboard() -> None:
    from consent_app import selectors
    from privacyportal import stats, widgets

    widgets.register(
        widgets.Widget(
            "consent.charts",
            "consent_app.view_consentevent",
            selectors.charts,
            60,
            figures=selectors.chart_figures,
        )
    )
    stats.register(stats.Counter(selectors.EVENTS, selectors.count_events))

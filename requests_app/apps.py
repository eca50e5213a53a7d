from __future__ import annotations

from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        from privacyportal import mail, registry, retention, schedule
        from privacyportal.subjects import story
        from privacyportal.subjects.services import UNDER_13_HOOKS
        from requests_app.fulfilment import categories, exports, sources
        from requests_app.fulfilment.restriction import child_erasure_request
        from requests_app.services import common
        from requests_app.story import request_sections

        _connect_clock_cache_signals()
        _register_appeal_words()
        _register_dashboard()
        registry.register(sources.PrivacyRequestSource())
        registry.register(sources.AppealSource())
        story.register("requests", request_sections, order=20)
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
                "Request submission re-dispatch",
                "requests_app.tasks.submission_redispatch_task",
                3,
                "Re-sends public form submissions accepted but not yet turned into "
                "requests (the broker was down when they arrived).",
            )
        )
        schedule.register(
            schedule.Job(
                "Fulfilment dispatch",
                "requests_app.tasks.fulfilment_dispatch_task",
                # A few indexed queries when idle; every minute bounds how long
                # a killed worker's erasure step waits (its task is never acked).
                1,
                "Starts erasures whose cancel window has passed, re-sends erasure "
                "steps and export builds whose task was lost, resets builds a "
                "killed worker left half-done, finishes complete erasures, "
                "deletes export packages whose link expired or was used up.",
            )
        )


def _register_appeal_words() -> None:
    """Appeal audit actions and e-mails in the words staff use."""
    from privacyportal import emailtitles
    from privacyportal.audit import describe

    for code, sentence in {
        "requests.appeal.filed": "Appeal of a refusal filed by the requester",
        "requests.appeal.upheld": "Appeal upheld",
        "requests.appeal.denied": "Appeal denied",
        "requests.appeal.alerted": "Appeal deadline reminder sent",
        "requests.request.reopened": "Request reopened after an appeal",
        "requests.appealrule.created": "Appeal rule added",
        "requests.appealrule.changed": "Appeal rule changed",
        "requests.appealrule.deleted": "Appeal rule deleted",
    }.items():
        describe.register(code, sentence)
    for template, title in {
        "request_appeal_received": "Appeal acknowledgement",
        "request_appeal_decision": "Decision on the appeal",
        "staff_appeal_filed": "New appeal notice to staff",
        "staff_appeal_alert": "Appeal deadline reminder to staff",
    }.items():
        emailtitles.register(template, title)


def _register_dashboard() -> None:
    """Tiles, the signed-in user's work and charts for the staff console."""
    from privacyportal import stats, widgets
    from requests_app import selectors

    view = "requests_app.view_privacyrequest"
    widgets.register(
        widgets.Widget(
            "requests.tiles", view, selectors.tiles, 10, counts=selectors.tile_counts
        )
    )
    widgets.register(
        widgets.Widget("requests.work", view, selectors.my_work, 20, own_work=True)
    )
    widgets.register(
        widgets.Widget(
            "requests.appeals",
            "requests_app.view_appeal",
            selectors.appeal_tiles,
            12,
            counts=selectors.appeal_counts,
        )
    )
    widgets.register(
        widgets.Widget(
            "requests.charts",
            view,
            selectors.charts,
            50,
            figures=selectors.chart_figures,
        )
    )
    stats.register(stats.Counter(selectors.RECEIVED, selectors.count_received))
    stats.register(
        stats.Counter(selectors.CLOSED, selectors.count_closed, monthly=True)
    )


def _connect_clock_cache_signals() -> None:
    """Any saved or deleted rule or holiday drops the cached clock rules."""
    from django.db.models.signals import post_delete, post_save

    from requests_app.models import DeadlineRule, Holiday
    from requests_app.services.common import clock_cache_clear

    def drop(**kwargs: object) -> None:
        clock_cache_clear()

    for model in (DeadlineRule, Holiday):
        for signal in (post_save, post_delete):
            # weak=False: ``drop`` is local and would be collected at once.
            signal.connect(drop, sender=model, weak=False, dispatch_uid="clock-cache")

from __future__ import annotations

from functools import partial

from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "retention_app"
    verbose_name = "Retention"

    def ready(self) -> None:
        from privacyportal import registry, retention, schedule
        from privacyportal.audit import describe
        from privacyportal.subjects import story
        from retention_app import categories, sources
        from retention_app.services.holds import active_holds, lock_holds
        from retention_app.story import retention_sections

        for category in categories.ALL:
            retention.register(category)
        retention.set_hold_provider(active_holds)
        retention.set_hold_lock(partial(lock_holds, shared=True))
        describe.register(
            "retention.sweep.batch", "Retention sweep deleted a batch of items"
        )
        describe.register(
            "retention.recordings.deleted",
            "Recordings deleted on the customer's instruction",
        )
        story.register("retention", retention_sections, order=40)
        _register_dashboard()
        registry.register(sources.RecordingSource())
        registry.register(sources.CallRecordSource())
        registry.register(sources.ApplicantSource())
        schedule.register(
            schedule.Job(
                "Retention sweep",
                "retention_app.tasks.retention_sweep_task",
                60,
                "Deletes or anonymises every item past its retention, except "
                "what a legal hold protects, with a deletion record for each.",
            )
        )


def _register_dashboard() -> None:
    from privacyportal import stats, widgets
    from retention_app import selectors

    widgets.register(
        widgets.Widget(
            "retention.holds",
            "retention_app.view_legalhold",
            selectors.holds_panel,
            30,
        )
    )
    widgets.register(
        widgets.Widget(
            "retention.charts",
            "retention_app.view_deletionrecord",
            selectors.charts,
            70,
            figures=selectors.chart_figures,
        )
    )
    stats.register(stats.Counter(selectors.DELETED, selectors.count_deleted))

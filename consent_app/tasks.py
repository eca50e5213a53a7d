"""Thin Celery tasks: each calls one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="consent_app.tasks.policy_campaign_batch_task",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def policy_campaign_batch_task(campaign_id: int) -> int:
    from consent_app.policy import campaign_run_batch

    return campaign_run_batch(campaign_id=campaign_id)


@shared_task(name="consent_app.tasks.campaigns_resume_task")
def campaigns_resume_task() -> int:
    from consent_app.policy import campaigns_resume

    return campaigns_resume()


@shared_task(name="consent_app.tasks.links_purge_task")
def links_purge_task() -> int:
    from consent_app.links import links_purge_expired

    return links_purge_expired()


@shared_task(name="consent_app.tasks.preference_link_task")
def preference_link_task(email: str, language: str = "") -> bool:
    """A preference-centre link asked for on the public page (in its language)."""
    from consent_app.links import preference_link_request

    return preference_link_request(email=email, language=language)

"""Celery adapters: ids in, a service called, nothing confidential in arguments or results."""

from __future__ import annotations

from celery import shared_task

from retention import services


@shared_task(name="retention.run_daily", ignore_result=True)
def run_daily() -> None:
    """Open an appraisal for volumes past retention; requeue destruction runs whose worker died."""
    services.run_daily()


@shared_task(name="retention.execute_destruction_list", ignore_result=True, acks_late=True)
def execute_destruction_list(list_id: str) -> None:
    services.execute_destruction(list_id)


@shared_task(name="retention.resume_destruction_runs", ignore_result=True)
def resume_destruction_runs() -> None:
    """Requeue approved lists not yet running and runs whose worker died (their lease ran out)."""
    services.resume_runs()

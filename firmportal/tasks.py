from __future__ import annotations

from celery import shared_task

from firmportal import services


@shared_task(name="firmportal.tasks.heartbeat")
def heartbeat() -> None:
    services.record_heartbeat(component="worker")

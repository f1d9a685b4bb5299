"""Scheduled jobs of the access slice: adapters that call one service."""

from __future__ import annotations

from celery import shared_task

from confidentiality import access_services


@shared_task(name="confidentiality.tasks.expire_access")
def expire_access() -> None:
    access_services.expire_access()

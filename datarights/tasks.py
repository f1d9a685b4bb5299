"""Celery adapters: the request id in, a service called, nothing confidential in arguments or results."""

from __future__ import annotations

from celery import shared_task

from datarights import services


@shared_task(name="datarights.build_export_package", ignore_result=True, acks_late=True)
def build_export_package(request_id: str) -> None:
    services.build_package(request_id)


@shared_task(name="datarights.purge_expired_packages", ignore_result=True)
def purge_expired_packages() -> None:
    services.purge_expired_packages()

"""Beat jobs of the audit trail: adapters that call one function each."""

from __future__ import annotations

from celery import shared_task

from audit import alerts, sealing, services


@shared_task(name="audit.tasks.seal_audit_trail")
def seal_audit_trail() -> None:
    sealing.seal()


@shared_task(name="audit.tasks.verify_audit_trail")
def verify_audit_trail() -> None:
    services.verify_audit_trail(actor=None)


@shared_task(name="audit.tasks.evaluate_alerts")
def evaluate_alerts() -> None:
    alerts.evaluate()

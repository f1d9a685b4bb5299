"""/healthz reports the database, the broker and a real worker's heartbeat."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from firmportal.models import Heartbeat
from tests.workers import running_worker, wait_for


def test_health_is_degraded_without_a_worker(db: None) -> None:
    response = HttpClient().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "fail"}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_health_ok() -> None:
    from firmportal.celery import app

    with running_worker():
        app.send_task("firmportal.tasks.heartbeat")
        assert wait_for(lambda: Heartbeat.objects.filter(component="worker").exists(), timeout=60)
    response = HttpClient().get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"

from __future__ import annotations

from django.utils import timezone

from firmportal.models import Heartbeat


def record_heartbeat(*, component: str) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": timezone.now()})
    return heartbeat

"""Who is acting when there is no request: Celery tasks and management commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from auditlog.context import set_actor

from firmportal.logging import request_id_var


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute change-log entries made inside to `user`, under one fresh correlation id.

    Domain events still name their actor explicitly (`audit.record(actor=...)`); this covers the
    model diffs django-auditlog writes from signals.
    """
    token = request_id_var.set(request_id_var.get() if request_id_var.get() != "-" else uuid.uuid4().hex)
    try:
        with set_actor(user):
            yield
    finally:
        request_id_var.reset(token)

"""Notifications by e-mail, sent only after the transaction that caused them commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction


def mail_after_commit(*, subject: str, body: str, recipients: Iterable[str]) -> None:
    """Queue a plain notification for after the commit (never on rollback); blank addresses are dropped.

    The body says that something happened and where to look, never client data."""
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return
    subject, body = str(subject), str(body)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False))

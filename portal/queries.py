"""Reads of the portal slice: the current commitment, and the closed periods a client may see."""

from __future__ import annotations

from accounts.models import User
from clients.models import AccountingPeriod, Client, PeriodState
from portal.models import CommitmentAcknowledgement, CommitmentNotice


def current_notice() -> CommitmentNotice | None:
    """The published version with the highest number (None before the first is published)."""
    return CommitmentNotice.objects.filter(published_at__isnull=False).order_by("-version").first()


def has_acknowledged(user: User, notice: CommitmentNotice) -> bool:
    return CommitmentAcknowledgement.objects.filter(notice=notice, user=user).exists()


def needs_acknowledgement(user: User) -> CommitmentNotice | None:
    """The current version when this client user has not acknowledged it yet, else None."""
    notice = current_notice()
    if notice is None or not user.is_client_user or has_acknowledged(user, notice):
        return None
    return notice


def closed_periods(client: Client) -> list[AccountingPeriod]:
    """The client's closed periods, newest first: the only ones the portal reports on."""
    return list(AccountingPeriod.objects.filter(client=client, state=PeriodState.CLOSED).order_by("-year", "-month"))

"""Separation of duties: three people handle a voucher — 制单 (preparer), 审核 (reviewer) and
记账 (poster) — and nobody approves their own access request. The voucher services call
`check_separation` before each step."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _pk(user: Any) -> Any:
    return getattr(user, "pk", user)


def check_separation(*, preparer: Any = None, reviewer: Any = None, poster: Any = None) -> None:
    """Raise `ValidationError` unless preparer, reviewer and poster are three different people.

    Issue #4 asks for "preparer ≠ reviewer ≠ poster": the reviewer's check is only worth something
    if someone else then commits the voucher to the books, so the poster is neither the preparer
    nor the reviewer (a reviewer still posts, just not the vouchers they reviewed). Arguments are
    users or ids; steps not taken yet are passed as None and not compared.
    """
    if preparer is not None and reviewer is not None and _pk(preparer) == _pk(reviewer):
        raise ValidationError(_("You prepared this voucher, so someone else must review it."), code="sod_review")
    if poster is not None and preparer is not None and _pk(poster) == _pk(preparer):
        raise ValidationError(_("You prepared this voucher, so someone else must post it."), code="sod_post")
    if poster is not None and reviewer is not None and _pk(poster) == _pk(reviewer):
        raise ValidationError(_("You reviewed this voucher, so someone else must post it."), code="sod_post_review")


def check_not_own_request(*, approver: Any, requester: Any) -> None:
    if _pk(approver) == _pk(requester):
        raise ValidationError(_("You cannot decide on your own request."), code="self_approval")

"""Separation of duties: the person who prepares a voucher neither reviews nor posts it, and nobody
approves their own access request. The voucher services call `check_separation` before each step."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _pk(user: Any) -> Any:
    return getattr(user, "pk", user)


def check_separation(
    *, preparer: Any = None, reviewer: Any = None, poster: Any = None, reviewer_may_post: bool = True
) -> None:
    """Raise `ValidationError` unless preparer ≠ reviewer and preparer ≠ poster (users or ids).

    The product brief has the reviewer (审核) review *and* post, so reviewer = poster is allowed
    unless `reviewer_may_post=False` (a firm wanting 制单/审核/记账 all distinct). Steps not taken
    yet are passed as None and not compared.
    """
    if preparer is not None and reviewer is not None and _pk(preparer) == _pk(reviewer):
        raise ValidationError(_("You prepared this voucher, so someone else must review it."), code="sod_review")
    if poster is not None and preparer is not None and _pk(poster) == _pk(preparer):
        raise ValidationError(_("You prepared this voucher, so someone else must post it."), code="sod_post")
    if not reviewer_may_post and poster is not None and reviewer is not None and _pk(poster) == _pk(reviewer):
        raise ValidationError(_("You reviewed this voucher, so someone else must post it."), code="sod_post_review")


def check_not_own_request(*, approver: Any, requester: Any) -> None:
    if _pk(approver) == _pk(requester):
        raise ValidationError(_("You cannot decide on your own request."), code="self_approval")

"""Template filters of the books: amounts shown as 1,234.56 (blank for zero where asked)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def amount(value: Any, blank_zero: bool = False) -> str:
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if blank_zero and number == 0:
        return ""
    return f"{number:,.2f}"


@register.filter
def amount_or_blank(value: Any) -> str:
    return amount(value, True)


@register.filter
def absolute(value: Any) -> Any:
    return abs(value) if value is not None else value

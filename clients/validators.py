"""Validators for the firm's identifiers and amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015 统一社会信用代码: 18 characters from this 31-character set (no I, O, Z, S, V).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Amounts: at most 2 decimal places (fen) and below one trillion yuan in one line.
AMOUNT_DECIMAL_PLACES = 2
AMOUNT_MAX = Decimal("999999999999.99")


def normalise_credit_code(value: str) -> str:
    """Upper case, no spaces or hyphens: how people type it versus how it is stored."""
    return "".join(value.split()).replace("-", "").upper()


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code, from its first 17 (GB 32100-2015 §5)."""
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the normalised code, or raise ValidationError saying what is wrong with it."""
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s (the letters I, O, Z, S and V are never used)."),
            code="credit_code_charset",
            params={"chars": "".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the administrative region code (digits)."),
            code="credit_code_region",
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong: please check for a typing error."),
            code="credit_code_check",
        )
    return code


def parse_amount(value: object) -> Decimal:
    """An exact amount in yuan: at most two decimals, positive, below one trillion. Raises ValidationError."""
    if isinstance(value, float):
        # openpyxl gives floats for numeric cells; their repr is the shortest exact decimal of what was typed.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("“%(value)s” is not an amount."), code="amount_invalid", params={"value": value}
        ) from None
    if not amount.is_finite():
        raise ValidationError(_("“%(value)s” is not an amount."), code="amount_invalid", params={"value": value})
    if amount <= 0:
        raise ValidationError(_("Amounts must be greater than zero."), code="amount_not_positive")
    if amount > AMOUNT_MAX:
        raise ValidationError(
            _("This amount is too large (at most 999,999,999,999.99 per line)."), code="amount_too_large"
        )
    # Checked after the size, so quantize never meets a number beyond the context's precision.
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Amounts have at most two decimal places (fen)."), code="amount_decimals")
    return amount.quantize(Decimal("0.01"))

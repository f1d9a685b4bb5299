"""Validators for the firm's identifiers and amounts."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
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


# GB 11643-1999 公民身份号码: 17 digits (6 of region, 8 of birth date, 3 of sequence) and a check
# character over them, ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, the remainder maps to this string.
_ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_NUMBER_CHECK = "10X98765432"

# Bank card and account numbers (银行卡号/账号): digits only, between these lengths.
BANK_ACCOUNT_MIN_DIGITS = 8
BANK_ACCOUNT_MAX_DIGITS = 30


def id_number_check_character(first17: str) -> str:
    """The 18th character of a resident ID number, from its first 17 digits (GB 11643-1999)."""
    return _ID_NUMBER_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_NUMBER_WEIGHTS, strict=True)) % 11]


# A Chinese input method may type full-width digits and X (U+FF10 to U+FF19, U+FF38, U+FF58: each its
# ASCII character + 0xFEE0). Only these are made ASCII; not all of NFKC, which would also turn a
# superscript two into a 2.
_FULL_WIDTH = {ord(c) + 0xFEE0: c for c in "0123456789Xx"}


def _typed_digits(value: str) -> str:
    """What was typed, without spaces (the ideographic space too), full-width digits and X made ASCII."""
    return "".join((value or "").translate(_FULL_WIDTH).split())


def validate_id_number(value: str) -> str:
    """Return the 18-character resident ID number (居民身份证号), spaces removed and a lower-case x
    upper-cased, or raise ValidationError saying what is wrong with it."""
    number = _typed_digits(value).upper()
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(n)d."),
            code="id_number_length",
            params={"n": len(number)},
        )
    if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("A resident ID number has 17 digits followed by a digit or the letter X."),
            code="id_number_charset",
        )
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or not datetime.date(1900, 1, 1) <= birth <= timezone.localdate():
        raise ValidationError(
            _("Characters 7 to 14 of a resident ID number are the date of birth (YYYYMMDD); this is not a date."),
            code="id_number_birth_date",
        )
    if id_number_check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("The check character of this resident ID number is wrong: please check for a typing error."),
            code="id_number_check",
        )
    return number


def validate_bank_account(value: str) -> str:
    """Return the account number as digits only (spaces removed), or raise ValidationError."""
    number = _typed_digits(value)
    if not number.isascii() or not number.isdigit():
        raise ValidationError(
            _("A bank account number has digits only (spaces are allowed between them)."),
            code="bank_account_charset",
        )
    if not BANK_ACCOUNT_MIN_DIGITS <= len(number) <= BANK_ACCOUNT_MAX_DIGITS:
        raise ValidationError(
            _("A bank account number has %(min)d to %(max)d digits; this one has %(n)d."),
            code="bank_account_length",
            params={"min": BANK_ACCOUNT_MIN_DIGITS, "max": BANK_ACCOUNT_MAX_DIGITS, "n": len(number)},
        )
    return number

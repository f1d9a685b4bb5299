"""统一社会信用代码 (GB 32100-2015) and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clients.validators import credit_code_check_character, parse_amount, validate_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000710935732K"])
def test_valid_codes_pass(code: str) -> None:
    assert validate_credit_code(code) == code


def test_typing_noise_is_normalised() -> None:
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("913501-00M0001 00Y43") == "91350100M000100Y43"


def test_check_character_is_computed_per_the_standard() -> None:
    assert credit_code_check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "credit_code_check"),  # one wrong check character
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("91350100M00O100Y43", "credit_code_charset"),  # letter O is never used
        ("913501A0M000100Y43", "credit_code_region"),
        ("", "credit_code_length"),
    ],
)
def test_invalid_codes_say_why(code: str, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == error


def test_swapped_digits_are_caught() -> None:
    with pytest.raises(ValidationError):
        validate_credit_code("93150100M000100Y43")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", Decimal("12.50")),
        ("1,234.56", Decimal("1234.56")),
        ("0.01", Decimal("0.01")),
        ("3.10", Decimal("3.10")),
    ],
)
def test_amounts_parse_exactly(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


def test_float_cells_from_spreadsheets_parse_exactly() -> None:
    assert parse_amount(0.1) == Decimal("0.10")
    assert parse_amount(1234.56) == Decimal("1234.56")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.001", "amount_decimals"),
        ("abc", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("0", "amount_not_positive"),
        ("-5", "amount_not_positive"),
        ("1000000000000", "amount_too_large"),
        ("9" * 400, "amount_too_large"),
        ("1e400", "amount_too_large"),
        ("99999999999999999999999999999.001", "amount_too_large"),
    ],
)
def test_bad_amounts_are_refused(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_amount(text)
    assert caught.value.code == code

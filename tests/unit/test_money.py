from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core.errors import UsageError
from studio.core.money import (
    Money,
    format_money,
    normalize_currency,
    normalize_locale,
    parse_amount,
    parse_price_with_currency,
)

NBSP = "\u00a0"


def test_display_follows_locale():
    assert format_money(Decimal("89"), "EUR", "fr_FR") == f"89,00{NBSP}€"
    assert format_money(Decimal("89"), "USD", "en_US") == "$89.00"
    assert format_money(Decimal("1299.5"), "USD", "en_US") == "$1,299.50"
    # JPY has no minor unit
    assert Money(Decimal("1300"), "JPY").plain() == "1300"


def test_money_refuses_floats_and_bad_codes():
    with pytest.raises(TypeError):
        Money(89.0, "EUR")  # type: ignore[arg-type]
    with pytest.raises(UsageError) as err:
        Money(Decimal(1), "EURO")
    assert "ISO 4217" in str(err.value)


def test_normalizers():
    assert normalize_currency(" eur ") == "EUR"
    assert normalize_locale("fr-FR") == "fr_FR"
    with pytest.raises(UsageError):
        normalize_locale("xx_NOPE")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("89", "89"),
        ("89.00", "89.00"),
        ("1,299.50", "1299.50"),
        ("89,5", "89.5"),
        (" 12 ", "12"),
        ("1,299", "1299"),
    ],
)
def test_parse_amount(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "12.3.4", "-5", "1e5", "NaN", "Infinity"])
def test_parse_amount_rejects(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_parse_price_with_currency():
    assert parse_price_with_currency("12.99 USD") == (Decimal("12.99"), "USD")
    assert parse_price_with_currency("EUR 5") == (Decimal("5"), "EUR")
    for bad in ["12.99", "12.99 DOLLARS", "12.99 XXY", "USD"]:
        with pytest.raises(ValueError):
            parse_price_with_currency(bad)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_plain_round_trips(amount):
    assert parse_amount(Money(amount, "USD").plain()) == amount

"""Money: `Decimal` amounts with ISO 4217 codes, parsed strictly and displayed through Babel.

Never floats: 0.1 + 0.2 must not end up on a price label. Display text comes from CLDR via
Babel so `fr_FR`/EUR reads `89,00 €` and `en_US`/USD reads `$89.00` without hand-written rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from studio.core.errors import UsageError


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code.upper() in _known_currencies() and len(code) == 3


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code or raise a UsageError that says what is accepted."""
    value = (code or "").strip().upper()
    if not is_currency(value):
        raise UsageError(
            f"'{code}' is not an ISO 4217 currency code",
            hint="use a three-letter code such as EUR, USD, GBP or JPY",
        )
    return value


def normalize_locale(name: str) -> str:
    """Validate a locale identifier like `fr_FR` or `en-US`; return Babel's canonical `fr_FR`."""
    try:
        return str(Locale.parse((name or "").replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UsageError(
            f"'{name}' is not a known locale", hint="use a locale such as en_US, fr_FR or ja_JP"
        ) from exc


_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_amount(text: str) -> Decimal:
    """Parse a plain decimal like `89`, `89.00`, `1,299.50` (thousands commas) into a Decimal.

    Raises ValueError with a readable message; importers turn it into a per-row problem.
    """
    raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if raw.count(",") and "." in raw:
        raw = raw.replace(",", "")  # 1,299.50
    elif raw.count(",") == 1 and "." not in raw and len(raw.split(",")[1]) in (1, 2):
        raw = raw.replace(",", ".")  # 89,5 or 89,00 (decimal comma)
    elif raw.count(","):
        raw = raw.replace(",", "")  # 1,299
    if not _AMOUNT.match(raw):
        raise ValueError(f"'{text}' is not a number")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - regex already guards
        raise ValueError(f"'{text}' is not a number") from exc
    if value < 0:
        raise ValueError(f"'{text}' is negative")
    return value


_PRICE_WITH_CODE = re.compile(
    r"^\s*([0-9][0-9.,\s]*)\s*([A-Za-z]{3})\s*$|^\s*([A-Za-z]{3})\s*([0-9][0-9.,\s]*)\s*$"
)


def parse_price_with_currency(text: str) -> tuple[Decimal, str]:
    """Parse feed prices such as `12.99 USD` (Meta, Pinterest, Google) or `USD 12.99`."""
    m = _PRICE_WITH_CODE.match(text or "")
    if not m:
        raise ValueError(f"'{text}' is not a price with a currency code (expected e.g. '12.99 USD')")
    amount, code = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    code = code.upper()
    if not is_currency(code):
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return parse_amount(amount), code


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic across currencies is a bug, so it is refused."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal, never a float")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    def quantized(self) -> Decimal:
        """The amount rounded to the currency's minor unit (2 for EUR, 0 for JPY)."""
        digits = get_currency_precision(self.currency)
        return self.amount.quantize(Decimal(1).scaleb(-digits))

    def plain(self) -> str:
        """`89.00` — machine text for feeds and JSON (no symbol, dot decimal)."""
        return format(self.quantized(), "f")

    def format(self, locale: str = "en_US") -> str:
        """Human text for labels and lists, e.g. `89,00 €` for fr_FR."""
        return format_money(self.amount, self.currency, locale)


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Format an amount for display in a locale; the single place display prices come from."""
    return format_currency(amount, normalize_currency(currency), locale=locale.replace("-", "_"))

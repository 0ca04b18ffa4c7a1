"""Money cells to 万元 (the template's unit): `68000元` -> 6.8, `6.8万元` -> 6.8, `63.2` -> 63.2 (assumed)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .digits import clean_value

MONEY = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(万元|万|元)?")
DECIMALS = 6  # keep full precision of 元 amounts; round only float noise


@dataclass
class Money:
    """A money cell read as 万元; ``note`` says what was done; ``assumed``: no unit anywhere."""
    wan: float
    note: str | None = None
    assumed: bool = False


def money_to_wan(raw: str, *, header_says_wan: bool = False) -> Money | None:
    """Read a money cell as 万元.

    :param raw: the cell text (`68000元`, `6.8万元`, `63.2`, `1,234.5`).
    :param header_says_wan: the column header states the unit (本年收费金额（单位：万元）).
    :returns: None when the text is not an amount.
    """
    m = MONEY.fullmatch(clean_value(raw).lstrip("¥$").strip())
    if not m:
        return None
    amount = Decimal(m.group(1))
    unit = m.group(2)
    if unit == "元":
        return Money(round(float(amount / Decimal(10000)), DECIMALS), "converted from 元")
    if unit in ("万元", "万"):
        return Money(round(float(amount), DECIMALS))
    if header_says_wan or amount == 0:  # a zero needs no unit
        return Money(round(float(amount), DECIMALS))
    return Money(round(float(amount), DECIMALS), "unit assumed 万元", assumed=True)

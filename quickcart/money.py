"""Integer rupiah: the QRIS fee, display, and parsing what people type."""
from __future__ import annotations

import re


def qris_fee(amount: int, percent_bp: int, flat: int) -> int:
    """The fee the customer pays for a QRIS payment of ``amount``.

    ``percent_bp`` is in basis points (70 = 0.7 %); the percentage part is
    rounded down, as in ``amount * 0.007`` truncated, then ``flat`` is added.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    return amount * percent_bp // 10_000 + flat


def format_rupiah(amount: int) -> str:
    """``50000`` → ``Rp50.000`` (Indonesian thousands separator)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


_AMOUNT_RE = re.compile(
    r"""^(?:rp\.?\s*)?                       # optional Rp / Rp.
        (?P<number>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)  # 50.000 or 50000
        \s*(?P<suffix>rb|ribu|k|jt|juta)?$   # 50rb, 50k, 1jt
    """, re.IGNORECASE | re.VERBOSE | re.ASCII)

_SUFFIX = {None: 1, "rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}


def parse_rupiah(text: str) -> int:
    """Parse an amount a customer typed: ``50000``, ``50.000``, ``Rp 50.000``, ``50rb``, ``1jt``.

    Raises ``ValueError`` for anything else: decimals (``50,5``), negatives,
    words, empty text. ``.`` is the Indonesian thousands separator, so it is
    only accepted in groups of three digits.
    """
    cleaned = text.strip().replace(" ", "")
    match = _AMOUNT_RE.match(cleaned)
    if not match or len(cleaned) > 20:
        raise ValueError(f"not an amount: {text!r}")
    number = int(match.group("number").replace(".", ""))
    suffix = match.group("suffix")
    return number * _SUFFIX[suffix.lower() if suffix else None]

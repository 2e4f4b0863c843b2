"""The syntax of the promo code commands: pure parsing, like :mod:`quickcart.admin_syntax` (whose pieces it uses).

- ``/addpromo KODE | percent|fixed | nilai | opsi`` — the options are
  ``key=value`` pairs (:data:`OPTION_FIELDS`), separated by spaces (or
  ``|``); a value may hold spaces (a date-time).
- ``/editpromo KODE key=value ...`` — the same keys, and ``value``, ``type``
  and ``active``; ``off`` clears an option.
- ``/disablepromo KODE``.

Dates are Asia/Jakarta: ``2026-12-01`` or ``2026-12-01 18:00``. A start date
starts at 00:00 of that day; an end date runs to the end of that day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from quickcart.admin_syntax import OFF, PRODUCT_ID, Term, UsageError, parse_edit_pairs, parse_id, parse_price
from quickcart.promotions import CODE, KINDS, normal_code
from quickcart.timeutil import JAKARTA

# What admins may type for each option (any case).
OPTION_FIELDS: dict[str, str] = {
    "min": "min_spend", "minimal": "min_spend",
    "max": "max_discount", "maks": "max_discount",
    "product": "product", "produk": "product",
    "category": "category", "kategori": "category",
    "quota": "quota", "kuota": "quota",
    "per_user": "per_user", "per_pelanggan": "per_user",
    "start": "starts_at", "mulai": "starts_at",
    "end": "ends_at", "sampai": "ends_at",
    "resellers": "resellers", "reseller": "resellers",
}
EDIT_FIELDS: dict[str, str] = {
    **OPTION_FIELDS,
    "value": "value", "nilai": "value",
    "type": "kind", "tipe": "kind",
    "active": "active", "aktif": "active",
}
KIND_WORDS = {"percent": "percent", "persen": "percent", "%": "percent", "fixed": "fixed", "nominal": "fixed"}
YES = ("yes", "ya", "on")
NO = ("no", "tidak", "off")

MIN_SPEND = Term("admin.what.min_spend")
MAX_DISCOUNT = Term("admin.what.max_discount")
QUOTA = Term("admin.what.quota")
PER_USER = Term("admin.what.per_user")
PROMO_VALUE = Term("admin.what.promo_value")
STARTS = Term("admin.what.starts")
ENDS = Term("admin.what.ends")
_MOMENT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{1,2})[:.]([0-9]{2}))?")


@dataclass(frozen=True)
class NewPromo:
    code: str
    kind: str
    value: int
    options: dict


def parse_code(command: str, text: str) -> str:
    code = normal_code(text)
    if not CODE.fullmatch(code):
        raise UsageError(command, "admin.reason.promo_code", typed=text.strip()[:40])
    return code


def parse_kind(command: str, text: str) -> str:
    kind = KIND_WORDS.get(text.strip().lower())
    if kind is None:
        raise UsageError(command, "admin.reason.promo_kind", typed=text.strip()[:20], kinds="|".join(KINDS))
    return kind


def parse_value(command: str, text: str) -> int:
    """A percent (``10``, ``10%``) or rupiah (``5000``, ``5rb``): a positive whole number; the kind decides which."""
    return parse_price(command, text.strip().removesuffix("%"), PROMO_VALUE)


def parse_moment(command: str, text: str, what: Term, end: bool) -> datetime:
    """A Jakarta date or date-time as naive UTC; an end date alone means the end of that day."""
    match = _MOMENT.fullmatch(text.strip())
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))  # type: ignore[union-attr]
        hour, minute = (int(match.group(4)), int(match.group(5))) if match.group(4) else (0, 0)
        moment = datetime.combine(day, time(hour, minute), JAKARTA)
    except (AttributeError, ValueError):
        raise UsageError(command, "admin.reason.promo_date", what=what, typed=text.strip()[:30]) from None
    if end and not match.group(4):
        moment += timedelta(days=1)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def parse_switch_word(command: str, text: str, field: str) -> bool:
    word = text.strip().lower()
    if word not in YES + NO:
        raise UsageError(command, "admin.reason.promo_yes_no", field=field, typed=text.strip()[:20])
    return word in YES


def _option(command: str, field: str, raw: str) -> object:
    """One option's value (None: cleared with ``off``)."""
    text = raw.strip()
    if field in ("resellers", "active"):
        return parse_switch_word(command, text, field)
    if field == "kind":
        return parse_kind(command, text)
    if field == "value":
        return parse_value(command, text)
    if text.lower() == OFF:
        return None
    if field == "min_spend":
        return parse_price(command, text, MIN_SPEND)
    if field == "max_discount":
        return parse_price(command, text, MAX_DISCOUNT)
    if field == "product":
        return parse_id(command, text, PRODUCT_ID)
    if field in ("quota", "per_user"):
        return parse_id(command, text, QUOTA if field == "quota" else PER_USER)
    if field in ("starts_at", "ends_at"):
        return parse_moment(command, text, STARTS if field == "starts_at" else ENDS, end=field == "ends_at")
    if not text or "\n" in text:
        raise UsageError(command, "admin.reason.category_one_line")
    return text


def _options(command: str, text: str, fields: dict[str, str]) -> dict:
    pairs = parse_edit_pairs(text.replace("|", " "), command, fields)
    return {field: _option(command, field, raw) for field, raw in pairs.items()}


def parse_add_promo(argument: str) -> NewPromo:
    """``KODE | percent|fixed | nilai | opsi``."""
    parts = [part.strip() for part in argument.split("|", 3)]
    if len(parts) < 3:
        raise UsageError("addpromo", "admin.reason.promo_parts")
    options = _options("addpromo", parts[3], OPTION_FIELDS) if len(parts) == 4 and parts[3] else {}
    return NewPromo(code=parse_code("addpromo", parts[0]), kind=parse_kind("addpromo", parts[1]),
                    value=parse_value("addpromo", parts[2]), options=options)


def parse_edit_promo(argument: str) -> tuple[str, dict]:
    """``KODE key=value ...``."""
    words = argument.strip().split(maxsplit=1)
    if not words:
        raise UsageError("editpromo")
    return parse_code("editpromo", words[0]), _options("editpromo", words[1] if len(words) > 1 else "", EDIT_FIELDS)


def parse_promo_code(command: str, argument: str) -> str:
    """``KODE`` and nothing else."""
    words = argument.split()
    if len(words) != 1:
        raise UsageError(command)
    return parse_code(command, words[0])

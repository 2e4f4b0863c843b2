"""The fields a buyer of a manual product gives (a game ID, a server), checked with the admin's patterns.

An admin declares them with ``/setfields <id> Label[:pattern] | Label[:pattern]``
(:func:`parse_spec`): fields are separated by a ``|`` with spaces around it, so a
pattern may still use ``|`` for alternatives. Each pattern is compiled when it
is saved, and refused when it could make matching slow: Python's ``re`` has no
time limit, and a pattern such as ``(a+)+$`` backtracks for ever on a few dozen
characters. So patterns are short, may not nest a repetition (or a choice of
alternatives) inside another repetition, may not refer back to a group, and
hold at most :data:`MAX_REPEATS` repetitions; and a buyer's value is at most
:data:`MAX_VALUE` characters. Within those bounds the slowest match is
polynomial in a short input: milliseconds.

A value must match its whole pattern (``fullmatch``); a field without a
pattern takes any single line. The values are kept with the order
(:class:`~quickcart.models.BuyerFieldValue`), in the order the fields were asked.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

try:  # the parser behind re.compile: the one place that sees a pattern's structure
    from re import _constants as sre_constants
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - Python before 3.11
    import sre_constants  # type: ignore[no-redef]
    import sre_parse as sre_parser  # type: ignore[no-redef]

from quickcart.catalogue import ProductError
from quickcart.models import BuyerFieldValue, Order

MAX_FIELDS = 5
MAX_LABEL = 40
MAX_PATTERN = 100
MAX_VALUE = 64
MAX_REPEATS = 3
_SEPARATOR = re.compile(r"\s+\|\s+")
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_REPEATS |= {sre_constants.POSSESSIVE_REPEAT} if hasattr(sre_constants, "POSSESSIVE_REPEAT") else set()
_BACK_REFERENCES = {sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS}


@dataclass(frozen=True)
class Field:
    label: str
    pattern: str | None = None

    def accepts(self, value: str) -> bool:
        if not value or len(value) > MAX_VALUE or "\n" in value:
            return False
        return self.pattern is None or re.fullmatch(self.pattern, value) is not None


def parse_spec(text: str) -> list[Field]:
    """``ID Game:^\\d{5,12}$ | Server:^\\d{1,5}$`` → the fields, each pattern checked and compiled.

    Raises :class:`~quickcart.catalogue.ProductError` saying what cannot be used.
    """
    parts = [part.strip() for part in _SEPARATOR.split(text.strip())]
    if not text.strip() or not all(parts):
        raise ProductError("admin.reason.fields_empty")
    if len(parts) > MAX_FIELDS:
        raise ProductError("admin.reason.fields_too_many", limit=MAX_FIELDS)
    fields = []
    for part in parts:
        label, colon, pattern = part.partition(":")
        label, pattern = label.strip(), pattern.strip()
        if not label or len(label) > MAX_LABEL or "\n" in label or "|" in label:
            raise ProductError("admin.reason.field_label", limit=MAX_LABEL)
        if colon and not pattern:
            raise ProductError("admin.reason.pattern_empty", label=label)
        if pattern:
            check_pattern(label, pattern)
        fields.append(Field(label, pattern or None))
    if len({field.label.lower() for field in fields}) != len(fields):
        raise ProductError("admin.reason.field_twice_named")
    return fields


def check_pattern(label: str, pattern: str) -> None:
    """Refuse a pattern that does not compile, is long, or could backtrack for long."""
    if len(pattern) > MAX_PATTERN:
        raise ProductError("admin.reason.pattern_too_long", label=label, limit=MAX_PATTERN)
    try:
        re.compile(pattern)
        parsed = sre_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        raise ProductError("admin.reason.pattern_invalid", label=label) from None
    try:
        risky = _repeats(parsed, inside_repeat=False) > MAX_REPEATS
    except _Nested:
        risky = True
    if risky:
        raise ProductError("admin.reason.pattern_risky", label=label)


class _Nested(Exception):
    """A repetition (or a choice, or a back reference) where backtracking can explode."""


def _repeats(items, inside_repeat: bool) -> int:
    """How many repetitions ``items`` holds; :class:`_Nested` when one is nested in another."""
    count = 0
    for op, argument in items:
        if op in _REPEATS:
            low, high, inner = argument
            repeated = high > 1
            if repeated and inside_repeat:
                raise _Nested()
            count += int(repeated) + _repeats(inner, inside_repeat or repeated)
        elif op == sre_constants.SUBPATTERN:
            count += _repeats(argument[-1], inside_repeat)
        elif op == sre_constants.BRANCH:
            if inside_repeat:
                raise _Nested()
            count += sum(_repeats(branch, inside_repeat) for branch in argument[1])
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            count += _repeats(argument[1], inside_repeat)
        elif op in _BACK_REFERENCES:
            raise _Nested()
    return count


def dump(fields: list[Field]) -> str:
    return json.dumps([{"label": field.label, "pattern": field.pattern} for field in fields], ensure_ascii=False)


def load(spec: str | None) -> list[Field]:
    """The fields of a product (``Product.fields_spec``); none when it asks for none."""
    if not spec:
        return []
    return [Field(item["label"], item.get("pattern")) for item in json.loads(spec)]


def all_accepted(fields: list[Field], values: list[str]) -> bool:
    """The values are one per field, in order, and each is accepted (checked again at checkout)."""
    return len(values) == len(fields) and all(field.accepts(value) for field, value in zip(fields, values, strict=True))


def save(order: Order, fields: list[Field], values: list[str]) -> None:
    """Keep the buyer's values with the order (inside the order's transaction)."""
    BuyerFieldValue.insert_many([
        {"order": order.id, "position": position, "label": field.label, "value": value}
        for position, (field, value) in enumerate(zip(fields, values, strict=True))]).execute()


def values_of(order: Order) -> list[tuple[str, str]]:
    """(label, value) the buyer gave for ``order``, in the order they were asked."""
    return list(BuyerFieldValue.select(BuyerFieldValue.label, BuyerFieldValue.value)
                .where(BuyerFieldValue.order == order.id).order_by(BuyerFieldValue.position).tuples())

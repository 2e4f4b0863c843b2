"""The syntax of the admin commands: pure parsing, no database, no Telegram.

Every parser takes the text an admin typed and returns plain values, or
raises :class:`UsageError` naming the command and, by catalogue key, what is
wrong, so the handler can answer with that command's syntax and an example
(``admin_views.usage``) and change nothing.

The forms, as the ``/admin`` help shows them:

- ``/addproduct Nama | Kategori | harga_customer | harga_reseller | deskripsi``
  — ``|`` between fields; the description is optional and may contain ``|``
  and further lines.
- ``/editproduct <id> field=nilai ...`` — see :func:`parse_edit_pairs`.
- ``/addstock <id>`` with the items on the following lines.
- Prices and amounts are whole rupiah: ``50000``, ``50.000``, ``Rp50.000``,
  ``50rb``; never decimals. A product's price may be 0 (a free item, which
  the catalogue allows for unlimited products only); an amount never.
  ``/addbalance`` takes a sign.
- ``/setcontent <id>`` with the text on the following lines, ``/setfields
  <id> Label[:pattern] | ...``; ``-`` instead removes what was set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from quickcart.money import parse_rupiah
from quickcart.timeutil import DayRange

MAX_ORDERS_LISTED = 50
DEFAULT_ORDERS_LISTED = 10
MAX_NOTE = 500

ROLES = ("customer", "reseller")

# /editproduct field names and the aliases admins may type for them.
EDIT_FIELDS: dict[str, str] = {
    "name": "name", "nama": "name",
    "category": "category", "kategori": "category",
    "customer_price": "customer_price", "price": "customer_price", "harga": "customer_price",
    "reseller_price": "reseller_price", "reseller": "reseller_price", "harga_reseller": "reseller_price",
    "description": "description", "desc": "description", "deskripsi": "description",
    "sort": "sort_order", "urutan": "sort_order",
    "terms": "terms", "snk": "terms",
    "name_en": "name_en", "nama_en": "name_en",
    "description_en": "description_en", "desc_en": "description_en", "deskripsi_en": "description_en",
    "terms_en": "terms_en", "snk_en": "terms_en",
    "kind": "kind", "jenis": "kind",
    "warranty_days": "warranty_days", "garansi": "warranty_days",
    "max_quantity": "max_quantity", "maks": "max_quantity",
}
COUNT_FIELDS = ("warranty_days", "max_quantity")
PRICE_FIELDS = ("customer_price", "reseller_price")
# /editcat field names, likewise.
CATEGORY_FIELDS: dict[str, str] = {"name_en": "name_en", "nama_en": "name_en"}
MAX_LINE_IDS = 100
OFF = "off"
RESET = "reset"

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?=\s|$)")
# A field name at the start of a pair: "name=" (case-insensitive).
_KEY = re.compile(r"([A-Za-z_]+)=")


@cache
def _next_key(names: tuple[str, ...]) -> re.Pattern:
    """Where an unquoted value ends: whitespace, then one of the field ``names`` and "="."""
    return re.compile(r"\s+(?:" + "|".join(sorted(names, key=len, reverse=True)) + r")=", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """A word from the catalogue inside a reason ("harga reseller"), said in the admin's language."""
    key: str


class UsageError(ValueError):
    """A command that does not follow its syntax.

    ``reason`` is the catalogue key of what is wrong (empty: just the wrong
    format) and ``values`` fill it; a :class:`Term` value is itself a key.
    """

    def __init__(self, command: str, reason: str = "", **values: object):
        super().__init__(reason or command)
        self.command = command
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class CommandText:
    """A command message split up: ``/addstock 5`` + the lines below it."""
    name: str  # lower case, without the slash and any @botname
    args: str  # the rest of the first line
    body: str  # everything after the first line

    @property
    def argument(self) -> str:
        """Everything after the command: the first line's rest and the lines below."""
        return "\n".join(part for part in (self.args, self.body) if part).strip()


def split_command(text: str | None) -> CommandText | None:
    """``"/addstock@bot 5\\na\\nb"`` → ``CommandText("addstock", "5", "a\\nb")``; None if not a command."""
    if not text:
        return None
    match = _COMMAND.match(text)
    if match is None:
        return None
    first, _, body = text.partition("\n")
    return CommandText(name=match.group(1).lower(), args=first[match.end():].strip(), body=body.strip("\r\n"))


def command_name(text: str | None) -> str | None:
    parsed = split_command(text)
    return parsed.name if parsed else None


# --- values ------------------------------------------------------------------

PRODUCT_ID = Term("admin.what.product_id")
AMOUNT = Term("admin.what.amount")
PRICE = Term("admin.what.price")
CUSTOMER_PRICE = Term("admin.what.customer_price")
RESELLER_PRICE = Term("admin.what.reseller_price")
SORT = Term("admin.what.sort")
LINE_ID = Term("admin.what.line_id")
PAGE = Term("admin.what.page")


def parse_id(command: str, token: str, what: Term | str = PRODUCT_ID) -> int:
    """A positive whole number, optionally written ``#12``."""
    cleaned = token.strip().removeprefix("#")
    if not cleaned.isascii() or not cleaned.isdigit() or int(cleaned) <= 0 or len(cleaned) > 18:
        raise UsageError(command, "admin.reason.not_a_number", what=what, typed=token.strip())
    return int(cleaned)


def parse_price(command: str, text: str, what: Term | str = PRICE, free: bool = False) -> int:
    """A positive whole rupiah amount (or 0 when ``free`` is allowed); ``what`` names it in a refusal."""
    cleaned = text.strip()
    if free and cleaned in ("0", "Rp0"):
        return 0
    try:
        amount = parse_rupiah(text)
    except ValueError:
        raise UsageError(command, "admin.reason.not_whole_rupiah", what=what, typed=cleaned) from None
    if amount <= 0:
        raise UsageError(command, "admin.reason.not_positive", what=what)
    return amount


def parse_count(command: str, text: str, what: str) -> int:
    """A whole number of 0 or more (days, units)."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 6:
        raise UsageError(command, "admin.reason.not_a_number", what=what, typed=cleaned)
    return int(cleaned)


def parse_signed_amount(command: str, text: str) -> int:
    """A non-zero whole rupiah amount with an optional ``+``/``-`` sign."""
    cleaned = text.strip()
    sign = -1 if cleaned.startswith(("-", "−")) else 1
    unsigned = cleaned.lstrip("+-−").strip()
    return sign * parse_price(command, unsigned, AMOUNT)


def _words(command: str, args: str, minimum: int, maximum: int | None) -> list[str]:
    words = args.split()
    if len(words) < minimum or (maximum is not None and len(words) > maximum):
        raise UsageError(command)
    return words


# --- commands ----------------------------------------------------------------

@dataclass(frozen=True)
class NewProduct:
    name: str
    category: str
    customer_price: int
    reseller_price: int
    description: str


def parse_add_product(argument: str) -> NewProduct:
    """``Nama | Kategori | harga_customer | harga_reseller | deskripsi`` (description optional)."""
    parts = [part.strip() for part in argument.split("|", 4)]
    if len(parts) < 4:
        raise UsageError("addproduct", "admin.reason.too_few_parts")
    name, category, customer, reseller = parts[:4]
    description = parts[4] if len(parts) == 5 else ""
    if not name or "\n" in name:
        raise UsageError("addproduct", "admin.reason.name_one_line")
    if not category or "\n" in category:
        raise UsageError("addproduct", "admin.reason.category_one_line")
    return NewProduct(name=name, category=category,
                      customer_price=parse_price("addproduct", customer, CUSTOMER_PRICE, free=True),
                      reseller_price=parse_price("addproduct", reseller, RESELLER_PRICE, free=True),
                      description=description)


def parse_edit_pairs(text: str, command: str = "editproduct",
                     fields: dict[str, str] = EDIT_FIELDS) -> dict[str, object]:
    """``name=Netflix 1 Bulan price=55000`` → ``{"name": "Netflix 1 Bulan", "customer_price": 55000}``.

    The syntax:

    - pairs are ``field=nilai``, the field one of ``fields`` (:data:`EDIT_FIELDS`
      for ``/editproduct``, :data:`CATEGORY_FIELDS` for ``/editcat``; any case);
    - an unquoted value runs up to the next `` field=`` of a known field, or
      the end, so it may contain spaces, ``=`` and ``|``;
    - a value in double quotes (``name="a price=b"``) runs to the closing
      quote, for a value that itself contains `` field=``; ``""`` inside the
      quotes is a literal quote;
    - a field may appear once; prices are whole rupiah.
    """
    changes: dict[str, object] = {}
    position = 0
    text = text.strip()
    if not text:
        raise UsageError(command, "admin.reason.no_pairs")
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        match = _KEY.match(text, position)
        if match is None:
            raise UsageError(command, "admin.reason.expected_pair", typed=text[position:position + 20])
        key = match.group(1).lower()
        if key not in fields:
            raise UsageError(command, "admin.reason.unknown_field", field=match.group(1))
        field_name = fields[key]
        if field_name in changes:
            raise UsageError(command, "admin.reason.field_twice", field=field_name)
        position = match.end()
        if text.startswith('"', position):
            value, position = _quoted(command, text, position)
        else:
            following = _next_key(tuple(fields)).search(text, position)
            end = following.start() if following else len(text)
            value, position = text[position:end].strip(), end
        if field_name in PRICE_FIELDS:
            changes[field_name] = parse_price(command, value, field_name, free=True)
        elif field_name == "sort_order":
            changes[field_name] = parse_sort(command, value)
        elif field_name in COUNT_FIELDS:
            changes[field_name] = parse_count(command, value, field_name)
        elif field_name == "kind":
            changes[field_name] = value.lower()
        else:
            changes[field_name] = value
    return changes


def _quoted(command: str, text: str, position: int) -> tuple[str, int]:
    """The value of a quoted field starting at the ``"`` at ``position``; and where it ends."""
    value: list[str] = []
    index = position + 1
    while index < len(text):
        char = text[index]
        if char == '"':
            if text.startswith('""', index):
                value.append('"')
                index += 2
                continue
            index += 1
            if index < len(text) and not text[index].isspace():
                raise UsageError(command, "admin.reason.space_after_quote")
            return "".join(value), index
        value.append(char)
        index += 1
    raise UsageError(command, "admin.reason.quote_not_closed")


def parse_edit_product(argument: str) -> tuple[int, dict[str, object]]:
    """``<id> field=nilai ...``."""
    words = argument.strip().split(maxsplit=1)
    if not words:
        raise UsageError("editproduct")
    product_id = parse_id("editproduct", words[0])
    return product_id, parse_edit_pairs(words[1] if len(words) > 1 else "")


def parse_sort(command: str, text: str) -> int:
    """A sort position: a whole number, 0 or more (lower first)."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 9:
        raise UsageError(command, "admin.reason.not_a_number", what=SORT, typed=cleaned)
    return int(cleaned)


def parse_edit_category(argument: str) -> tuple[str, dict[str, object]]:
    """``<kategori> name_en=nilai``: the category as customers see it now (it may hold spaces)."""
    text = " " + argument.strip()
    found = _next_key(tuple(CATEGORY_FIELDS)).search(text)
    category = text[:found.start()].strip() if found else ""
    if not category:
        raise UsageError("editcat")
    return category, parse_edit_pairs(text[found.start():], "editcat", CATEGORY_FIELDS)


def parse_set_file(args: str, with_file: bool) -> int:
    """``<id>`` as a file's caption, or ``<id> off`` as a message (removes the file): the product's id."""
    words = _words("setfile", args, 1, 2)
    product_id = parse_id("setfile", words[0])
    if (with_file and len(words) == 1) or (not with_file and len(words) == 2 and words[1].lower() == OFF):
        return product_id
    raise UsageError("setfile", "admin.reason.no_file")


def parse_product_id(command: str, args: str) -> int:
    """``<id>`` and nothing else (``/enable``, ``/disable``, ``/stock``)."""
    return parse_id(command, _words(command, args, 1, 1)[0])


def parse_add_stock_head(args: str) -> tuple[int, str]:
    """The first line of ``/addstock <id> [item]``: the product, and an item typed on the same line.

    ``/addstock 7 akun:pw`` is product 7 with the item ``akun:pw`` (the rest
    of the line, spaces and all); more items may follow on the next lines.
    """
    words = args.strip().split(maxsplit=1)
    if not words:
        raise UsageError("addstock")
    return parse_id("addstock", words[0]), words[1].strip() if len(words) > 1 else ""


@dataclass(frozen=True)
class UserTarget:
    """Who a user command is about, as typed: an id, ``@username`` or ``USR001``."""
    query: str
    rest: str  # what follows it


def parse_user_target(command: str, argument: str, rest_required: bool = False) -> UserTarget:
    words = argument.strip().split(maxsplit=1)
    if not words or (rest_required and len(words) < 2):
        raise UsageError(command)
    return UserTarget(query=words[0], rest=words[1].strip() if len(words) > 1 else "")


def parse_ban(argument: str) -> tuple[str, str]:
    """``<id> [alasan]``."""
    target = parse_user_target("ban", argument)
    return target.query, target.rest[:MAX_NOTE]


def parse_set_role(argument: str) -> tuple[str, str]:
    """``<id> customer|reseller``."""
    words = _words("setrole", argument, 2, 2)
    role = words[1].lower()
    if role not in ROLES:
        raise UsageError("setrole", "admin.reason.role", typed=words[1])
    return words[0], role


SILENT = "silent"


@dataclass(frozen=True)
class BalanceChange:
    query: str  # who, as typed
    amount: int  # negative takes from the balance
    note: str
    silent: bool  # the customer is not told


def parse_add_balance(argument: str) -> BalanceChange:
    """``<id> <jumlah> [silent] [catatan]``; the amount may be negative to correct a mistake.

    The customer is told of the change unless the word ``silent`` comes
    right after the amount (``/addbalance 123 5000 silent bonus``); anywhere
    else it is just part of the note.
    """
    words = argument.strip().split(maxsplit=2)
    if len(words) < 2:
        raise UsageError("addbalance")
    amount = parse_signed_amount("addbalance", words[1])
    rest = words[2].strip() if len(words) == 3 else ""
    first, _, after = rest.partition(" ")
    silent = first.lower() == SILENT
    note = after.strip() if silent else rest
    return BalanceChange(query=words[0], amount=amount, note=note[:MAX_NOTE], silent=silent)


def parse_invoice(command: str, args: str) -> str:
    """``<invoice>``: letters and digits, as ``TRX20241228ABC123``."""
    invoice = _words(command, args, 1, 1)[0].upper()
    if not invoice.isascii() or not invoice.isalnum() or len(invoice) > 32:
        raise UsageError(command, "admin.reason.invoice", typed=invoice)
    return invoice


@dataclass(frozen=True)
class RefundRequest:
    invoice: str
    amount: int | None  # None: everything that was paid
    reason: str


def parse_refund(argument: str) -> RefundRequest:
    """``<invoice> [jumlah] [alasan]``: the amount, when given, comes right after the invoice.

    A second word that starts with a digit or ``Rp`` is the amount (and must
    be one); anything else starts the reason.
    """
    words = argument.strip().split(maxsplit=1)
    if not words:
        raise UsageError("refund")
    invoice = parse_invoice("refund", words[0])
    rest = words[1].strip() if len(words) > 1 else ""
    amount = None
    head, _, tail = rest.partition(" ")
    if head[:1].isdigit() or head.lower().startswith("rp"):
        amount = parse_price("refund", head, AMOUNT)
        rest = tail.strip()
    if len(rest) > MAX_NOTE:
        raise UsageError("refund", "admin.reason.note_too_long", limit=MAX_NOTE)
    return RefundRequest(invoice=invoice, amount=amount, reason=rest)


RESOLUTIONS = ("deliver", "credit", "close")


def parse_resolve(args: str) -> tuple[str, str, str]:
    """``<invoice> deliver|credit|close [catatan]``: an admin's decision on a payment mismatch."""
    words = args.split(maxsplit=2)
    if len(words) < 2:
        raise UsageError("resolve")
    invoice = parse_invoice("resolve", words[0])
    action = words[1].lower()
    if action not in RESOLUTIONS:
        raise UsageError("resolve", "admin.reason.resolution", choices=", ".join(RESOLUTIONS))
    note = words[2].strip() if len(words) > 2 else ""
    if len(note) > MAX_NOTE:
        raise UsageError("resolve", "admin.reason.note_too_long", limit=MAX_NOTE)
    return invoice, action, note


def parse_orders_count(args: str) -> int:
    """``[n]``: how many of the latest orders, default 10, at most 50."""
    words = _words("orders", args, 0, 1)
    if not words:
        return DEFAULT_ORDERS_LISTED
    return min(parse_id("orders", words[0], AMOUNT), MAX_ORDERS_LISTED)


def parse_switch(command: str, args: str) -> bool:
    """``on|off``."""
    words = _words(command, args, 1, 1)
    value = words[0].lower()
    if value not in ("on", "off"):
        raise UsageError(command, "admin.reason.switch", typed=words[0])
    return value == "on"


MAX_STATS_DAYS = 366
_LAST_DAYS = re.compile(r"([0-9]{1,3})d", re.IGNORECASE)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _month(year: int, month: int) -> DayRange:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return DayRange(first, following - timedelta(days=1))


def _one_period(command: str, word: str, today: date) -> DayRange:
    """``today``, ``7d`` (the last 7 days, today included), ``month`` (this month so far), ``2026-11``."""
    lowered = word.lower()
    if lowered == "today":
        return DayRange(today, today)
    if lowered == "month":
        return DayRange(today.replace(day=1), today)
    if match := _LAST_DAYS.fullmatch(word):
        days = int(match.group(1))
        if not 1 <= days <= MAX_STATS_DAYS:
            raise UsageError(command, "admin.reason.period_days", maximum=MAX_STATS_DAYS)
        return DayRange(today - timedelta(days=days - 1), today)
    if match := _MONTH.fullmatch(word):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and year >= 2000:
            return _month(year, month)
    raise UsageError(command, "admin.reason.period", typed=word)


def _day(command: str, word: str) -> date:
    match = _DAY.fullmatch(word)
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise UsageError(command, "admin.reason.period", typed=word) from None


def parse_period(command: str, args: str, today: date) -> DayRange | None:
    """A range of Jakarta days, or None when none was given.

    ``today`` · ``7d`` / ``30d`` (the last N days, today included) ·
    ``month`` (this month so far) · ``2026-11`` (that month) ·
    ``2026-11-01 [2026-11-15]`` (from that day to the second, or to today).
    A range never runs past today; it must not start after it ends.
    """
    words = _words(command, args, 0, 2)
    if not words:
        return None
    if len(words) == 1 and not _DAY.fullmatch(words[0]):
        period = _one_period(command, words[0], today)
    else:
        first = _day(command, words[0])
        period = DayRange(first, _day(command, words[1]) if len(words) == 2 else today)
    period = DayRange(period.first, min(period.last, today))
    if period.first > period.last:
        raise UsageError(command, "admin.reason.period_order")
    return period


def parse_no_arguments(command: str, args: str) -> None:
    if args.strip():
        raise UsageError(command, "admin.reason.no_arguments")


# --- stock lines, products, storefront ---------------------------------------------

def parse_lines(args: str) -> tuple[int, int]:
    """``<product> [page]``: the product's id and the page, from 0 (typed from 1)."""
    words = _words("lines", args, 1, 2)
    page = parse_id("lines", words[1], PAGE) if len(words) == 2 else 1
    return parse_id("lines", words[0]), page - 1


def parse_line_ids(command: str, argument: str) -> list[int]:
    """``<id> [id ...]``: line ids, by spaces or commas, each once, at most :data:`MAX_LINE_IDS`."""
    words = argument.replace(",", " ").split()
    if not words:
        raise UsageError(command)
    if len(words) > MAX_LINE_IDS:
        raise UsageError(command, "admin.reason.too_many_lines", limit=MAX_LINE_IDS)
    return list(dict.fromkeys(parse_id(command, word, LINE_ID) for word in words))


def parse_edit_line(argument: str) -> tuple[int, str]:
    """``<id> <new text>``: the text on the same line or the next, one line."""
    words = argument.strip().split(maxsplit=1)
    if len(words) < 2:
        raise UsageError("editline")
    text = words[1].strip()
    if "\n" in text:
        raise UsageError("editline", "admin.reason.line_one_line")
    return parse_id("editline", words[0], LINE_ID), text


def parse_rename_category(argument: str) -> tuple[str, str]:
    """``old | new``."""
    parts = [part.strip() for part in argument.split("|")]
    if len(parts) != 2 or not all(parts):
        raise UsageError("renamecat")
    if any("\n" in part for part in parts):
        raise UsageError("renamecat", "admin.reason.category_one_line")
    return parts[0], parts[1]


@dataclass(frozen=True)
class ProductText:
    """``/setterms <id>`` + text: the product and its new text (None: remove it)."""
    product_id: int
    text: str | None


def parse_product_text(command: str, text: CommandText) -> ProductText:
    """``<id>`` and the text on the following lines (or after the id), or ``<id> off`` to remove it."""
    words = text.args.split(maxsplit=1)
    if not words:
        raise UsageError(command)
    product_id = parse_id(command, words[0])
    rest = "\n".join(part for part in (words[1] if len(words) > 1 else "", text.body) if part).strip()
    if rest.lower() == OFF:
        return ProductText(product_id, None)
    if not rest:
        raise UsageError(command, "admin.reason.text_needed")
    return ProductText(product_id, rest)


def parse_set_photo(args: str, with_photo: bool) -> int:
    """``<id>`` as a photo's caption, or ``<id> off`` as a message (removes the photo): the product's id."""
    words = _words("setphoto", args, 1, 2)
    product_id = parse_id("setphoto", words[0])
    if (with_photo and len(words) == 1) or (not with_photo and len(words) == 2 and words[1].lower() == OFF):
        return product_id
    raise UsageError("setphoto", "admin.reason.photo_needed")


@dataclass(frozen=True)
class StorefrontEdit:
    """``/settext``: which text (None: list them), and its new value (None: show it)."""
    name: str | None
    value: str | None
    reset: bool = False  # back to the default


def parse_set_text(text: CommandText, names: tuple[str, ...]) -> StorefrontEdit:
    """``[name] [text on the same line or the following lines | reset]``."""
    words = text.args.split(maxsplit=1)
    if not words:
        if text.body.strip():
            raise UsageError("settext")
        return StorefrontEdit(None, None)
    name = words[0].lower()
    if name not in names:
        raise UsageError("settext", "admin.reason.unknown_text", typed=words[0], names=", ".join(names))
    value = "\n".join(part for part in (words[1] if len(words) > 1 else "", text.body) if part).strip()
    if value.lower() == RESET:
        return StorefrontEdit(name, None, reset=True)
    return StorefrontEdit(name, value or None)

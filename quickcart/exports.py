"""CSV exports for the owner's books: orders with their items, and the balance ledger.

Rows are read from one SQLite cursor and written as they come, so an export
of every order a shop ever had holds one row in memory at a time: the
``/export`` command writes them to a temporary file, ``GET
/admin/export.csv`` streams them to the client. Times are Asia/Jakarta
(WIB), a period is a range of Jakarta days on when the order was created
(the ledger: when the entry was made); money is integer rupiah.

Names and notes come from customers and admins: a cell that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``) is written with a
leading ``'``.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from quickcart.db import database
from quickcart.timeutil import DayRange

ORDERS = "orders"
LEDGER = "ledger"

ORDER_COLUMNS = ("invoice", "created_wib", "paid_wib", "status", "kind", "payment_method", "user_id", "member_id",
                 "username", "customer_name", "product_id", "product_name", "quantity", "price_per_unit",
                 "subtotal", "fee", "total_bill", "settlement", "refunded", "promo_code", "discount")
LEDGER_COLUMNS = ("entry_id", "created_wib", "user_id", "member_id", "delta", "balance_after", "reason", "invoice",
                  "admin_id", "note")
COLUMNS = {ORDERS: ORDER_COLUMNS, LEDGER: LEDGER_COLUMNS}
TEXT_CELLS = {ORDERS: (8, 9, 11), LEDGER: (9,)}  # columns a person typed: guarded against formulas
CHUNK_CHARS = 64 * 1024

_ORDERS = (
    "SELECT o.invoice_id, datetime(o.created_at, '+7 hours'), datetime(o.paid_at, '+7 hours'), o.status, o.kind, "
    "o.payment_method, o.user_id, u.bank_id, u.username, u.name, i.product_id, i.product_name, i.quantity, "
    "i.price_per_unit, o.subtotal, o.fee, o.total_bill, o.settlement, r.delta, p.code, o.discount "
    'FROM "order" o JOIN "user" u ON u.id = o.user_id LEFT JOIN order_item i ON i.order_id = o.id '
    "LEFT JOIN ledger_entry r ON r.order_id = o.id AND r.reason = 'refund' LEFT JOIN promo p ON p.id = o.promo_id")
_LEDGER = (
    "SELECT l.id, datetime(l.created_at, '+7 hours'), l.user_id, u.bank_id, l.delta, l.balance_after, l.reason, "
    'o.invoice_id, l.admin_id, l.note FROM ledger_entry l JOIN "user" u ON u.id = l.user_id '
    'LEFT JOIN "order" o ON o.id = l.order_id')
def rows(kind: str, period: DayRange | None) -> Iterator[tuple]:
    """The rows of an export, read lazily from one cursor (``period`` None: everything).

    A period of orders is a range on the ``created_at`` index, read in that
    order, so nothing is sorted in memory; everything is read in id order.
    """
    if kind not in COLUMNS:
        raise ValueError(f"unknown export {kind!r}")
    if period is None and kind == ORDERS:
        yield from database.execute_sql(_ORDERS + " ORDER BY o.id")
    elif period is None:
        yield from database.execute_sql(_LEDGER + " ORDER BY l.id")
    elif kind == ORDERS:
        yield from database.execute_sql(
            _ORDERS + " WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at", _bounds(period))
    else:
        yield from database.execute_sql(
            _LEDGER + " WHERE l.created_at >= ? AND l.created_at < ? ORDER BY l.id", _bounds(period))


def _bounds(period: DayRange) -> tuple[str, str]:
    start, end = period.bounds_utc()
    return str(start), str(end)  # as the datetimes are stored: text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_chunks(kind: str, records: Iterable[tuple]) -> Iterator[str]:
    """The CSV text (header first) in pieces of about :data:`CHUNK_CHARS`."""
    text_cells = TEXT_CELLS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS[kind])
    for record in records:
        row = list(record)
        for index in text_cells:  # only the cells a person typed: 500,000 rows × 19 cells add up
            value = row[index]
            if value and value.startswith(FORMULA_STARTS):
                row[index] = "'" + value
        writer.writerow(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream(kind: str, period: DayRange | None) -> Iterator[str]:
    """The whole export as CSV text, piece by piece."""
    return csv_chunks(kind, rows(kind, period))


def write_csv(path: Path, kind: str, period: DayRange | None) -> int:
    """Write an export to ``path`` (UTF-8 with a BOM, which spreadsheet programs need); the rows written."""
    count = 0

    def counted(records: Iterable[tuple]) -> Iterator[tuple]:
        nonlocal count
        for record in records:
            count += 1
            yield record

    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        for chunk in csv_chunks(kind, counted(rows(kind, period))):
            out.write(chunk)
    return count


def zip_file(path: Path, name: str) -> Path:
    """``path`` compressed into ``path.zip`` under ``name``, read in pieces.

    The fastest deflate level: an export's CSV still shrinks about fourfold
    (83 MB of orders → ~20 MB), in a third of the default level's time.
    """
    target = path.with_suffix(".zip")
    with (zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
          open(path, "rb") as source, archive.open(name, "w", force_zip64=True) as entry):
        while piece := source.read(1024 * 1024):
            entry.write(piece)
    return target

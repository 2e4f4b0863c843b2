"""Stock lines: importing, reserving for an order, selling, releasing.

A stock line is one deliverable item (an account, a key, a voucher). It is
available, reserved for exactly one order, or sold to exactly one order, and
it never leaves the product: a line equal to any line the product ever had
is refused as a duplicate, so a credential is never sold twice.

The text of a line is stored sealed with the shop's stock key
(:mod:`quickcart.stockcrypt`, :mod:`quickcart.stock_key`): the duplicate check
compares keyed hashes, and only :func:`delivered_lines` (and :func:`line_text`)
ever open a line again, for the order it was sold to.

``Product.stock_count`` mirrors the number of available lines and is moved
in the same transaction as the lines; :func:`verify_counts` checks it.

Admins may take available lines off sale (:func:`remove_lines`,
:func:`replace_line`, :func:`clear_available`): a removed line stays in the
table in state ``removed``, sealed, with its keyed hash, so the product
never takes that text again; each removal is audited with that hash (never
the text). Reserved and sold lines are never removed.

Functions marked "inside a transaction" must be called within
``db.immediate()``; they are the building blocks of the order and payment
transactions.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import fn

from quickcart import audit, stock_key
from quickcart.db import database, immediate
from quickcart.models import AVAILABLE, CANCELLED, EXPIRED, REMOVED, RESERVED, SOLD, Order, Product, StockLine
from quickcart.stockcrypt import UnreadableLine
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 4000
# An import's batches: each touches thousands of pages of the (product, digest) index at random (keyed
# hashes have no order), so fewer, larger batches write each page fewer times. 10,000 lines hold the
# write lock ~150 ms; buyers checking out meanwhile get their QR p99 0.26-0.35 s (bench/big_shop.py).
IMPORT_BATCH = 10_000
CLEAR_BATCH = 5_000
IMPORT_PAUSE_SECONDS = 0.05
# While an import runs its connection keeps 16 MB of pages instead of 2 MB (1,000,000 lines without the
# pauses: 19.9 s → 17.8 s). Checkpointing the WAL less often would gain 2 s more but was not taken: the
# buyers' own commits then found a large WAL and copied it back themselves (their QR p99 0.55 s).
IMPORT_PRAGMAS = (("cache_size", -16_000),)
LINES_PER_PAGE = 20


class StockShort(Exception):
    """Fewer available lines than asked for."""

    def __init__(self, available: int):
        super().__init__(f"only {available} available")
        self.available = available


@dataclass
class ImportResult:
    added: int = 0
    duplicates: int = 0
    blank: int = 0
    too_long: int = 0

    @property
    def total(self) -> int:
        return self.added + self.duplicates + self.blank + self.too_long


@dataclass(frozen=True)
class StockCounts:
    available: int
    reserved: int
    sold: int


def split_lines(text: str) -> Iterator[str]:
    """Lines of an upload: BOM dropped, any line ending, each trimmed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for line in text.splitlines():
        yield line.strip()


def add_lines(product_id: int, lines: Iterable[str], batch_size: int = IMPORT_BATCH, *,
              actor_id: int | None = None) -> ImportResult:
    """Add stock lines to a product, refusing blanks and duplicates.

    Commits every ``batch_size`` lines, each batch its own short IMMEDIATE
    transaction, so a 1,000,000-line import never holds the write lock
    long enough to make a customer's checkout wait noticeably. With ``actor_id``
    (an admin's import) each batch is audited in its own transaction.
    """
    result = ImportResult()
    gap_ends = 0.0
    with _import_tuning():
        for batch in _batches(lines, batch_size, result):
            rows = sealed_rows(product_id, batch)  # CPU work: outside the write lock, during the gap
            time.sleep(max(0.0, gap_ends - time.monotonic()))
            _insert_rows(product_id, rows, result, actor_id)
            # Let waiting writers in: SQLite's busy handler polls with growing sleeps and would
            # otherwise miss the gap between batches. The next batch is sealed meanwhile.
            gap_ends = time.monotonic() + IMPORT_PAUSE_SECONDS
    return result


def _batches(lines: Iterable[str], batch_size: int, result: ImportResult) -> Iterator[list[str]]:
    """The lines to add, ``batch_size`` at a time; blank and too long ones counted in ``result`` and left out."""
    batch: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            result.blank += 1
        elif len(line) > MAX_LINE_CHARS:
            result.too_long += 1
        else:
            batch.append(line)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


@contextmanager
def _import_tuning() -> Iterator[None]:
    """:data:`IMPORT_PRAGMAS` on this thread's connection for the import, then back as they were."""
    before = [(name, database.execute_sql(f"PRAGMA {name}").fetchone()[0]) for name, _ in IMPORT_PRAGMAS]
    for name, value in IMPORT_PRAGMAS:
        database.execute_sql(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        for name, value in before:
            database.execute_sql(f"PRAGMA {name} = {int(value)}")


def sealed_rows(product_id: int, lines: list[str], state: str = AVAILABLE) -> list[tuple]:
    """``(product_id, sealed, digest, state)`` for each line, ready for an INSERT.

    Sealing is done before the write transaction: it is CPU work that must
    not hold the write lock.
    """
    key = stock_key.current()
    return [(product_id, sealed, digest, state) for sealed, digest in key.seal_many(product_id, lines)]


def _insert_rows(product_id: int, rows: list[tuple], result: ImportResult, actor_id: int | None) -> None:
    now = utcnow()
    stamp = now.isoformat(" ")  # as sqlite3 would write the datetime, once instead of per row
    with immediate():
        stock_key.record_key(stock_key.current())
        before = database.connection().total_changes
        database.cursor().executemany(
            "INSERT OR IGNORE INTO stock_line (product_id, sealed, digest, state, created_at) VALUES (?, ?, ?, ?, ?)",
            [row + (stamp,) for row in rows])
        added = database.connection().total_changes - before
        if added:
            Product.update(stock_count=Product.stock_count + added, updated_at=now).where(
                Product.id == product_id).execute()
        if actor_id is not None:
            available = Product.select(Product.stock_count).where(Product.id == product_id).scalar()
            audit.record("stock.add", actor_id=actor_id, subject=f"product:{product_id}",
                         before={"stock_count": available - added}, after={"stock_count": available},
                         detail=f"{len(rows)} lines: {added} added, {len(rows) - added} duplicates")
    result.added += added
    result.duplicates += len(rows) - added


def reserve(product: Product, quantity: int, order: Order) -> list[int]:
    """Reserve ``quantity`` available lines for ``order`` (inside a transaction).

    Oldest lines go first. Raises :class:`StockShort` when there are fewer.
    """
    ids = [row[0] for row in StockLine.select(StockLine.id)
           .where((StockLine.product == product.id) & (StockLine.state == AVAILABLE))
           .order_by(StockLine.id).limit(quantity).tuples()]
    if len(ids) < quantity:
        raise StockShort(len(ids))
    moved = (StockLine.update(state=RESERVED, order=order.id)
             .where(StockLine.id.in_(ids) & (StockLine.state == AVAILABLE)).execute())
    if moved != quantity:
        raise StockShort(moved)  # cannot happen under the write lock; never oversell anyway
    Product.update(stock_count=Product.stock_count - quantity, updated_at=utcnow()).where(
        Product.id == product.id).execute()
    return ids


def release(order: Order) -> int:
    """Put the lines reserved for ``order`` back on sale (inside a transaction)."""
    per_product = list(StockLine.select(StockLine.product, fn.COUNT(StockLine.id))
                       .where((StockLine.order == order.id) & (StockLine.state == RESERVED))
                       .group_by(StockLine.product).tuples())
    if not per_product:
        return 0
    released = (StockLine.update(state=AVAILABLE, order=None)
                .where((StockLine.order == order.id) & (StockLine.state == RESERVED)).execute())
    for product_id, count in per_product:
        Product.update(stock_count=Product.stock_count + count, updated_at=utcnow()).where(
            Product.id == product_id).execute()
    return released


def sell_reserved(order: Order) -> int:
    """Turn the lines reserved for ``order`` into lines sold to it (inside a transaction)."""
    per_product = list(StockLine.select(StockLine.product, fn.COUNT(StockLine.id))
                       .where((StockLine.order == order.id) & (StockLine.state == RESERVED))
                       .group_by(StockLine.product).tuples())
    now = utcnow()
    sold = (StockLine.update(state=SOLD, sold_at=now)
            .where((StockLine.order == order.id) & (StockLine.state == RESERVED)).execute())
    for product_id, count in per_product:
        Product.update(sold_count=Product.sold_count + count, updated_at=now).where(
            Product.id == product_id).execute()
    return sold


def sell_replacement(product_id: int) -> int:
    """Sell the oldest available line of a product to replace a broken one (inside a transaction).

    The line belongs to no order: the warranty claim it answers links it
    (``WarrantyClaim.replacement_line``, unique). A replacement is not a sale,
    so ``sold_count`` stays. Raises :class:`StockShort` when there is none.
    """
    found = (StockLine.select(StockLine.id).where((StockLine.product == product_id) & (StockLine.state == AVAILABLE))
             .order_by(StockLine.id).limit(1).scalar())
    now = utcnow()
    if found is None or StockLine.update(state=SOLD, sold_at=now).where(
            (StockLine.id == found) & (StockLine.state == AVAILABLE)).execute() != 1:
        raise StockShort(0)
    Product.update(stock_count=Product.stock_count - 1, updated_at=now).where(Product.id == product_id).execute()
    return found


def line_texts(line_ids: list[int]) -> dict[int, str | None]:
    """The text of each of these lines (None when it cannot be opened), for a buyer's own lines."""
    if not line_ids:
        return {}
    key = stock_key.current()
    texts: dict[int, str | None] = {}
    for line_id, product_id, sealed in (StockLine.select(StockLine.id, StockLine.product, StockLine.sealed)
                                        .where(StockLine.id.in_(line_ids)).tuples()):
        try:
            texts[line_id] = key.open(product_id, bytes(sealed))
        except UnreadableLine:
            texts[line_id] = None
    return texts


def sold_count(order: Order, product_id: int) -> int:
    return StockLine.select().where((StockLine.order == order.id) & (StockLine.product == product_id)
                                    & (StockLine.state == SOLD)).count()


def delivered_lines(order: Order) -> list[str | None]:
    """The text of the lines sold to ``order``, in a stable order.

    A line that cannot be opened (sealed with a stock key that was declared
    lost) is None, for the reader to be told so, instead of failing the
    whole delivery (:func:`quickcart.views.goods_lines`).
    """
    rows = (StockLine.select(StockLine.id, StockLine.product, StockLine.sealed)
            .where((StockLine.order == order.id) & (StockLine.state == SOLD))
            .order_by(StockLine.id).tuples())
    key = stock_key.current()
    lines, unreadable = [], []
    for line_id, product_id, sealed in rows:
        try:
            lines.append(key.open(product_id, bytes(sealed)))
        except UnreadableLine as exc:
            unreadable.append((line_id, str(exc)))
            lines.append(None)
    if unreadable:
        log.error("order %s: %d sold line(s) cannot be opened with stock key %s (line %d: %s)", order.invoice_id,
                  len(unreadable), key.id, unreadable[0][0], unreadable[0][1])
    return lines


def line_text(line: StockLine) -> str:
    """The text of one line (for checks and tests; customers get theirs through :func:`delivered_lines`)."""
    return stock_key.current().open(line.product_id, bytes(line.sealed))


def counts(product_id: int) -> StockCounts:
    rows = dict(StockLine.select(StockLine.state, fn.COUNT(StockLine.id))
                .where(StockLine.product == product_id).group_by(StockLine.state).tuples())
    return StockCounts(available=rows.get(AVAILABLE, 0), reserved=rows.get(RESERVED, 0),
                       sold=rows.get(SOLD, 0))


def verify_counts() -> list[tuple[int, int, int]]:
    """Products whose ``stock_count`` differs from their available lines: (id, stored, actual)."""
    actual = dict(StockLine.select(StockLine.product, fn.COUNT(StockLine.id))
                  .where(StockLine.state == AVAILABLE).group_by(StockLine.product).tuples())
    return [(product.id, product.stock_count, actual.get(product.id, 0))
            for product in Product.select(Product.id, Product.stock_count)
            if product.stock_count != actual.get(product.id, 0)]


def release_orphans() -> int:
    """Release reservations held by expired or cancelled orders (recovery)."""
    closed = (EXPIRED, CANCELLED)
    orphan_orders = (Order.select(Order.id).join(StockLine, on=(StockLine.order == Order.id))
                     .where((StockLine.state == RESERVED) & Order.status.in_(closed)).distinct())
    released = 0
    for order in list(orphan_orders):
        with immediate():
            fresh = Order.get_by_id(order.id)
            if fresh.status in closed:
                released += release(fresh)
    return released


# --- admins' stock lines: listing, removing, rewriting ---------------------------------------


@dataclass(frozen=True)
class ListedLine:
    id: int
    ends: tuple[str, str] | None  # its first and last character (see :func:`ends`); None: cannot be opened
    created_at: object


@dataclass(frozen=True)
class LinePage:
    lines: list[ListedLine]
    page: int  # from 0
    pages: int
    total: int


def ends(text: str) -> tuple[str, str]:
    """Enough of a line to tell lines apart in a chat, never the credential: its first and last character
    (none of a line that short)."""
    return (text[0], text[-1]) if len(text) >= 3 else ("", "")


def available_page(product_id: int, page: int, per_page: int = LINES_PER_PAGE) -> LinePage:
    """A page of a product's available lines, oldest (next to be sold) first, masked."""
    where = (StockLine.product == product_id) & (StockLine.state == AVAILABLE)
    total = StockLine.select().where(where).count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    rows = (StockLine.select(StockLine.id, StockLine.sealed, StockLine.created_at).where(where)
            .order_by(StockLine.id).limit(per_page).offset(page * per_page).tuples())
    key = stock_key.current()
    lines = []
    for line_id, sealed, created_at in rows:
        try:
            shown = ends(key.open(product_id, bytes(sealed)))
        except UnreadableLine:
            shown = None
        lines.append(ListedLine(line_id, shown, created_at))
    return LinePage(lines, page, pages, total)


@dataclass(frozen=True)
class Refusal:
    """A line that was not removed: ``why`` is ``missing``, ``removed``, ``reserved`` or ``sold``."""
    line_id: int
    why: str
    invoice: str | None = None  # the order holding a reserved or sold line


@dataclass
class Removal:
    removed: list[int]
    refused: list[Refusal]


class LineRefused(Exception):
    """A line edit that breaks a rule: ``why`` says which (see :func:`replace_line`), ``values`` the details."""

    def __init__(self, why: str, **values: object):
        super().__init__(why)
        self.why = why
        self.values = values


def _holders(rows: Iterable[StockLine]) -> dict[int, str]:
    """Order id → invoice, for the orders holding these lines."""
    order_ids = {row.order_id for row in rows if row.order_id is not None}
    if not order_ids:
        return {}
    return dict(Order.select(Order.id, Order.invoice_id).where(Order.id.in_(order_ids)).tuples())


def _refusal(line: StockLine | None, line_id: int, invoices: dict[int, str]) -> Refusal:
    if line is None:
        return Refusal(line_id, "missing")
    return Refusal(line_id, line.state, invoices.get(line.order_id))


def remove_lines(line_ids: list[int], actor_id: int) -> Removal:
    """Take these lines off sale if they are available; say why the others were not (one transaction).

    Audited per product with each removed line's keyed hash.
    """
    with immediate():
        found = {line.id: line for line in StockLine.select(
            StockLine.id, StockLine.product, StockLine.state, StockLine.digest, StockLine.order)
            .where(StockLine.id.in_(line_ids))}
        invoices = _holders(found.values())
        removable = [line for line in found.values() if line.state == AVAILABLE]
        refused = [_refusal(found.get(line_id), line_id, invoices) for line_id in line_ids
                   if found.get(line_id) is None or found[line_id].state != AVAILABLE]
        by_product: dict[int, list[StockLine]] = {}
        for line in removable:
            by_product.setdefault(line.product_id, []).append(line)
        for product_id, lines in by_product.items():
            _take_off_sale(product_id, lines, StockLine.id.in_([line.id for line in lines]), actor_id, "stock.remove")
    return Removal(removed=sorted(line.id for line in removable), refused=refused)


def _take_off_sale(product_id: int, lines: list[StockLine], which, actor_id: int | None, action: str) -> int:
    """Mark ``lines`` (the available lines ``which`` selects) removed, move the counter and audit their
    hashes (inside a transaction)."""
    moved = StockLine.update(state=REMOVED, order=None).where(which & (StockLine.state == AVAILABLE)).execute()
    if moved != len(lines):
        raise RuntimeError(f"product {product_id}: {len(lines)} lines to remove, {moved} moved")  # rolled back
    available = Product.select(Product.stock_count).where(Product.id == product_id).scalar()
    Product.update(stock_count=Product.stock_count - moved, updated_at=utcnow()).where(
        Product.id == product_id).execute()
    audit.record(action, actor_id=actor_id, subject=f"product:{product_id}",
                 before={"stock_count": available, "lines": {str(line.id): bytes(line.digest).hex() for line in lines}},
                 after={"stock_count": available - moved}, detail=f"{moved} available line(s) removed")
    return moved


def clear_available(product_id: int, actor_id: int | None, up_to_line_id: int | None = None,
                    action: str = "stock.clear", batch_size: int = CLEAR_BATCH) -> int:
    """Take every available line of a product off sale (those up to ``up_to_line_id``, when given).

    In batches, each its own short transaction with its own audit record,
    like an import: a shop clearing 100,000 lines never holds the write lock
    long. Returns how many were removed.
    """
    removed = 0
    while True:
        with immediate():
            where = (StockLine.product == product_id) & (StockLine.state == AVAILABLE)
            if up_to_line_id is not None:
                where &= StockLine.id <= up_to_line_id
            lines = list(StockLine.select(StockLine.id, StockLine.digest).where(where)
                         .order_by(StockLine.id).limit(batch_size))
            if not lines:
                return removed
            # The lowest ids, under the write lock: the product's available lines up to the last are these.
            up_to_last = (StockLine.product == product_id) & (StockLine.id <= lines[-1].id)
            removed += _take_off_sale(product_id, lines, up_to_last, actor_id, action)
        time.sleep(IMPORT_PAUSE_SECONDS)


def last_available_id(product_id: int) -> int | None:
    return (StockLine.select(fn.MAX(StockLine.id))
            .where((StockLine.product == product_id) & (StockLine.state == AVAILABLE)).scalar())


def replace_line(line_id: int, text: str, actor_id: int) -> int:
    """Replace an available line's text; returns the new line's id.

    The old line is removed (its text stays refused, like every text the
    product ever had) and the new one is added, in one transaction; the
    stock count does not move. Raises :class:`LineRefused` with ``why``:
    ``blank``, ``too_long``, ``missing``, ``removed``, ``reserved``, ``sold``
    (with the holding order's ``invoice``), ``same`` or ``duplicate``.
    """
    text = text.strip()
    if not text:
        raise LineRefused("blank")
    if len(text) > MAX_LINE_CHARS:
        raise LineRefused("too_long", limit=MAX_LINE_CHARS)
    line = StockLine.get_or_none(StockLine.id == line_id)
    if line is None:
        raise LineRefused("missing", id=line_id)
    product_id = line.product_id
    key = stock_key.current()
    ((sealed, digest),) = key.seal_many(product_id, [text])  # before the write lock: CPU work
    with immediate():
        line = StockLine.get_or_none(StockLine.id == line_id)
        if line.state != AVAILABLE:
            refusal = _refusal(line, line_id, _holders([line]))
            raise LineRefused(refusal.why, id=line_id, invoice=refusal.invoice or "-")
        if bytes(line.digest) == digest:
            raise LineRefused("same", id=line_id)
        if StockLine.select().where((StockLine.product == product_id) & (StockLine.digest == digest)).exists():
            raise LineRefused("duplicate", id=line_id)
        StockLine.update(state=REMOVED).where((StockLine.id == line_id) & (StockLine.state == AVAILABLE)).execute()
        stock_key.record_key(key)
        new = StockLine.create(product=product_id, sealed=sealed, digest=digest, state=AVAILABLE)
        audit.record("stock.edit", actor_id=actor_id, subject=f"product:{product_id}",
                     before={"line": line_id, "digest": bytes(line.digest).hex()},
                     after={"line": new.id, "digest": digest.hex()}, detail=f"line {line_id} replaced by {new.id}")
    return new.id

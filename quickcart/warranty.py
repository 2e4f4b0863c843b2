"""Warranty claims: a line a buyer bought stopped working within the product's warranty.

A stock product may have ``warranty_days``; the order item keeps the days it
was sold with. While they last (from payment), the buyer may claim a line of
the order — one sold to it, or a replacement sold for an earlier claim —
describing the problem. At most one open claim per line (a partial unique
index, whatever races); a line already replaced or refunded is settled.

Admins answer each claim once (a conditional UPDATE from ``open``):

- **replace**: a line of the same product is sold to the claim in the same
  transaction (:func:`quickcart.stock.sell_replacement`), linked to it and to
  nothing else; with no line left nothing is decided;
- **refund**: the unit price goes to the buyer's balance through
  :func:`quickcart.refunds.refund`, whose rule is one refund per order: an
  order refunded before (another claim, ``/refund``) is refused, nothing decided;
- **reject**: with a reason.

The buyer is told at least once by :mod:`quickcart.decisions`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, IntegrityError, fn

from quickcart import audit, orders, refunds, stock
from quickcart.db import immediate
from quickcart.i18n import speaker
from quickcart.models import (
    CLAIM_REJECTED,
    OPEN,
    PAID,
    REFUNDED,
    REPLACED,
    SOLD,
    STOCK,
    Order,
    OrderItem,
    Product,
    StockLine,
    User,
    WarrantyClaim,
)
from quickcart.timeutil import utcnow

MAX_DESCRIPTION = 500
SETTLED = (OPEN, REPLACED, REFUNDED)  # a line with a claim in one of these cannot be claimed again


class ClaimRefused(Exception):
    """Why a claim cannot be opened: ``reason`` is one of :data:`REFUSALS`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


DESCRIPTION_LENGTH = "description_length"
NOT_COVERED = "not_covered"
LINE_SETTLED = "line_settled"
REFUSALS = (DESCRIPTION_LENGTH, NOT_COVERED, LINE_SETTLED)


@dataclass(frozen=True)
class Decision:
    won: bool  # this call decided the claim; False: it was decided already (``claim`` says how and by whom)
    claim: WarrantyClaim


def _covered_items(order: Order) -> list[OrderItem]:
    return [item for item in orders.items(order) if item.kind == STOCK and item.warranty_days > 0]


def warranty_ends(order: Order) -> datetime | None:
    """When the order's warranty runs out (None: it has none, or it was not delivered from stock)."""
    if order.status != PAID or not order.is_purchase or order.is_credited or order.paid_at is None:
        return None
    days = max((item.warranty_days for item in _covered_items(order)), default=0)
    return order.paid_at + timedelta(days=days) if days else None


def under_warranty(order: Order, now: datetime | None = None) -> bool:
    ends = warranty_ends(order)
    return ends is not None and (now or utcnow()) < ends


def claimable_lines(order: Order) -> list[StockLine]:
    """The order's lines that may be claimed now: sold to it or replacing one of its lines, not settled."""
    products = {item.product_id for item in _covered_items(order)}
    replacements = WarrantyClaim.select(WarrantyClaim.replacement_line).where(
        (WarrantyClaim.order == order.id) & WarrantyClaim.replacement_line.is_null(False))
    settled = WarrantyClaim.select(WarrantyClaim.line).where(
        (WarrantyClaim.order == order.id) & WarrantyClaim.state.in_(SETTLED))
    return list(StockLine.select(StockLine.id, StockLine.product)
                .where(((StockLine.order == order.id) | StockLine.id.in_(replacements))
                       & (StockLine.state == SOLD) & StockLine.product.in_(products)
                       & StockLine.id.not_in(settled))
                .order_by(StockLine.id))


def replacement_texts(order: Order) -> list[str | None]:
    """The lines sold to replace the order's claimed ones, oldest first (None: cannot be opened)."""
    ids = [line_id for (line_id,) in WarrantyClaim.select(WarrantyClaim.replacement_line)
           .where((WarrantyClaim.order == order.id) & WarrantyClaim.replacement_line.is_null(False))
           .order_by(WarrantyClaim.id).tuples()]
    texts = stock.line_texts(ids)
    return [texts.get(line_id) for line_id in ids]


def line_text(line_id: int) -> str | None:
    return stock.line_texts([line_id]).get(line_id)


def offered(order: Order) -> bool:
    """Whether Riwayat offers "Klaim Garansi" on this order now."""
    return under_warranty(order) and bool(claimable_lines(order))


def open_claim(user: User, order_id: int, line_id: int, description: str) -> WarrantyClaim:
    """The buyer's claim on one line of their order; raises :class:`ClaimRefused`."""
    description = description.strip()
    if not 0 < len(description) <= MAX_DESCRIPTION:
        raise ClaimRefused(DESCRIPTION_LENGTH)
    with immediate():
        order = orders.owned(order_id, user.id)
        if order is None or not under_warranty(order):
            raise ClaimRefused(NOT_COVERED)
        line = next((found for found in claimable_lines(order) if found.id == line_id), None)
        if line is None:
            raise ClaimRefused(LINE_SETTLED)
        try:
            with immediate():  # a savepoint: the one-open-claim-per-line index refuses a second
                claim = WarrantyClaim.create(order=order.id, user=user.id, product=line.product_id, line=line.id,
                                             description=description)
        except IntegrityError:
            raise ClaimRefused(LINE_SETTLED) from None
        audit.record("warranty.claim", actor_id=user.id, subject=f"order:{order.invoice_id}",
                     after={"claim": claim.id, "line": line.id, "state": OPEN}, detail=description)
    return claim


def get(claim_id: int) -> WarrantyClaim | None:
    return WarrantyClaim.get_or_none(WarrantyClaim.id == claim_id)


def _decide(claim_id: int, admin_id: int, **decision: object) -> bool:
    """The claim on the decision: only the UPDATE that moves it from ``open`` decides (inside a transaction)."""
    now = utcnow()
    return (WarrantyClaim.update(admin_id=admin_id, decided_at=now, tell_claimed_at=now, **decision)
            .where((WarrantyClaim.id == claim_id) & (WarrantyClaim.state == OPEN)).execute()) == 1


def _invoice(claim: WarrantyClaim) -> str:
    return Order.select(Order.invoice_id).where(Order.id == claim.order_id).scalar()


def replace(admin_id: int, claim_id: int) -> Decision:
    """Sell a fresh line of the same product to the claim; raises StockShort (nothing decided) when none is left."""
    with immediate():
        claim = WarrantyClaim.get_by_id(claim_id)
        won = _decide(claim_id, admin_id, state=REPLACED)
        if won:
            line_id = stock.sell_replacement(claim.product_id)
            WarrantyClaim.update(replacement_line=line_id).where(WarrantyClaim.id == claim_id).execute()
            audit.record("warranty.replace", actor_id=admin_id, subject=f"order:{_invoice(claim)}",
                         before={"claim": claim_id, "state": OPEN},
                         after={"claim": claim_id, "state": REPLACED, "replacement_line": line_id})
    return Decision(won, get(claim_id))


def unit_price(claim: WarrantyClaim) -> int:
    """What one unit of the claimed product cost in that order."""
    return int(OrderItem.select(OrderItem.price_per_unit).where(
        (OrderItem.order == claim.order_id) & (OrderItem.product == claim.product_id)).scalar() or 0)


def refund(admin_id: int, claim_id: int) -> Decision:
    """Credit the claimed line's unit price to the buyer's balance, once.

    Raises :class:`~quickcart.refunds.RefundRefused` (nothing decided) when the
    order had a refund already: the ledger keeps one per order.
    """
    with immediate():
        claim = WarrantyClaim.get_by_id(claim_id)
        amount = unit_price(claim)
        won = _decide(claim_id, admin_id, state=REFUNDED, refund_amount=amount)
        if won:
            invoice = _invoice(claim)
            refunds.refund(admin_id, Order.get_by_id(claim.order_id), amount,
                           speaker().plain("ledger.warranty_refund_note", invoice=invoice, claim=claim_id))
            audit.record("warranty.refund", actor_id=admin_id, subject=f"order:{invoice}",
                         before={"claim": claim_id, "state": OPEN},
                         after={"claim": claim_id, "state": REFUNDED, "refund": amount})
    return Decision(won, get(claim_id))


def reject(admin_id: int, claim_id: int, reason: str) -> Decision:
    with immediate():
        claim = WarrantyClaim.get_by_id(claim_id)
        won = _decide(claim_id, admin_id, state=CLAIM_REJECTED, reason=reason)
        if won:
            audit.record("warranty.reject", actor_id=admin_id, subject=f"order:{_invoice(claim)}",
                         before={"claim": claim_id, "state": OPEN},
                         after={"claim": claim_id, "state": CLAIM_REJECTED}, detail=reason)
    return Decision(won, get(claim_id))


def open_claims(limit: int) -> tuple[list[WarrantyClaim], int]:
    """The oldest open claims (up to ``limit``) and how many are open in all."""
    query = WarrantyClaim.select().where(WarrantyClaim.state == OPEN)
    return list(query.order_by(WarrantyClaim.id).limit(limit)), query.count()


@dataclass(frozen=True)
class ProductClaims:
    product_id: int
    name: str
    total: int
    open: int
    replaced: int
    refunded: int


def claims_per_product(limit: int = 10) -> list[ProductClaims]:
    """Products by claims made on them, most first: which supplier's accounts die."""
    def state(name: str):
        return fn.SUM(fn.IIF(WarrantyClaim.state == name, 1, 0))
    rows = (WarrantyClaim.select(WarrantyClaim.product, Product.name, fn.COUNT(WarrantyClaim.id),
                                 state(OPEN), state(REPLACED), state(REFUNDED))
            .join(Product, JOIN.INNER, on=(WarrantyClaim.product == Product.id))
            .group_by(WarrantyClaim.product).order_by(fn.COUNT(WarrantyClaim.id).desc(), WarrantyClaim.product)
            .limit(limit).tuples())
    return [ProductClaims(*(int(value or 0) if index != 1 else value for index, value in enumerate(row)))
            for row in rows]

"""Manual orders: the buyer gave fields and paid; an admin completes it (with a reply) or rejects it.

A paid manual order gets a :class:`~quickcart.models.ManualFulfilment` in its
paid transaction (:func:`open_fulfilment`, called by settlement). Its
decision is one conditional UPDATE from ``waiting``: when two admins press
at once, one completes (or rejects) it and the other is shown who did. A
rejection refunds what the buyer paid to their balance in the same
transaction (:func:`quickcart.refunds.refund`: once per order, whatever else
refunds it), so it is refunded exactly once.

The buyer is told the decision at least once by :mod:`quickcart.decisions`
(``tell_claimed_at`` is set with the decision, ``told_at`` once sent).
Admins are reminded of orders waiting longer than ``shop.manual_sla_minutes``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN

from quickcart import audit, orders, refunds
from quickcart.db import database, immediate
from quickcart.i18n import speaker
from quickcart.models import (
    COMPLETED,
    MANUAL,
    PAID,
    REJECTED,
    WAITING,
    ManualFulfilment,
    Order,
)
from quickcart.timeutil import utcnow

MAX_REPLY = 3000
MAX_REASON = 500


@dataclass(frozen=True)
class Decision:
    won: bool  # this call decided it; False: it was decided already (``fulfilment`` says how and by whom)
    fulfilment: ManualFulfilment


def open_fulfilment(order: Order) -> None:
    """A paid manual order waits for an admin (inside the paid transaction; once per order)."""
    database.execute_sql('INSERT OR IGNORE INTO "manual_fulfilment" (order_id, state, created_at) VALUES (?, ?, ?)',
                         (order.id, WAITING, utcnow()))


def get(order_id: int) -> ManualFulfilment | None:
    return ManualFulfilment.get_or_none(ManualFulfilment.order == order_id)


def _decide(order_id: int, admin_id: int, **decision: object) -> bool:
    """The claim: only the caller whose UPDATE moves the row from ``waiting`` decides (inside a transaction)."""
    now = utcnow()
    return (ManualFulfilment.update(admin_id=admin_id, decided_at=now, tell_claimed_at=now, **decision)
            .where((ManualFulfilment.order == order_id) & (ManualFulfilment.state == WAITING)).execute()) == 1


def complete(admin_id: int, order_id: int, reply_text: str | None = None, file_id: str | None = None,
             file_kind: str | None = None) -> Decision:
    """Mark the order done; the reply (a text, a file, both or neither) goes to the buyer."""
    with immediate():
        order = Order.get_by_id(order_id)
        won = _decide(order_id, admin_id, state=COMPLETED, reply_text=reply_text or None,
                      reply_file_id=file_id, reply_file_kind=file_kind if file_id else None)
        if won:
            for item in orders.items(order):
                orders.count_sold(item.product_id, item.quantity)
            audit.record("manual.complete", actor_id=admin_id, subject=f"order:{order.invoice_id}",
                         before={"state": WAITING},
                         after={"state": COMPLETED, "reply": bool(reply_text), "file": bool(file_id)})
    return Decision(won, get(order_id))


def reject(admin_id: int, order_id: int, reason: str) -> Decision:
    """Refuse the order and refund what the buyer paid to their balance, once.

    Raises :class:`~quickcart.refunds.RefundRefused` (and decides nothing)
    when the order was refunded another way before (``/refund``).
    """
    with immediate():
        order = Order.get_by_id(order_id)
        won = _decide(order_id, admin_id, state=REJECTED, reason=reason, refund_amount=order.total_bill)
        if won:
            refunds.refund(admin_id, order, order.total_bill,
                           speaker().plain("ledger.manual_refund_note", invoice=order.invoice_id))
            audit.record("manual.reject", actor_id=admin_id, subject=f"order:{order.invoice_id}",
                         before={"state": WAITING},
                         after={"state": REJECTED, "refund": order.total_bill}, detail=reason)
    return Decision(won, get(order_id))


def claim_reminders(sla: timedelta, limit: int = 20, now: datetime | None = None) -> list[Order]:
    """Orders waiting longer than ``sla`` whose admins were not reminded within ``sla``; each claimed once."""
    now = now or utcnow()
    due = now - sla
    candidates = [row[0] for row in ManualFulfilment.select(ManualFulfilment.order)
                  .where((ManualFulfilment.state == WAITING) & (ManualFulfilment.created_at < due)
                         & (ManualFulfilment.reminded_at.is_null() | (ManualFulfilment.reminded_at < due)))
                  .order_by(ManualFulfilment.created_at).limit(limit).tuples()]
    claimed = []
    for order_id in candidates:
        if ManualFulfilment.update(reminded_at=now).where(
                (ManualFulfilment.order == order_id) & (ManualFulfilment.state == WAITING)
                & (ManualFulfilment.reminded_at.is_null() | (ManualFulfilment.reminded_at < due))).execute() == 1:
            claimed.append(Order.get_by_id(order_id))
    return claimed


def paid_without_fulfilment() -> list[str]:
    """Invoices of paid manual orders that have no fulfilment row (check-data: should be none)."""
    return [invoice for (invoice,) in Order.select(Order.invoice_id)
            .join(ManualFulfilment, on=(ManualFulfilment.order == Order.id), join_type=JOIN.LEFT_OUTER)
            .where((Order.status == PAID) & (Order.settlement == MANUAL) & ManualFulfilment.id.is_null()).tuples()]

"""Refunds: what a customer paid for an order, given back to their balance by an admin.

The rules, checked in the transaction that credits the balance:

- only a paid purchase is refunded; a top-up is already on the balance, and
  a purchase settled by crediting the balance (paid late with no stock left,
  or a mismatch an admin credited) has been given back already;
- at most what the customer paid for it (``total_bill``: the QRIS fee
  included, since they paid it too) — the whole of it when no amount is
  given;
- **once per order**: a partial refund is the order's refund, and no second
  one follows. The ledger's unique index on (order, reason) keeps that true
  whatever races.

The credit is a ledger row with reason ``refund`` (:mod:`quickcart.balance`)
and an audit row, in one transaction. Goods already delivered stay
delivered: a refund gives money back, it does not take lines back.

Other features hook in with :data:`AFTER_REFUND`: each callback gets the
:class:`Refund` inside the refund's transaction, after the credit, so what
it changes commits (or rolls back) with the refund — promotions give back a
voucher use and reverse a referral reward there. A callback that raises
undoes the refund.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from peewee import IntegrityError

from quickcart import audit, balance
from quickcart.db import immediate
from quickcart.models import CREDITED, PAID, LedgerEntry, Order


class Refusal(Enum):
    NOT_PAID = "not_paid"
    TOPUP = "topup"
    CREDITED = "credited"
    TOO_MUCH = "too_much"
    ALREADY = "already"


class RefundRefused(Exception):
    """The order cannot be refunded (``why``); ``previous`` is its refund when it has one."""

    def __init__(self, why: Refusal, order: Order, previous: LedgerEntry | None = None):
        super().__init__(f"{order.invoice_id}: {why.value}")
        self.why = why
        self.order = order
        self.previous = previous


@dataclass(frozen=True)
class Refund:
    order: Order
    amount: int
    entry: LedgerEntry  # the balance credit
    admin_id: int | None
    reason: str


# Called inside the refund's transaction, after the credit (see the module docstring).
AFTER_REFUND: list[Callable[[Refund], None]] = []


def previous_refund(order: Order) -> LedgerEntry | None:
    """The order's refund, if it had one."""
    return LedgerEntry.get_or_none((LedgerEntry.order == order.id) & (LedgerEntry.reason == balance.REFUND))


def refundable(order: Order) -> int:
    """The most a refund of ``order`` may give back (what was paid)."""
    return order.total_bill


def _check(order: Order, amount: int) -> None:
    if order.status != PAID:
        raise RefundRefused(Refusal.NOT_PAID, order)
    if not order.is_purchase:
        raise RefundRefused(Refusal.TOPUP, order)
    if order.settlement == CREDITED:
        raise RefundRefused(Refusal.CREDITED, order)
    previous = previous_refund(order)
    if previous is not None:
        raise RefundRefused(Refusal.ALREADY, order, previous)
    if amount > refundable(order):
        raise RefundRefused(Refusal.TOO_MUCH, order)


def refund(admin_id: int | None, order: Order, amount: int | None = None, reason: str = "") -> Refund:
    """Credit ``amount`` (default: everything paid) of ``order`` to its buyer's balance, once.

    Raises :class:`RefundRefused` and changes nothing when the rules above say no.
    """
    with immediate():
        current = Order.get_by_id(order.id)
        amount = refundable(current) if amount is None else amount
        if amount <= 0:
            raise ValueError("a refund gives back a positive amount")
        _check(current, amount)
        before = balance.current(current.user_id)
        try:
            with immediate():  # a savepoint: a refund that slipped in first is a refusal, not an error
                entry = balance.apply(current.user_id, amount, balance.REFUND, order=current, admin_id=admin_id,
                                      note=reason)
        except IntegrityError:
            raise RefundRefused(Refusal.ALREADY, current, previous_refund(current)) from None
        audit.record("order.refund", actor_id=admin_id, subject=f"order:{current.invoice_id}",
                     before={"balance": before}, after={"balance": entry.balance_after, "refunded": amount},
                     detail=reason)
        done = Refund(order=current, amount=amount, entry=entry, admin_id=admin_id, reason=reason)
        for hook in AFTER_REFUND:
            hook(done)
    return done

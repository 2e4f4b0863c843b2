"""Promo codes: what a code takes off a purchase, who may use it, and its uses counted exactly once.

A code's use moves with the order that carries it, in the transactions that
move the order:

- **held** when the order is created (:func:`claim`, inside the order's
  creation transaction): the quota is a conditional UPDATE of the code's
  counters whose row count is checked, and a customer's own uses are counted
  in that same transaction (``BEGIN IMMEDIATE`` serializes writers), so ten
  customers racing for the last use make exactly one discounted order;
- **released** when the order closes unpaid (:func:`released`, from
  ``orders.close``: expiry, Batalkan, a failed or abandoned checkout);
- **counted** when the order is paid and its goods sold to it
  (:func:`settled`, from ``PaymentService._settle_locked``) — delivered, or
  a manual order handed to the admins; a payment settled by crediting the
  balance gives the use back, since the customer got their money back;
- **given back** by a refund of the order (:data:`refunds.AFTER_REFUND`).

The order carries its discount (``Order.discount``; ``Order.subtotal`` is
the items' prices less it): a payment that arrives after the code ended,
ran out or was edited keeps the price the customer was shown. Codes are
never for top-ups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from peewee import JOIN, fn

from quickcart import audit, refunds
from quickcart.balance import REFUND
from quickcart.db import immediate
from quickcart.models import DELIVERED, MANUAL, PAID, PENDING, PERCENT, LedgerEntry, Order, Product, Promo, User
from quickcart.timeutil import utcnow

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
KINDS = (PERCENT, "fixed")
# How a paid purchase was settled when the customer keeps what they paid for: its goods sold to it, or (a manual
# product) in the admins' hands. Not a credit: then the money went back to their balance.
SOLD = (DELIVERED, MANUAL)


class Refusal(Enum):
    """Why a code does not apply (the customer is told)."""
    UNKNOWN = "unknown"  # no such code, or switched off
    NOT_STARTED = "not_started"
    ENDED = "ended"
    MIN_SPEND = "min_spend"
    PRODUCT = "product"  # for another product
    CATEGORY = "category"  # for another category
    RESELLERS = "resellers"  # not for resellers
    USED_UP = "used_up"
    PER_USER = "per_user"  # this customer used it as often as allowed
    NOTHING_OFF = "nothing_off"  # it would take nothing off this order


class PromoRefused(Exception):
    def __init__(self, why: Refusal, promo: Promo | None = None):
        super().__init__(why.value)
        self.why = why
        self.promo = promo


class PromoError(ValueError):
    """An admin's promo command that breaks a rule: ``key`` (in the catalogue) says which, ``values`` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


def normal_code(text: str) -> str:
    return text.strip().upper()


def find(code: str) -> Promo | None:
    return Promo.get_or_none(Promo.code == normal_code(code))


def discount_for(promo: Promo, subtotal: int) -> int:
    """What ``promo`` takes off ``subtotal`` (whole rupiah, rounded down); never the whole of it."""
    off = subtotal * promo.value // 100 if promo.kind == PERCENT else promo.value
    if promo.max_discount is not None:
        off = min(off, promo.max_discount)
    return max(0, min(off, subtotal - 1))


def _check_rules(promo: Promo | None, user: User, product: Product, subtotal: int, now: datetime) -> Promo:
    """Everything but the counts: when, what, for whom, how much."""
    if promo is None or not promo.is_active:
        raise PromoRefused(Refusal.UNKNOWN, promo)
    if promo.starts_at is not None and now < promo.starts_at:
        raise PromoRefused(Refusal.NOT_STARTED, promo)
    if promo.ends_at is not None and now >= promo.ends_at:
        raise PromoRefused(Refusal.ENDED, promo)
    if promo.product_id is not None and promo.product_id != product.id:
        raise PromoRefused(Refusal.PRODUCT, promo)
    if promo.category is not None and promo.category.casefold() != product.category.casefold():
        raise PromoRefused(Refusal.CATEGORY, promo)
    if user.is_reseller and not promo.resellers:
        raise PromoRefused(Refusal.RESELLERS, promo)
    if subtotal < promo.min_spend:
        raise PromoRefused(Refusal.MIN_SPEND, promo)
    if discount_for(promo, subtotal) <= 0:
        raise PromoRefused(Refusal.NOTHING_OFF, promo)
    return promo


def _not_refunded():
    return Order.id.not_in(LedgerEntry.select(LedgerEntry.order).where(
        (LedgerEntry.reason == REFUND) & LedgerEntry.order.is_null(False)))


def _counted_orders():
    """Orders whose use counts: paid and sold (:data:`SOLD`), and not refunded."""
    return (Order.status == PAID) & Order.settlement.in_(SOLD) & _not_refunded()


def uses_by(promo: Promo, user_id: int) -> int:
    """The customer's orders holding or having used ``promo``."""
    return Order.select().where((Order.user == user_id) & (Order.promo == promo.id)
                                & ((Order.status == PENDING) | _counted_orders())).count()


def offered() -> bool:
    """Whether any code could still apply (enabled, not ended): the summary offers its button only then."""
    return Promo.select().where(Promo.is_active & (Promo.ends_at.is_null() | (Promo.ends_at > utcnow()))).exists()


def check(code: str, user: User, product: Product, quantity: int) -> Promo:
    """The code for the summary, or :class:`PromoRefused` saying why not. Reads only; :func:`claim` decides."""
    return _usable(find(code), user, product, quantity)


def check_id(promo_id: int, user: User, product: Product, quantity: int) -> Promo:
    """:func:`check` for a code already applied (a summary shown again)."""
    return _usable(Promo.get_or_none(Promo.id == promo_id), user, product, quantity)


def _usable(promo: Promo | None, user: User, product: Product, quantity: int) -> Promo:
    promo = _check_rules(promo, user, product, product.price_for(user) * quantity, utcnow())
    if promo.quota is not None and promo.taken >= promo.quota:
        raise PromoRefused(Refusal.USED_UP, promo)
    if promo.per_user is not None and uses_by(promo, user.id) >= promo.per_user:
        raise PromoRefused(Refusal.PER_USER, promo)
    return promo


def claim(promo_id: int, user: User, product: Product, subtotal: int) -> Promo:
    """Hold one use of the code for an order being created (inside that order's transaction).

    Raises :class:`PromoRefused`; the transaction it is in is then rolled
    back, so nothing is held.
    """
    promo = _check_rules(Promo.get_or_none(Promo.id == promo_id), user, product, subtotal, utcnow())
    if promo.per_user is not None and uses_by(promo, user.id) >= promo.per_user:
        raise PromoRefused(Refusal.PER_USER, promo)
    held = (Promo.update(held=Promo.held + 1)
            .where((Promo.id == promo.id) & Promo.is_active
                   & (Promo.quota.is_null() | (Promo.held + Promo.used < Promo.quota))).execute())
    if held != 1:
        raise PromoRefused(Refusal.USED_UP, promo)
    return promo


def released(order: Order) -> None:
    """The order closed unpaid: its use goes back (inside the closing transaction)."""
    if order.promo_id is not None:
        Promo.update(held=Promo.held - 1).where(Promo.id == order.promo_id).execute()


def settled(order: Order, was_pending: bool, sold: bool) -> None:
    """The order was paid (inside the settling transaction): its use counts if it was sold (:data:`SOLD`).

    A late payment (``was_pending`` False) had its use released when it
    closed, and counts again now, whatever the quota: the customer paid the
    price they were shown.
    """
    if order.promo_id is None:
        return
    Promo.update(held=Promo.held - (1 if was_pending else 0), used=Promo.used + (1 if sold else 0)).where(
        Promo.id == order.promo_id).execute()


def _given_back(refund: refunds.Refund) -> None:
    """A refund gives the order's use back (inside the refund's transaction)."""
    order = refund.order
    if order.promo_id is not None and order.settlement in SOLD:
        Promo.update(used=Promo.used - 1).where(Promo.id == order.promo_id).execute()


if _given_back not in refunds.AFTER_REFUND:
    refunds.AFTER_REFUND.append(_given_back)


# --- the admins' side --------------------------------------------------------------------

# What an admin may set on a code, besides its kind and value.
OPTIONS = ("min_spend", "max_discount", "product", "category", "quota", "per_user", "starts_at", "ends_at",
           "resellers")


def _snapshot(promo: Promo) -> dict:
    return {"kind": promo.kind, "value": promo.value, **{name: getattr(promo, name) for name in OPTIONS
                                                         if name != "product"},
            "product": promo.product_id, "active": promo.is_active}


def _validated(fields: dict) -> dict:
    """The fields with a product's id checked, a category named as the shop names it; or PromoError."""
    fields = dict(fields)
    if fields.get("kind") == PERCENT and not 1 <= fields.get("value", 1) <= 100:
        raise PromoError("admin.reason.promo_percent_range", value=fields["value"])
    if fields.get("product") is not None and fields.get("category") is not None:
        raise PromoError("admin.reason.promo_product_or_category")
    if fields.get("product") is not None:
        product = Product.get_or_none((Product.id == fields["product"]) & Product.deleted_at.is_null())
        if product is None:
            raise PromoError("admin.reason.no_such_product", id=fields["product"])
    if fields.get("category") is not None:
        wanted = fields["category"].casefold()
        names = [name for (name,) in Product.select(Product.category).where(Product.deleted_at.is_null())
                 .distinct().tuples() if name.casefold() == wanted]
        if not names:
            raise PromoError("admin.reason.no_such_category", category=fields["category"])
        fields["category"] = names[0]
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise PromoError("admin.reason.promo_ends_before_start")
    return fields


def _columns(fields: dict) -> dict:
    """The promo's columns for validated fields (no minimum spend is 0; resellers may use a code unless told)."""
    columns = {name: fields.get(name) for name in ("kind", "value", *OPTIONS)}
    columns["min_spend"] = columns["min_spend"] or 0
    columns["resellers"] = True if columns["resellers"] is None else columns["resellers"]
    return columns


def add(admin_id: int, code: str, kind: str, value: int, options: dict) -> Promo:
    """A new code; ``options`` are :data:`OPTIONS` (unset ones take their defaults). Audited."""
    code = normal_code(code)
    fields = _validated({"kind": kind, "value": value, **options})
    with immediate():
        if find(code) is not None:
            raise PromoError("admin.reason.promo_code_taken", code=code)
        promo = Promo.create(code=code, **_columns(fields))
        audit.record("promo.add", actor_id=admin_id, subject=f"promo:{code}", after=_snapshot(promo))
    return promo


def edit(admin_id: int, code: str, changes: dict) -> Promo:
    """Change a code (``changes``: ``kind``, ``value``, ``active`` or :data:`OPTIONS`; None clears one). Audited.

    A product replaces the category it was for, and the other way round.
    Orders already made keep the discount they were shown.
    """
    with immediate():
        promo = find(code)
        if promo is None:
            raise PromoError("admin.reason.promo_unknown", code=normal_code(code))
        before = _snapshot(promo)
        current = {"kind": promo.kind, "value": promo.value, "product": promo.product_id,
                   **{name: getattr(promo, name) for name in OPTIONS if name != "product"}}
        merged = {**current, **{name: value for name, value in changes.items() if name != "active"}}
        if changes.get("product") is not None and "category" not in changes:
            merged["category"] = None
        if changes.get("category") is not None and "product" not in changes:
            merged["product"] = None
        columns = _columns(_validated(merged))
        if "active" in changes:
            columns["is_active"] = changes["active"]
        Promo.update(updated_at=utcnow(), **columns).where(Promo.id == promo.id).execute()
        promo = Promo.get_by_id(promo.id)
        audit.record("promo.edit", actor_id=admin_id, subject=f"promo:{promo.code}", before=before,
                     after=_snapshot(promo))
    return promo


def disable(admin_id: int, code: str) -> tuple[Promo, bool]:
    """Switch a code off (unpaid orders that hold it keep their price); False when it was off already."""
    with immediate():
        promo = find(code)
        if promo is None:
            raise PromoError("admin.reason.promo_unknown", code=normal_code(code))
        changed = Promo.update(is_active=False, updated_at=utcnow()).where(
            (Promo.id == promo.id) & Promo.is_active).execute() == 1
        if changed:
            audit.record("promo.disable", actor_id=admin_id, subject=f"promo:{promo.code}",
                         before={"active": True}, after={"active": False})
    return Promo.get_by_id(promo.id), changed


@dataclass(frozen=True)
class PromoFigures:
    promo: Promo
    uses: int  # paid orders with it, delivered and not refunded
    discount: int  # what it took off them
    revenue: int  # what they brought (their subtotals)


def figures() -> list[PromoFigures]:
    """Every code with what it did, switched-on ones first, newest first."""
    counted = {promo_id: (uses, discount, revenue) for promo_id, uses, discount, revenue in
               Order.select(Order.promo, fn.COUNT(Order.id), fn.SUM(Order.discount), fn.SUM(Order.subtotal))
               .where(Order.promo.is_null(False) & _counted_orders()).group_by(Order.promo).tuples()}
    promos = (Promo.select(Promo, Product).join(Product, JOIN.LEFT_OUTER)  # the product each is for, in one query
              .order_by(Promo.is_active.desc(), Promo.id.desc()))
    return [PromoFigures(promo, *(int(figure or 0) for figure in counted.get(promo.id, (0, 0, 0))))
            for promo in promos]


def counter_drift() -> list[tuple[str, str, int, int]]:
    """Codes whose counters differ from their orders (should be none): (code, counter, stored, counted).

    ``held`` counts the pending orders with the code; ``used`` the paid ones
    delivered and not refunded.
    """
    pending = dict(Order.select(Order.promo, fn.COUNT(Order.id))
                   .where(Order.promo.is_null(False) & (Order.status == PENDING)).group_by(Order.promo).tuples())
    counted = dict(Order.select(Order.promo, fn.COUNT(Order.id))
                   .where(Order.promo.is_null(False) & _counted_orders()).group_by(Order.promo).tuples())
    drift = []
    for promo in Promo.select(Promo.id, Promo.code, Promo.held, Promo.used):
        if promo.held != pending.get(promo.id, 0):
            drift.append((promo.code, "held", promo.held, pending.get(promo.id, 0)))
        if promo.used != counted.get(promo.id, 0):
            drift.append((promo.code, "used", promo.used, counted.get(promo.id, 0)))
    return drift

"""Orders: creation with their reservation, lookups, history, closing.

An order and its reserved stock are created in one IMMEDIATE transaction:
either the customer holds the lines and a pending order exists, or neither.
The Pakasir transaction is created afterwards, outside any transaction; if
that fails the order is closed and the lines go back (:func:`close`).
"""
from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from peewee import IntegrityError, fn

from quickcart import audit, buyer_fields, catalogue, promotions, stock
from quickcart.db import immediate
from quickcart.gateways.base import Payment
from quickcart.models import (
    CANCELLED,
    DELIVERED,
    EXPIRED,
    FREE,
    MANUAL_KIND,
    PAID,
    PENDING,
    PURCHASE,
    QRIS,
    STOCK,
    TOPUP,
    UNLIMITED,
    Order,
    OrderItem,
    Product,
    Promo,
    User,
)
from quickcart.money import qris_fee
from quickcart.timeutil import jakarta_today, utcnow

HISTORY_PER_PAGE = 8
_INVOICE_ALPHABET = string.ascii_uppercase + string.digits


class ProductUnavailable(Exception):
    """The product is gone, inactive, or the quantity is out of bounds."""


class PriceChanged(Exception):
    """The price is no longer the one the customer was shown; ``subtotal`` is the new one."""

    def __init__(self, subtotal: int):
        super().__init__(f"subtotal is now {subtotal}")
        self.subtotal = subtotal


class BelowGatewayMinimum(Exception):
    """The QRIS amount would be below what Pakasir accepts."""

    def __init__(self, amount: int, minimum: int):
        super().__init__(f"amount {amount} below {minimum}")
        self.amount = amount
        self.minimum = minimum


class TooManyPending(Exception):
    """The customer already holds the most unpaid QRIS orders allowed; ``open`` lists them."""

    def __init__(self, open_orders: list[Order]):
        super().__init__(f"{len(open_orders)} unpaid orders")
        self.open = open_orders


class FieldsInvalid(Exception):
    """The buyer's field values no longer fit the product's fields (an admin changed them): ask again."""


class DuplicateCheckout(Exception):
    """This checkout button was already used; ``order`` is what it made."""

    def __init__(self, order: Order):
        super().__init__(order.invoice_id)
        self.order = order


@dataclass(frozen=True)
class FeePolicy:
    percent_bp: int
    flat: int

    def fee(self, amount: int) -> int:
        return qris_fee(amount, self.percent_bp, self.flat)


@dataclass(frozen=True)
class Quote:
    """What a purchase costs: shown on the summary and charged at checkout, from this one place."""
    price: int  # per unit, for the buyer's tier
    quantity: int
    subtotal: int  # price × quantity
    fee: int  # the QRIS fee, on what is charged for the goods (0 from the balance)
    discount: int = 0  # what a promo code takes off the subtotal
    promo: Promo | None = None

    @property
    def charged(self) -> int:
        """What the goods cost the buyer: the order's subtotal, and what its pay buttons carry."""
        return self.subtotal - self.discount

    @property
    def total(self) -> int:
        return self.charged + self.fee


def quote(product: Product, user: User, quantity: int, fees: FeePolicy, method: str = QRIS,
          promo: Promo | None = None) -> Quote:
    """``promo`` is a code already checked for this purchase (:mod:`quickcart.promotions`)."""
    price = product.price_for(user)
    subtotal = price * quantity
    discount = promotions.discount_for(promo, subtotal) if promo is not None else 0
    charged = subtotal - discount
    return Quote(price, quantity, subtotal, fees.fee(charged) if method == QRIS and charged else 0, discount, promo)


def new_invoice_id() -> str:
    """``TRX`` + Jakarta date + 6 random characters, e.g. ``TRX20241228ABC123``."""
    suffix = "".join(secrets.choice(_INVOICE_ALPHABET) for _ in range(6))
    return f"TRX{jakarta_today():%Y%m%d}{suffix}"


def _create_order(**fields) -> Order:
    """Insert an order with a fresh invoice id (inside a transaction)."""
    for _ in range(5):
        try:
            with immediate():  # a savepoint: a collision rolls back only this insert
                return Order.create(invoice_id=new_invoice_id(), **fields)
        except IntegrityError as exc:
            if "invoice_id" not in str(exc):
                raise
    raise RuntimeError("could not find a free invoice id")


def _existing_checkout(token: str | None) -> Order | None:
    return Order.get_or_none(Order.checkout_token == token) if token else None


def open_qris_orders(user_id: int) -> list[Order]:
    """The customer's unpaid QRIS orders that have a QR (oldest first)."""
    return list(Order.select().where((Order.user == user_id) & (Order.status == PENDING)
                                     & (Order.payment_method == QRIS) & Order.payment_number.is_null(False))
                .order_by(Order.id))


def _guard_checkout(user: User, checkout_token: str | None, max_pending: int | None) -> None:
    """Refusals shared by every checkout (inside the checkout's transaction)."""
    existing = _existing_checkout(checkout_token)
    if existing is not None:
        raise DuplicateCheckout(existing)
    if max_pending is not None:
        held = open_qris_orders(user.id)
        if len(held) >= max_pending:
            raise TooManyPending(held)


def create_purchase(user: User, product_id: int, quantity: int, *, method: str, fees: FeePolicy,
                    ttl_minutes: int, max_quantity: int, chat_id: int,
                    checkout_token: str | None = None, quoted_subtotal: int | None = None,
                    max_pending: int | None = None, minimum_amount: int = 1,
                    fields: list[str] | None = None, promo_id: int | None = None) -> Order:
    """Create a pending purchase and reserve its lines, atomically.

    By the product's kind: a ``stock`` product reserves its lines; an
    ``unlimited`` one reserves nothing (its content is never short); a
    ``manual`` one keeps the buyer's ``fields`` with the order, checked again
    against the product's fields (:class:`FieldsInvalid` if they no longer fit).
    A free item is claimed (:func:`claim_free`), never bought.

    ``quoted_subtotal`` is what the customer was shown to pay for the goods
    (after the discount of ``promo_id``'s code, if any): when the price,
    their tier or the code's discount changed since, :class:`PriceChanged`
    is raised and nothing is made, so nobody pays a price they never saw.
    A code's use is held in this same transaction
    (:func:`quickcart.promotions.claim`); one that no longer applies raises
    :class:`~quickcart.promotions.PromoRefused`. ``max_pending`` caps the
    unpaid QRIS orders one customer may hold; ``minimum_amount`` is the
    smallest QRIS amount the gateway accepts. Also raises
    :class:`ProductUnavailable`, :class:`~quickcart.stock.StockShort`
    (nothing reserved), :class:`BelowGatewayMinimum`, :class:`TooManyPending`,
    or :class:`DuplicateCheckout` when the same checkout button was pressed
    before.
    """
    if not 1 <= quantity <= max_quantity:
        raise ProductUnavailable(f"quantity {quantity} out of bounds")
    with immediate():
        _guard_checkout(user, checkout_token, max_pending if method == QRIS else None)
        product = Product.get_or_none((Product.id == product_id) & Product.is_active)
        if product is None or not catalogue.has_goods(product) and product.kind != STOCK:
            raise ProductUnavailable(f"product {product_id} unavailable")
        if product.kind != STOCK and quantity > product.max_quantity:
            raise ProductUnavailable(f"quantity {quantity} above the product's {product.max_quantity}")
        user = User.get_by_id(user.id)  # the tier as it is now, not as the button saw it
        promo = (promotions.claim(promo_id, user, product, product.price_for(user) * quantity)
                 if promo_id is not None else None)
        cost = quote(product, user, quantity, fees, method, promo)
        if quoted_subtotal is not None and cost.charged != quoted_subtotal:
            raise PriceChanged(cost.charged)
        if cost.subtotal == 0:
            raise ProductUnavailable(f"product {product_id} is free: claimed, not bought")
        if method == QRIS and cost.total < minimum_amount:
            raise BelowGatewayMinimum(cost.total, minimum_amount)
        wanted = buyer_fields.load(product.fields_spec) if product.kind == MANUAL_KIND else []
        if wanted and not buyer_fields.all_accepted(wanted, fields or []):
            raise FieldsInvalid(product.name)
        order = _create_order(
            user=user.id, kind=PURCHASE, subtotal=cost.charged, fee=cost.fee, gateway_amount=cost.total,
            total_bill=cost.total, payment_method=method, status=PENDING, chat_id=chat_id,
            checkout_token=checkout_token, promo=promo, discount=cost.discount,
            expires_at=utcnow() + timedelta(minutes=ttl_minutes) if method == QRIS else None)
        OrderItem.create(order=order, product=product, product_name=product.name,
                         product_name_en=product.name_en, quantity=quantity, price_per_unit=cost.price,
                         kind=product.kind, warranty_days=product.warranty_days if product.kind == STOCK else 0)
        if product.kind == STOCK:
            stock.reserve(product, quantity, order)
        elif wanted:
            buyer_fields.save(order, wanted, list(fields or []))
    return order


def free_claim_token(user_id: int, product_id: int) -> str:
    """The checkout token of a free claim: the unique index on it makes one claim per customer and product."""
    return f"free-{user_id}-{product_id}"


def claim_free(user: User, product_id: int, chat_id: int) -> Order:
    """A free item, claimed: a paid order of 0 with nothing to pay, one per customer and product.

    Raises :class:`DuplicateCheckout` with the earlier order for a second
    claim (a double tap included), :class:`ProductUnavailable` when the
    product is not a free unlimited one (for this customer's tier) now.
    """
    token = free_claim_token(user.id, product_id)
    with immediate():
        existing = _existing_checkout(token)
        if existing is not None:
            raise DuplicateCheckout(existing)
        product = Product.get_or_none((Product.id == product_id) & Product.is_active)
        user = User.get_by_id(user.id)
        if (product is None or product.kind != UNLIMITED or not catalogue.has_goods(product)
                or product.price_for(user) != 0):
            raise ProductUnavailable(f"product {product_id} is not free now")
        now = utcnow()
        order = _create_order(
            user=user.id, kind=PURCHASE, subtotal=0, fee=0, gateway_amount=0, total_bill=0, payment_method=FREE,
            status=PAID, chat_id=chat_id, checkout_token=token, paid_at=now, settlement=DELIVERED,
            delivery_claimed_at=now)
        OrderItem.create(order=order, product=product, product_name=product.name, product_name_en=product.name_en,
                         quantity=1, price_per_unit=0, kind=UNLIMITED)
        count_sold(product.id, 1)
        audit.record("order.free_claim", subject=f"order:{order.invoice_id}",
                     after={"status": PAID, "product": product.id, "user": user.id})
    return order


def count_sold(product_id: int, units: int) -> None:
    """Units of a product sold without stock lines (unlimited, manual) count as sold too (inside a transaction)."""
    Product.update(sold_count=Product.sold_count + units, updated_at=utcnow()).where(
        Product.id == product_id).execute()


def create_topup(user: User, amount: int, *, fees: FeePolicy, ttl_minutes: int, chat_id: int,
                 checkout_token: str | None = None, max_pending: int | None = None,
                 minimum_amount: int = 1) -> Order:
    """A pending balance top-up of ``amount``; the customer pays amount + fee."""
    with immediate():
        _guard_checkout(user, checkout_token, max_pending)
        fee = fees.fee(amount)
        if amount + fee < minimum_amount:
            raise BelowGatewayMinimum(amount + fee, minimum_amount)
        return _create_order(
            user=user.id, kind=TOPUP, subtotal=amount, fee=fee, gateway_amount=amount + fee,
            total_bill=amount + fee, payment_method=QRIS, status=PENDING, chat_id=chat_id,
            checkout_token=checkout_token, expires_at=utcnow() + timedelta(minutes=ttl_minutes))


def attach_payment(order: Order, payment: Payment, qr_message_id: int | None = None) -> Order:
    """Record Pakasir's answer: the QR string, its fee, and what the QR charges."""
    expires_at = order.expires_at
    if payment.expired_at is not None and expires_at is not None:
        expires_at = min(expires_at, payment.expired_at)
    Order.update(payment_number=payment.payment_number, gateway_fee=payment.fee, gateway=payment.gateway,
                 total_bill=payment.total_payment, expires_at=expires_at, updated_at=utcnow()).where(
        Order.id == order.id).execute()
    return Order.get_by_id(order.id)


def set_qr_message(order: Order, message_id: int) -> None:
    Order.update(qr_message_id=message_id).where(Order.id == order.id).execute()


def close(order: Order, status: str) -> bool:
    """Expire or cancel a pending order and release its lines (and its promo code's use).

    Returns False (and changes nothing) when the order was no longer
    pending, for example because it was paid a moment ago.
    """
    if status not in (EXPIRED, CANCELLED):
        raise ValueError(status)
    now = utcnow()
    with immediate():
        closed = (Order.update(status=status, closed_at=now, updated_at=now)
                  .where((Order.id == order.id) & (Order.status == PENDING)).execute())
        if closed != 1:
            return False
        stock.release(order)
        promotions.released(order)
    return True


def get(order_id: int) -> Order | None:
    return Order.get_or_none(Order.id == order_id)


def by_invoice(invoice_id: str) -> Order | None:
    return Order.get_or_none(Order.invoice_id == invoice_id.strip().upper())


def owned(order_id: int, user_id: int) -> Order | None:
    """The order if it belongs to that user (a button press is never trusted)."""
    return Order.get_or_none((Order.id == order_id) & (Order.user == user_id))


def items(order: Order) -> list[OrderItem]:
    return list(OrderItem.select().where(OrderItem.order == order.id).order_by(OrderItem.id))


def history(user: User, page: int, per_page: int = HISTORY_PER_PAGE) -> tuple[list[Order], int, int]:
    """A page of the user's orders, newest first: (orders, page, pages)."""
    total = Order.select().where(Order.user == user.id).count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    rows = list(Order.select().where(Order.user == user.id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(per_page).offset(page * per_page))
    return rows, page, pages


def first_items(orders: list[Order]) -> dict[int, OrderItem]:
    """An item (its names and quantity) of each purchase in ``orders``, in one query, for lists."""
    if not orders:
        return {}
    rows = (OrderItem.select(OrderItem.order, OrderItem.product_name, OrderItem.product_name_en, OrderItem.quantity)
            .where(OrderItem.order.in_([order.id for order in orders])))
    return {item.order_id: item for item in rows}


def pending_qris(limit: int, checked_before=None) -> list[Order]:
    """Pending QRIS orders with a QR and no mismatch, least recently checked first."""
    query = Order.select().where((Order.status == PENDING) & (Order.payment_method == QRIS)
                                 & Order.payment_number.is_null(False) & Order.mismatch.is_null())
    if checked_before is not None:
        query = query.where(Order.last_checked_at.is_null() | (Order.last_checked_at < checked_before))
    return list(query.order_by(Order.last_checked_at.asc(nulls="first"), Order.id).limit(limit))


def past_expiry(now, limit: int) -> list[Order]:
    """Pending QRIS orders past their expiry (the ones with a QR first in line by age)."""
    return list(Order.select().where((Order.status == PENDING) & (Order.payment_method == QRIS)
                                     & (Order.expires_at < now))
                .order_by(Order.expires_at, Order.id).limit(limit))


def abandoned_checkouts(created_before, limit: int) -> list[Order]:
    """Pending QRIS orders that never got a QR: the process stopped mid-checkout."""
    return list(Order.select().where((Order.status == PENDING) & (Order.payment_method == QRIS)
                                     & Order.payment_number.is_null()
                                     & (Order.created_at < created_before))
                .order_by(Order.id).limit(limit))


def recently_closed(closed_after, checked_before, limit: int) -> list[Order]:
    """Expired or cancelled QRIS orders still watched for a late payment."""
    return list(Order.select().where(Order.status.in_([EXPIRED, CANCELLED])
                                     & Order.payment_number.is_null(False) & Order.mismatch.is_null()
                                     & (Order.closed_at > closed_after)
                                     & (Order.last_checked_at.is_null()
                                        | (Order.last_checked_at < checked_before)))
                .order_by(Order.closed_at).limit(limit))


def mark_checked(order: Order) -> None:
    Order.update(last_checked_at=utcnow()).where(Order.id == order.id).execute()


def flag_mismatch(order: Order, detail: str) -> bool:
    """Record a confirmed payment mismatch; True only for the first report (inside a transaction)."""
    return (Order.update(mismatch=detail[:500], updated_at=utcnow())
            .where((Order.id == order.id) & Order.mismatch.is_null()).execute()) == 1


def resolve_mismatch(order: Order, resolution: str) -> bool:
    """Mark a mismatch decided by an admin; True only for the first decision (inside a transaction)."""
    return (Order.update(mismatch_resolution=resolution, updated_at=utcnow())
            .where((Order.id == order.id) & Order.mismatch.is_null(False)
                   & Order.mismatch_resolution.is_null()).execute()) == 1


def purchase_totals(user: User) -> tuple[int, int]:
    """(number of paid purchases, rupiah spent on them) for the profile."""
    row = (Order.select(fn.COUNT(Order.id), fn.COALESCE(fn.SUM(Order.total_bill), 0))
           .where((Order.user == user.id) & (Order.kind == PURCHASE) & (Order.status == PAID))
           .tuples().first())
    return int(row[0]), int(row[1])


"""Payments: checkout, the single confirmation path, closing, and the jobs.

Whatever tells us an order may be paid — the gateway's webhook, the polling job,
the customer's "Status Pembayaran" button, an admin's /recheck — ends in
:meth:`PaymentService.confirm`, which

1. asks the gateway for the transaction (Pakasir: ``transactiondetail``; a
   webhook alone is never trusted),
2. checks that the project, order id and amount are ours; when they are
   not, the order is marked as a mismatch (never delivered automatically)
   and the admins are alerted once,
3. claims the order with a conditional UPDATE whose row count decides which
   caller won (:meth:`_settle_locked`), and in that same transaction sells
   the reserved lines, credits a top-up, or settles a late payment,
4. after the commit, notifies the admins and hands the order to delivery.

So however many paths race, exactly one settles and delivers.

The state of a payment is known only from a definitive answer of the gateway.
A call that failed or timed out tells nothing: an order is closed (and its
lines released) only after the gateway said its transaction can no longer be
paid — cancelled by us, expired or cancelled on its side, or never created.
Until then it stays pending, keeps its lines and is asked about again, for
as long as an outage lasts. A cancel that the gateway refused may mean the
payment landed a moment before, so the order is confirmed again and, if
paid, settled as a normal payment with its own reserved lines.

A payment that arrives after its order was closed is never lost: the goods
are delivered if stock allows, otherwise what the customer paid is credited
to their balance.

Settlement follows each item's kind, in the paid transaction: ``stock`` lines
are sold (or, for a late payment, taken afresh or credited); an ``unlimited``
item has nothing to reserve and is delivered as it is; a ``manual`` order
opens its fulfilment and waits for an admin (:mod:`quickcart.manual`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Protocol

from quickcart import audit, balance, manual, orders, promotions, referrals, stock
from quickcart.config import Config
from quickcart.db import immediate
from quickcart.gateways.base import (
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    PaymentGateway,
    TransactionNotFound,
    TransactionStatus,
)
from quickcart.i18n import speaker
from quickcart.logging_setup import correlation, current_correlation_id
from quickcart.models import (
    BALANCE,
    CANCELLED,
    CREDITED,
    DELIVERED,
    EXPIRED,
    MANUAL,
    MANUAL_KIND,
    PAID,
    PENDING,
    QRIS,
    STOCK,
    Order,
    Product,
    User,
)
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

POLL_BATCH = 100
LATE_WATCH = timedelta(hours=1)  # closed orders are still checked this long for late payments
LATE_CHECK_EVERY = timedelta(minutes=5)
ABANDONED_CHECKOUT = timedelta(minutes=2)  # pending without a QR this long: the process died mid-checkout
RETRY_UNKNOWN_SECONDS = 15.0  # an order the gateway could not be asked about waits this long in the jobs
JOB_WORKERS = 8



class Outcome(Enum):
    PAID = "paid"  # this call settled it
    ALREADY_PAID = "already_paid"
    PENDING = "pending"  # the gateway has not seen the money yet
    CLOSED = "closed"  # expired or cancelled, and not paid
    MISMATCH = "mismatch"  # the gateway's answer is not for our account/order/amount: admins decide
    UNKNOWN = "unknown"  # the gateway could not be asked: nothing is known, nothing changed


class _Answer(Enum):
    """What the gateway said about a transaction, as far as money goes."""
    PAID = "paid"  # settled by this call
    ALREADY_PAID = "already_paid"
    PAYABLE = "payable"  # still open: it can be paid (or cancelled)
    UNPAYABLE = "unpayable"  # cancelled, expired, or never created: it can no longer be paid
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"


_SETTLED = (_Answer.PAID, _Answer.ALREADY_PAID)


class CheckoutFailure(Enum):
    GATEWAY_DOWN = "gateway_down"
    GATEWAY_ERROR = "gateway_error"
    STOCK_SHORT = "stock_short"
    UNAVAILABLE = "unavailable"
    DUPLICATE = "duplicate"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    PRICE_CHANGED = "price_changed"
    BELOW_MINIMUM = "below_minimum"
    TOO_MANY_PENDING = "too_many_pending"
    FIELDS_INVALID = "fields_invalid"
    PROMO_REFUSED = "promo_refused"


@dataclass
class Checkout:
    order: Order | None = None
    failure: CheckoutFailure | None = None
    available: int = 0  # with STOCK_SHORT
    balance: int = 0  # with INSUFFICIENT_BALANCE: what the user has
    needed: int = 0  # and what the purchase costs
    open_orders: tuple[Order, ...] = ()  # with TOO_MANY_PENDING
    promo_refusal: promotions.PromoRefused | None = None  # with PROMO_REFUSED

    @property
    def ok(self) -> bool:
        return self.failure is None


_REFUSALS = (orders.DuplicateCheckout, orders.ProductUnavailable, stock.StockShort,
             balance.InsufficientBalance, orders.PriceChanged, orders.BelowGatewayMinimum,
             orders.TooManyPending, orders.FieldsInvalid, promotions.PromoRefused)


def _refused(refusal: Exception) -> Checkout:
    """Why no order was made, for the customer."""
    if isinstance(refusal, orders.DuplicateCheckout):
        return Checkout(order=refusal.order, failure=CheckoutFailure.DUPLICATE)
    if isinstance(refusal, stock.StockShort):
        return Checkout(failure=CheckoutFailure.STOCK_SHORT, available=refusal.available)
    if isinstance(refusal, balance.InsufficientBalance):
        return Checkout(failure=CheckoutFailure.INSUFFICIENT_BALANCE, balance=refusal.balance,
                        needed=refusal.needed)
    if isinstance(refusal, orders.PriceChanged):
        return Checkout(failure=CheckoutFailure.PRICE_CHANGED, needed=refusal.subtotal)
    if isinstance(refusal, orders.BelowGatewayMinimum):
        return Checkout(failure=CheckoutFailure.BELOW_MINIMUM, needed=refusal.amount)
    if isinstance(refusal, orders.TooManyPending):
        return Checkout(failure=CheckoutFailure.TOO_MANY_PENDING, open_orders=tuple(refusal.open))
    if isinstance(refusal, orders.FieldsInvalid):
        return Checkout(failure=CheckoutFailure.FIELDS_INVALID)
    if isinstance(refusal, promotions.PromoRefused):
        return Checkout(failure=CheckoutFailure.PROMO_REFUSED, promo_refusal=refusal)
    return Checkout(failure=CheckoutFailure.UNAVAILABLE)


class PaymentListener(Protocol):
    """Who hears what the payment domain did, after its commit (notices, delivery, messages)."""

    def order_paid(self, order: Order) -> None:
        """Settled: deliver it and tell the admins (it may be late, credited or a top-up)."""

    def order_closed(self, order: Order) -> None:
        """Expired or cancelled unpaid (or closed as a mismatch for an admin to decide)."""

    def mismatch_found(self, order: Order, transaction: TransactionStatus) -> None:
        """The gateway reported a transaction that does not match the order (first report only)."""

    def mismatch_closed_by_admin(self, order: Order) -> None:
        """An admin closed a mismatched order without delivering it."""

    def gateway_refused(self, order: Order, error: GatewayError) -> None:
        """The gateway refused to create a transaction (a configuration problem, usually)."""


class PaymentService:
    def __init__(self, config: Config, gateway: PaymentGateway, listener: PaymentListener):
        self._config = config
        self._gateway = gateway
        self._listener = listener
        self.fees = orders.FeePolicy(config.payment.fee_percent_bp, config.payment.fee_flat)
        # Orders the jobs could not settle because the gateway could not be
        # asked: skipped until this monotonic time, so that a batch moves on
        # to the others. Cleared when the gateway comes back.
        self._retry_at: dict[int, float] = {}
        self._retry_lock = threading.Lock()
        self._job_pool = ThreadPoolExecutor(max_workers=JOB_WORKERS, thread_name_prefix="payments")

    def stop(self) -> None:
        self._job_pool.shutdown(wait=True)

    # --- checkout -------------------------------------------------------------

    @property
    def gateway(self) -> PaymentGateway:
        return self._gateway

    def gateway_ready(self) -> bool:
        """The gateway's health, probed again (briefly) if it was down."""
        return self._gateway.available()

    def checkout_qris(self, user: User, product_id: int, quantity: int, token: str,
                      chat_id: int, quoted_subtotal: int | None = None, fields: list[str] | None = None,
                      promo_id: int | None = None) -> Checkout:
        """Reserve the goods (and the promo code's use) and open a QRIS payment for them (``fields``: a manual
        product's values)."""
        if not self.gateway_ready():
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN)
        try:
            order = self._create_purchase(user, product_id, quantity, QRIS, token, chat_id, quoted_subtotal, fields,
                                          promo_id)
        except _REFUSALS as refusal:
            return _refused(refusal)
        return self._open_gateway(order)

    def _create_purchase(self, user: User, product_id: int, quantity: int, method: str, token: str,
                         chat_id: int, quoted_subtotal: int | None, fields: list[str] | None,
                         promo_id: int | None) -> Order:
        return orders.create_purchase(
            user, product_id, quantity, method=method, fees=self.fees,
            ttl_minutes=self._config.payment.qr_ttl_minutes,
            max_quantity=self._config.shop.max_quantity, chat_id=chat_id, checkout_token=token,
            quoted_subtotal=quoted_subtotal, max_pending=self._config.shop.max_pending_orders,
            minimum_amount=self._gateway.minimum_amount, fields=fields, promo_id=promo_id)

    def claim_free(self, user: User, product_id: int, chat_id: int) -> Checkout:
        """A free item: an order paid at 0, delivered like any other; a second claim is the first order."""
        try:
            order = orders.claim_free(user, product_id, chat_id)
        except _REFUSALS as refusal:
            return _refused(refusal)
        self._after_paid(order.id)
        return Checkout(order=orders.get(order.id))

    def checkout_topup(self, user: User, amount: int, token: str, chat_id: int) -> Checkout:
        if not self.gateway_ready():
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN)
        try:
            order = orders.create_topup(user, amount, fees=self.fees,
                                        ttl_minutes=self._config.payment.qr_ttl_minutes,
                                        chat_id=chat_id, checkout_token=token,
                                        max_pending=self._config.shop.max_pending_orders,
                                        minimum_amount=self._gateway.minimum_amount)
        except _REFUSALS as refusal:
            return _refused(refusal)
        return self._open_gateway(order)

    def _open_gateway(self, order: Order) -> Checkout:
        """Create the gateway's transaction for a new order; on failure undo the order.

        Closing at once is safe here, whatever the gateway may hold: a payment
        needs the QR string (or the order id for the checkout page), which
        only a successful create gives us and which no customer has seen.
        The client already cancelled any transaction it found half-made.
        """
        try:
            payment = self._gateway.create_qris(order.invoice_id, order.gateway_amount)
        except GatewayError as exc:
            log.warning("gateway create for %s failed: %s", order.invoice_id, exc)
            orders.close(order, CANCELLED)
            with immediate():
                audit.record("payment.create_failed", subject=f"order:{order.invoice_id}", detail=str(exc))
            if isinstance(exc, GatewayRejected):
                self._listener.gateway_refused(order, exc)
            down = isinstance(exc, GatewayUnavailable) and not self._gateway.health.up
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN if down else CheckoutFailure.GATEWAY_ERROR)
        order = orders.attach_payment(order, payment)
        log.info("order %s awaiting QRIS payment of %d", order.invoice_id, order.total_bill)
        return Checkout(order=order)

    def abandon(self, order: Order) -> None:
        """The QR could not be shown to the customer: cancel everything."""
        self.close(order, CANCELLED, source="abandoned", show=False)

    def pay_with_balance(self, user: User, product_id: int, quantity: int, token: str,
                         chat_id: int, quoted_subtotal: int | None = None,
                         fields: list[str] | None = None, promo_id: int | None = None) -> Checkout:
        """Buy from the balance: debit, sell and mark paid in one transaction.

        ``quoted_subtotal`` is the price the customer saw on the summary; a
        different price now refuses the purchase (PRICE_CHANGED).
        """
        try:
            with immediate():
                order = self._create_purchase(user, product_id, quantity, BALANCE, token, chat_id,
                                              quoted_subtotal, fields, promo_id)
                balance.apply(user.id, -order.subtotal, balance.PURCHASE, order=order,
                              note=order.invoice_id)
                if not self._settle_locked(order, source="balance"):
                    raise RuntimeError("a fresh balance order could not be settled")
        except _REFUSALS as refusal:
            return _refused(refusal)
        self._after_paid(order.id)
        return Checkout(order=orders.get(order.id))

    # --- confirmation: the single path ----------------------------------------

    def confirm(self, order: Order, source: str) -> Outcome:
        """Find out from the gateway whether ``order`` is paid; settle it once if so."""
        order = orders.get(order.id)
        if order.status == PAID:
            return Outcome.ALREADY_PAID
        if order.mismatch:
            return Outcome.MISMATCH
        if order.payment_method != QRIS or not order.payment_number:
            return Outcome.PENDING if order.status == PENDING else Outcome.CLOSED
        answer = self._ask(order, source)
        if answer in _SETTLED:
            return Outcome.PAID if answer is _Answer.PAID else Outcome.ALREADY_PAID
        if answer in (_Answer.MISMATCH, _Answer.UNKNOWN):
            return Outcome(answer.value)
        return Outcome.PENDING if orders.get(order.id).status == PENDING else Outcome.CLOSED

    def _ask(self, order: Order, source: str) -> _Answer:
        """Ask the gateway about ``order``; settle it if paid, flag it if it does not match."""
        if not self._gateway.available():
            return _Answer.UNKNOWN
        try:
            transaction = self._gateway.detail(order.invoice_id, order.gateway_amount, quick=True)
        except TransactionNotFound:
            transaction = None
        except GatewayError as exc:
            # A refusal other than "not found" (or no answer at all) tells us
            # nothing about the money.
            log.warning("cannot confirm %s now (%s): %s", order.invoice_id, source, exc)
            return _Answer.UNKNOWN
        orders.mark_checked(order)
        if transaction is None:
            return _Answer.UNPAYABLE
        problem = self._mismatch(order, transaction, source)
        if problem:
            self._flag_mismatch(order, transaction, problem)
            return _Answer.MISMATCH
        if transaction.completed:
            return self._settle(order, source)
        if transaction.payable:
            return _Answer.PAYABLE
        if transaction.unpayable:
            return _Answer.UNPAYABLE
        log.warning("gateway reports status %r for %s; treated as unknown", transaction.status[:20],
                    order.invoice_id)
        return _Answer.UNKNOWN

    def _settle(self, order: Order, source: str) -> _Answer:
        with immediate():
            settled = self._settle_locked(order, source=source)
        if not settled:
            return _Answer.ALREADY_PAID
        log.info("order %s paid (learnt from %s)", order.invoice_id, source)
        self._after_paid(order.id)
        return _Answer.PAID

    def _mismatch(self, order: Order, transaction: TransactionStatus, source: str) -> str:
        """What differs between the order and the gateway's answer ("" if nothing): a diagnostic
        kept on the order and in the audit trail for the owner, never shown in a chat."""
        if transaction.account != self._gateway.account:
            differs = f"account {transaction.account[:60]!r}"
        elif transaction.order_id != order.invoice_id:
            differs = f"order id {transaction.order_id[:60]!r}"
        elif transaction.amount != order.gateway_amount:
            differs = f"amount {transaction.amount}"
        else:
            return ""
        return f"{differs} (via {source})"

    def _flag_mismatch(self, order: Order, transaction: TransactionStatus, detail: str) -> None:
        """Mark the order as a mismatch and tell the admins — once, across restarts."""
        with immediate():
            first = orders.flag_mismatch(order, detail)
            if first:
                audit.record("payment.mismatch", subject=f"order:{order.invoice_id}",
                             detail=f"{detail}; gateway status {transaction.status[:20]}")
        if not first:
            return
        log.error("payment mismatch for %s: %s", order.invoice_id, detail)
        self._listener.mismatch_found(order, transaction)

    def _settle_locked(self, order: Order, source: str) -> bool:
        """Claim ``order`` as paid and settle it (inside an IMMEDIATE transaction).

        The conditional UPDATE is the claim: only the caller whose UPDATE
        changes the row settles; everyone else gets False.
        """
        fresh = Order.get_by_id(order.id)
        if fresh.status == PAID:
            return False
        previous = fresh.status
        now = utcnow()
        claimed = (Order.update(status=PAID, paid_at=now, paid_late=previous != PENDING,
                                delivery_claimed_at=now, updated_at=now)
                   .where((Order.id == fresh.id) & (Order.status == previous)).execute())
        if claimed != 1:
            return False
        settlement = None
        if fresh.is_topup:
            balance.apply(fresh.user_id, fresh.subtotal, balance.TOPUP, order=fresh, note=fresh.invoice_id)
        else:
            settlement = self._settle_goods(fresh)
            Order.update(settlement=settlement).where(Order.id == fresh.id).execute()
            self._settle_promotions(fresh, was_pending=previous == PENDING, sold=settlement in promotions.SOLD)
        audit.record("payment.paid", subject=f"order:{fresh.invoice_id}",
                     before={"status": previous},
                     after={"status": PAID, "source": source, "late": previous != PENDING,
                            "settlement": settlement, "amount": fresh.gateway_amount})
        return True

    def _settle_promotions(self, order: Order, was_pending: bool, sold: bool) -> None:
        """A paid purchase's promo code use counts, and its buyer's referrer is rewarded (in the same transaction)."""
        promotions.settled(order, was_pending, sold)
        if sold:
            referrals.reward(order, self._config.shop)

    def _settle_goods(self, order: Order) -> str:
        """Settle each item by its kind; a late stock order takes fresh lines or is credited.

        Returns the settlement: ``manual`` (an admin fulfils it: its
        fulfilment now waits), ``delivered`` (every stock unit sold to the
        order; unlimited content needs nothing), or ``credited`` (no stock
        left for a late payment: what the customer paid, the QRIS fee
        included, goes to the balance). For a late order it is all or
        nothing, since its lines were released when it closed and the
        re-reservation below is one savepoint.
        """
        all_items = orders.items(order)
        if any(item.kind == MANUAL_KIND for item in all_items):
            manual.open_fulfilment(order)
            return MANUAL
        for item in all_items:
            if item.kind != STOCK:
                orders.count_sold(item.product_id, item.quantity)
        stock.sell_reserved(order)
        items = [item for item in all_items if item.kind == STOCK]
        missing = {item.id: item.quantity - stock.sold_count(order, item.product_id) for item in items}
        if not any(count > 0 for count in missing.values()):
            return DELIVERED
        try:
            with immediate():  # a savepoint: a shortage undoes only this attempt
                for item in items:
                    if missing[item.id] > 0:
                        stock.reserve(Product.get_by_id(item.product_id), missing[item.id], order)
                stock.sell_reserved(order)
            return DELIVERED
        except stock.StockShort:
            pass
        balance.apply(order.user_id, order.total_bill, balance.LATE_CREDIT, order=order,
                      note=speaker().plain("ledger.late_credit_note", invoice=order.invoice_id))
        return CREDITED

    def _after_paid(self, order_id: int) -> None:
        """After the paid commit: notices and delivery."""
        self._listener.order_paid(orders.get(order_id))

    # --- closing ----------------------------------------------------------------

    def close(self, order: Order, status: str, source: str, show: bool = True) -> Outcome:
        """Cancel or expire a pending order — once the gateway says it cannot be paid.

        The gateway is asked first: a QR paid a moment before the customer
        pressed "Batalkan" (or before the expiry job ran) is delivered, not
        cancelled. A still payable transaction is cancelled at the gateway; a
        cancel that fails or is refused is followed by another look, since
        the refusal may mean the payment just landed. UNKNOWN means the gateway
        could not be asked: nothing changed, the order keeps its lines, and
        the jobs try again.

        A mismatched order is closed without asking: it is never delivered
        automatically, and an admin resolves it.
        """
        order = orders.get(order.id)
        if order.status != PENDING:
            return Outcome.ALREADY_PAID if order.status == PAID else Outcome.CLOSED
        if not order.mismatch:
            answer = self._ask(order, source)
            if answer is _Answer.PAYABLE:
                answer = self._cancel_at_gateway(order, source)
            if answer in _SETTLED:
                return Outcome.PAID if answer is _Answer.PAID else Outcome.ALREADY_PAID
            if answer is _Answer.UNKNOWN or answer is _Answer.PAYABLE:
                return Outcome.UNKNOWN
        return self._close_locally(orders.get(order.id), status, source, show)

    def _cancel_at_gateway(self, order: Order, source: str) -> _Answer:
        """Cancel a payable transaction; after any failure, look again."""
        try:
            self._gateway.cancel(order.invoice_id, order.gateway_amount, quick=True)
            return _Answer.UNPAYABLE
        except GatewayError as exc:
            log.warning("gateway cancel of %s failed (%s); asking again", order.invoice_id, exc)
        return self._ask(order, source)

    def _close_locally(self, order: Order, status: str, source: str, show: bool) -> Outcome:
        if not orders.close(order, status):
            order = orders.get(order.id)
            return Outcome.ALREADY_PAID if order.status == PAID else Outcome.CLOSED
        needs_admin = bool(order.mismatch)
        with immediate():
            audit.record(f"order.{status}", subject=f"order:{order.invoice_id}",
                         before={"status": PENDING},
                         after={"status": status, "source": source, "needs_admin": needs_admin})
        log.info("order %s %s (%s)", order.invoice_id, status, source)
        if show:
            self._listener.order_closed(orders.get(order.id))
        return Outcome.MISMATCH if needs_admin else Outcome.CLOSED

    # --- mismatches: the admin decides ----------------------------------------

    def resolve_mismatch(self, admin_id: int, order: Order, action: str, note: str = "") -> bool:
        """An admin's decision on a mismatched order, after checking the gateway's dashboard.

        ``deliver``: settle it as paid (its own lines, fresh ones if it was
        closed, or a credit when stock ran out); ``credit``: credit what the
        customer paid to their balance; ``close``: close it unpaid. False
        when the order is not an open mismatch (already decided, or never
        one). Audited; the customer is told.
        """
        order = orders.get(order.id)
        if order.is_topup and action == "credit":
            action = "deliver"  # delivering a top-up is crediting it
        with immediate():
            if not orders.resolve_mismatch(order, action):
                return False
            if action == "deliver":
                settled = self._settle_locked(order, source=f"admin:{admin_id}")
            elif action == "credit":
                settled = self._credit_locked(order, admin_id, note)
            else:
                settled = False
            audit.record("payment.mismatch_resolved", actor_id=admin_id, subject=f"order:{order.invoice_id}",
                         before={"status": order.status}, after={"resolution": action}, detail=note)
        if settled:
            self._after_paid(order.id)
            return True
        if action == "close":
            orders.close(order, CANCELLED)
        self._listener.mismatch_closed_by_admin(orders.get(order.id))
        return True

    def _credit_locked(self, order: Order, admin_id: int, note: str) -> bool:
        """Mark a mismatched order paid by crediting what it charged (inside a transaction)."""
        fresh = Order.get_by_id(order.id)
        if fresh.status == PAID:
            return False
        now = utcnow()
        claimed = (Order.update(status=PAID, paid_at=now, paid_late=fresh.status != PENDING,
                                settlement=CREDITED, delivery_claimed_at=now, updated_at=now)
                   .where((Order.id == fresh.id) & (Order.status == fresh.status)).execute())
        if claimed != 1:
            return False
        stock.release(fresh)
        self._settle_promotions(fresh, was_pending=fresh.status == PENDING, sold=False)
        balance.apply(fresh.user_id, fresh.total_bill, balance.ADMIN, order=fresh, admin_id=admin_id,
                      note=note or speaker().plain("ledger.mismatch_credit_note", invoice=fresh.invoice_id))
        return True

    # --- jobs --------------------------------------------------------------------

    def poll_pending(self) -> int:
        """Ask the gateway about pending orders (in case a webhook never came)."""
        if not self._gateway.available():
            return 0
        interval = timedelta(seconds=self._config.payment.poll_interval_seconds)
        now = utcnow()
        pending = orders.pending_qris(POLL_BATCH, checked_before=now - interval * 0.9)
        late = orders.recently_closed(now - LATE_WATCH, now - LATE_CHECK_EVERY, POLL_BATCH)
        outcomes = self._each(self._waiting_turn(pending + late),
                              lambda order: self.confirm(order, "poll" if order.status == PENDING else "late-poll"))
        return outcomes.count(Outcome.PAID)

    def expire_stale(self) -> int:
        """Close pending orders past their time (and checkouts that never got a QR).

        Mismatched orders are closed without asking the gateway. The others are
        closed only once the gateway answers; while it cannot be asked they stay
        pending, and an order that could not be finished waits its turn
        instead of holding the batch.
        """
        now = utcnow()
        stale = orders.past_expiry(now, POLL_BATCH * 10)
        abandoned = orders.abandoned_checkouts(now - ABANDONED_CHECKOUT, POLL_BATCH)
        if not self._gateway.available():
            stale = [order for order in stale if order.mismatch]
            abandoned = []
        stale = self._waiting_turn(stale)[:POLL_BATCH]
        outcomes = self._each(stale, lambda order: self.close(order, EXPIRED if order.payment_number
                                                              else CANCELLED, source="expiry"))
        self._each(self._waiting_turn(abandoned),
                   lambda order: self.close(order, CANCELLED, source="abandoned", show=False))
        return outcomes.count(Outcome.CLOSED) + outcomes.count(Outcome.MISMATCH)

    def after_outage(self) -> None:
        """The gateway is back: every order the outage touched is asked about at the next run."""
        with self._retry_lock:
            self._retry_at.clear()

    def _waiting_turn(self, candidates: Iterable[Order]) -> list[Order]:
        """Those not waiting after an unknown answer (a batch moves past them)."""
        now = time.monotonic()
        with self._retry_lock:
            return [order for order in candidates if self._retry_at.get(order.id, 0.0) <= now]

    def _each(self, batch: list[Order], work: Callable[[Order], Outcome]) -> list[Outcome]:
        """Run ``work`` on every order at once, so one slow order does not hold the others."""
        if not batch:
            return []
        cid = current_correlation_id()

        def run(order: Order) -> Outcome:
            with correlation(cid):
                try:
                    outcome = work(order)
                except Exception:
                    log.exception("job step for order %s failed", order.invoice_id)
                    outcome = Outcome.UNKNOWN
            if outcome is Outcome.UNKNOWN:
                with self._retry_lock:
                    self._retry_at[order.id] = time.monotonic() + RETRY_UNKNOWN_SECONDS
            return outcome

        return list(self._job_pool.map(run, batch))

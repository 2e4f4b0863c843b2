"""Payments: checkout, the single confirmation path, closing, and the jobs.

Whatever tells us an order may be paid — Pakasir's webhook, the polling job,
the customer's "Status Pembayaran" button, an admin's /recheck — ends in
:meth:`PaymentService.confirm`, which

1. asks Pakasir's ``transactiondetail`` (a webhook alone is never trusted),
2. checks that the project, order id and amount are ours, and alerts the
   admins instead of delivering when they are not,
3. claims the order with a conditional UPDATE whose row count decides which
   caller won (:meth:`_settle`), and in that same transaction sells the
   reserved lines, credits a top-up, or settles a late payment,
4. after the commit, notifies the admins and hands the order to delivery.

So however many paths race, exactly one settles and delivers.

A payment that arrives after its order expired or was cancelled is never
lost: the goods are delivered if stock allows, otherwise the goods' value
is credited to the customer's balance.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from quickcart import audit, balance, orders, stock, texts
from quickcart.config import Config
from quickcart.db import immediate
from quickcart.delivery import Delivery
from quickcart.models import (
    BALANCE,
    CANCELLED,
    EXPIRED,
    PAID,
    PENDING,
    QRIS,
    Order,
    OrderItem,
    Product,
    User,
)
from quickcart.notices import AdminNotifier
from quickcart.pakasir import (
    PakasirClient,
    PakasirError,
    PakasirRejected,
    PakasirUnavailable,
    Payment,
    TransactionNotFound,
    TransactionStatus,
)
from quickcart.qr import render_qr_png
from quickcart.telegram.sender import Sender, TelegramError
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

POLL_BATCH = 100
LATE_WATCH = timedelta(hours=1)  # closed orders are still checked this long for late payments
LATE_CHECK_EVERY = timedelta(minutes=5)
ABANDONED_CHECKOUT = timedelta(minutes=2)  # pending without a QR this long: the process died mid-checkout


class Outcome(Enum):
    PAID = "paid"  # this call settled it
    ALREADY_PAID = "already_paid"
    PENDING = "pending"  # Pakasir has not seen the money yet
    CLOSED = "closed"  # expired or cancelled, and not paid
    MISMATCH = "mismatch"  # Pakasir's answer is not for this project/order/amount
    UNKNOWN = "unknown"  # Pakasir could not be asked


class CheckoutFailure(Enum):
    GATEWAY_DOWN = "gateway_down"
    GATEWAY_ERROR = "gateway_error"
    STOCK_SHORT = "stock_short"
    UNAVAILABLE = "unavailable"
    DUPLICATE = "duplicate"
    INSUFFICIENT_BALANCE = "insufficient_balance"


@dataclass
class Checkout:
    order: Order | None = None
    qr_png: bytes | None = None
    failure: CheckoutFailure | None = None
    available: int = 0  # with STOCK_SHORT
    balance: int = 0  # with INSUFFICIENT_BALANCE: what the user has
    needed: int = 0  # and what the purchase costs

    @property
    def ok(self) -> bool:
        return self.failure is None


_REFUSALS = (orders.DuplicateCheckout, orders.ProductUnavailable, stock.StockShort,
             balance.InsufficientBalance)


def _refused(refusal: Exception) -> Checkout:
    """Why no order was made, for the customer."""
    if isinstance(refusal, orders.DuplicateCheckout):
        return Checkout(order=refusal.order, failure=CheckoutFailure.DUPLICATE)
    if isinstance(refusal, stock.StockShort):
        return Checkout(failure=CheckoutFailure.STOCK_SHORT, available=refusal.available)
    if isinstance(refusal, balance.InsufficientBalance):
        return Checkout(failure=CheckoutFailure.INSUFFICIENT_BALANCE, balance=refusal.balance,
                        needed=refusal.needed)
    return Checkout(failure=CheckoutFailure.UNAVAILABLE)


class PaymentService:
    def __init__(self, config: Config, pakasir: PakasirClient, sender: Sender,
                 notifier: AdminNotifier, delivery: Delivery):
        self._config = config
        self._pakasir = pakasir
        self._sender = sender
        self._notifier = notifier
        self._delivery = delivery
        self.fees = orders.FeePolicy(config.pakasir.fee_percent_bp, config.pakasir.fee_flat)
        self._low_stock_noticed: set[int] = set()
        self._alerted: set[str] = set()
        self._alert_lock = threading.Lock()

    # --- checkout -------------------------------------------------------------

    def gateway_ready(self) -> bool:
        """Pakasir's health, probed again if it was down a while ago."""
        health = self._pakasir.health
        if health.up:
            return True
        if time.monotonic() - health.last_probe > 5:
            return self._pakasir.probe()
        return False

    def checkout_qris(self, user: User, product_id: int, quantity: int, token: str,
                      chat_id: int) -> Checkout:
        """Reserve the goods and open a QRIS payment for them."""
        if not self.gateway_ready():
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN)
        try:
            order = self._create_purchase(user, product_id, quantity, QRIS, token, chat_id)
        except _REFUSALS as refusal:
            return _refused(refusal)
        return self._open_gateway(order)

    def _create_purchase(self, user: User, product_id: int, quantity: int, method: str, token: str,
                         chat_id: int) -> Order:
        return orders.create_purchase(
            user, product_id, quantity, method=method, fees=self.fees,
            ttl_minutes=self._config.pakasir.qr_ttl_minutes,
            max_quantity=self._config.shop.max_quantity, chat_id=chat_id, checkout_token=token)

    def checkout_topup(self, user: User, amount: int, token: str, chat_id: int) -> Checkout:
        if not self.gateway_ready():
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN)
        try:
            order = orders.create_topup(user, amount, fees=self.fees,
                                        ttl_minutes=self._config.pakasir.qr_ttl_minutes,
                                        chat_id=chat_id, checkout_token=token)
        except orders.DuplicateCheckout as refusal:
            return _refused(refusal)
        return self._open_gateway(order)

    def _open_gateway(self, order: Order) -> Checkout:
        """Create the Pakasir transaction for a new order; on failure undo the order."""
        try:
            payment: Payment = self._pakasir.create_qris(order.invoice_id, order.gateway_amount)
        except PakasirError as exc:
            log.warning("pakasir create for %s failed: %s", order.invoice_id, exc)
            orders.close(order, CANCELLED)
            with immediate():
                audit.record("payment.create_failed", subject=f"order:{order.invoice_id}", detail=str(exc))
            if isinstance(exc, PakasirRejected):
                self._notifier.error(f"Pakasir menolak transaksi {order.invoice_id}: {exc}")
            down = isinstance(exc, PakasirUnavailable) and not self._pakasir.health.up
            return Checkout(failure=CheckoutFailure.GATEWAY_DOWN if down else CheckoutFailure.GATEWAY_ERROR)
        order = orders.attach_payment(order, payment)
        log.info("order %s awaiting QRIS payment of %d", order.invoice_id, order.total_bill)
        return Checkout(order=order, qr_png=render_qr_png(payment.payment_number))

    def abandon(self, order: Order) -> None:
        """The QR could not be shown to the customer: cancel everything."""
        self.close(order, CANCELLED, source="abandoned", show=False)

    def pay_with_balance(self, user: User, product_id: int, quantity: int, token: str,
                         chat_id: int) -> Checkout:
        """Buy from the balance: debit, sell and mark paid in one transaction."""
        try:
            with immediate():
                order = self._create_purchase(user, product_id, quantity, BALANCE, token, chat_id)
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
        """Find out from Pakasir whether ``order`` is paid; settle it once if so."""
        order = orders.get(order.id)
        if order.status == PAID:
            return Outcome.ALREADY_PAID
        if order.payment_method != QRIS or not order.payment_number:
            return Outcome.PENDING if order.status == PENDING else Outcome.CLOSED
        try:
            transaction = self._pakasir.detail(order.invoice_id, order.gateway_amount)
        except TransactionNotFound:
            transaction = None
        except PakasirError as exc:
            log.warning("cannot confirm %s now (%s): %s", order.invoice_id, source, exc)
            return Outcome.UNKNOWN
        orders.mark_checked(order)
        if transaction is not None:
            problem = self._mismatch(order, transaction)
            if problem:
                self.alert_mismatch(order, transaction.amount, f"{problem} (via {source})")
                return Outcome.MISMATCH
        if transaction is None or not transaction.completed:
            return Outcome.PENDING if order.status == PENDING else Outcome.CLOSED
        with immediate():
            settled = self._settle_locked(order, source=source)
        if not settled:
            return Outcome.ALREADY_PAID
        log.info("order %s paid (learnt from %s)", order.invoice_id, source)
        self._after_paid(order.id)
        return Outcome.PAID

    def _mismatch(self, order: Order, transaction: TransactionStatus) -> str:
        if transaction.project != self._pakasir.project:
            return f"project {transaction.project!r}"
        if transaction.order_id != order.invoice_id:
            return f"order id {transaction.order_id!r}"
        if transaction.amount != order.gateway_amount:
            return f"amount {transaction.amount}"
        return ""

    def alert_mismatch(self, order: Order | None, got: object, detail: str) -> None:
        """Tell the admins, once per order, that a payment did not match."""
        key = order.invoice_id if order is not None else f"?{detail}"
        with self._alert_lock:
            if key in self._alerted:
                return
            self._alerted.add(key)
        log.error("payment mismatch for %s: %s", key, detail)
        with immediate():
            audit.record("payment.mismatch", subject=f"order:{key}", detail=f"{detail}; got {got}")
        self._notifier.notify(texts.notice_mismatch(key, order.gateway_amount if order else 0, got, detail))

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
        audit.record("payment.paid", subject=f"order:{fresh.invoice_id}",
                     before={"status": previous},
                     after={"status": PAID, "source": source, "late": previous != PENDING,
                            "settlement": settlement, "amount": fresh.gateway_amount})
        return True

    def _settle_goods(self, order: Order) -> str:
        """Sell the order's lines; a late order takes fresh ones or is credited.

        Returns the settlement: ``delivered`` (every unit sold to the order),
        or ``credited`` (no stock left for a late payment: the goods' value
        goes to the balance). For a late order it is all or nothing, since
        its lines were released when it closed and the re-reservation below
        is one savepoint.
        """
        stock.sell_reserved(order)
        items = orders.items(order)
        missing = {item.id: item.quantity - stock.sold_count(order, item.product_id) for item in items}
        if not any(count > 0 for count in missing.values()):
            return "delivered"
        try:
            with immediate():  # a savepoint: a shortage undoes only this attempt
                for item in items:
                    if missing[item.id] > 0:
                        stock.reserve(Product.get_by_id(item.product_id), missing[item.id], order)
                stock.sell_reserved(order)
            return "delivered"
        except stock.StockShort:
            pass
        credit = sum(missing[item.id] * item.price_per_unit for item in items)
        balance.apply(order.user_id, credit, balance.LATE_CREDIT, order=order,
                      note=f"{order.invoice_id}: stok habis saat pembayaran masuk")
        return "credited"

    def _after_paid(self, order_id: int) -> None:
        """After the paid commit: tell the admins, then deliver."""
        order = orders.get(order_id)
        user = User.get_by_id(order.user_id)
        label = f"{user.name or '-'} ({user.id})"
        if order.is_topup:
            self._notifier.notify(texts.notice_topup(order, label))
        else:
            items = orders.items(order)
            self._notifier.notify(texts.notice_sale(order, items, label))
            self._check_low_stock(items)
        if order.paid_late:
            outcome = "dikreditkan ke saldo" if order.settlement == "credited" else "barang tetap dikirim"
            self._notifier.notify(texts.notice_late(order.invoice_id, outcome))
        self._delivery.deliver_async(order.id)

    def _check_low_stock(self, items: list[OrderItem]) -> None:
        threshold = self._config.shop.low_stock_threshold
        for item in items:
            product = Product.get_by_id(item.product_id)
            if product.stock_count > threshold:
                self._low_stock_noticed.discard(product.id)
            elif product.id not in self._low_stock_noticed:
                self._low_stock_noticed.add(product.id)
                self._notifier.notify(texts.notice_low_stock(product.name, product.id, product.stock_count))

    # --- closing ----------------------------------------------------------------

    def close(self, order: Order, status: str, source: str, show: bool = True) -> Outcome:
        """Cancel or expire a pending order — unless it was just paid.

        A QR paid a moment before the customer pressed "Batalkan" (or before
        the expiry job ran) must be delivered, not cancelled, so Pakasir is
        asked first. The Pakasir transaction is then cancelled so the QR can
        no longer be paid; if Pakasir cannot be reached the order is closed
        anyway, and a payment that still arrives is settled as a late one.
        """
        order = orders.get(order.id)
        if order.status != PENDING:
            return Outcome.ALREADY_PAID if order.status == PAID else Outcome.CLOSED
        if order.payment_number:
            outcome = self.confirm(order, source)
            if outcome in (Outcome.PAID, Outcome.ALREADY_PAID, Outcome.MISMATCH):
                return outcome
            try:
                self._pakasir.cancel(order.invoice_id, order.gateway_amount)
            except PakasirError as exc:
                log.warning("pakasir cancel of %s failed (%s); closing locally", order.invoice_id, exc)
        if not orders.close(order, status):
            order = orders.get(order.id)
            return Outcome.ALREADY_PAID if order.status == PAID else Outcome.CLOSED
        with immediate():
            audit.record(f"order.{status}", subject=f"order:{order.invoice_id}",
                         before={"status": PENDING}, after={"status": status, "source": source})
        log.info("order %s %s (%s)", order.invoice_id, status, source)
        if show:
            self._show_closed(orders.get(order.id))
        return Outcome.CLOSED

    def _show_closed(self, order: Order) -> None:
        if not order.qr_message_id:
            return
        try:
            self._sender.edit_caption(order.chat_id, order.qr_message_id,
                                      texts.order_closed_caption(order, expired=order.status == EXPIRED))
        except TelegramError:
            pass

    # --- jobs --------------------------------------------------------------------

    def poll_pending(self) -> int:
        """Ask Pakasir about pending orders (in case a webhook never came)."""
        interval = timedelta(seconds=self._config.pakasir.poll_interval_seconds)
        now = utcnow()
        paid = 0
        for order in orders.pending_qris(POLL_BATCH, checked_before=now - interval * 0.9):
            paid += self.confirm(order, "poll") == Outcome.PAID
        late = (Order.select().where(Order.status.in_([EXPIRED, CANCELLED])
                                     & Order.payment_number.is_null(False)
                                     & (Order.closed_at > now - LATE_WATCH)
                                     & (Order.last_checked_at.is_null()
                                        | (Order.last_checked_at < now - LATE_CHECK_EVERY)))
                .order_by(Order.closed_at).limit(POLL_BATCH))
        for order in list(late):
            paid += self.confirm(order, "late-poll") == Outcome.PAID
        return paid

    def expire_stale(self) -> int:
        """Expire pending QRIS orders past their time; clean up abandoned checkouts."""
        now = utcnow()
        expired = 0
        stale = (Order.select().where((Order.status == PENDING) & (Order.payment_method == QRIS)
                                      & (Order.expires_at < now)).order_by(Order.expires_at)
                 .limit(POLL_BATCH))
        for order in list(stale):
            expired += self.close(order, EXPIRED, source="expiry") == Outcome.CLOSED
        abandoned = (Order.select().where((Order.status == PENDING) & (Order.payment_method == QRIS)
                                          & Order.payment_number.is_null()
                                          & (Order.created_at < now - ABANDONED_CHECKOUT))
                     .limit(POLL_BATCH))
        for order in list(abandoned):
            self._close_abandoned(order)
        return expired

    def _close_abandoned(self, order: Order) -> None:
        """A checkout the process never finished: no QR was shown, so cancel it."""
        try:
            self._pakasir.cancel(order.invoice_id, order.gateway_amount)
        except TransactionNotFound:
            pass
        except PakasirError as exc:
            log.warning("cancel of abandoned %s failed: %s", order.invoice_id, exc)
        if orders.close(order, CANCELLED):
            log.info("abandoned checkout %s cancelled", order.invoice_id)

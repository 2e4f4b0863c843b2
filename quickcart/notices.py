"""Notices to the admins: sales, Pakasir down/up, low stock, mismatches, errors.

Notices go out from a background thread, so the payment path never waits
on Telegram's per-chat pacing for admin chats. Telegram lets the bot send
an admin about one message a second, so when notices arrive faster (a busy
sales hour) those waiting are joined into one message, up to Telegram's
length limit, instead of queueing for minutes. Admins who never started the
bot (or blocked it) are skipped after the first 403. Error notices are
throttled: the first goes at once, later ones within the quiet period are
counted and summarised in the next, so a storm is one notice every few
minutes, not hundreds.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

from quickcart import orders, views
from quickcart.i18n import Speaker, speaker_for
from quickcart.models import FREE, STOCK, Product, User
from quickcart.telegram.sender import BotBlocked, Sender, TelegramError

log = logging.getLogger(__name__)

_STOP = object()
BATCH_CHARS = 3500  # joined notices stay well under Telegram's 4096
BATCH_NOTICES = 50

# A notice is rendered for each admin in their language: say -> Telegram HTML.
Notice = Callable[[Speaker], str]


def _fixed(text: str) -> Notice:
    return lambda say: text


class AdminNotifier:
    def __init__(self, sender: Sender, admin_ids: Iterable[int], error_quiet_seconds: float = 300.0,
                 is_reachable: Callable[[int], bool] | None = None, max_queue: int = 1000):
        self._sender = sender
        self._admin_ids = tuple(sorted(admin_ids))
        self._quiet = error_quiet_seconds
        self._is_reachable = is_reachable or (lambda _admin_id: True)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="admin-notices", daemon=True)
        self._error_lock = threading.Lock()
        self._last_error_notice = float("-inf")
        self._errors_since = 0
        self._last_error_summary = ""
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (within ``timeout``), then stop."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def notify(self, notice: Notice | str) -> None:
        """Queue a notice for every admin: ``say -> text`` (rendered in each admin's language)."""
        if not self._admin_ids:
            return
        if isinstance(notice, str):
            notice = _fixed(notice)
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            log.error("admin notice queue full; notice dropped")

    def post_card(self, render: Callable[[Speaker], tuple[str, object]]) -> None:
        """A message with buttons for every admin: ``say -> (text, markup)``, in each admin's language.

        Not joined with other notices (its buttons belong to it); posted
        through the outbox so the caller never waits on Telegram's pace.
        """
        for admin_id in self._admin_ids:
            if not self._is_reachable(admin_id):
                continue
            text, markup = render(speaker_for(User.get_or_none(User.id == admin_id)))
            self._sender.post_text(admin_id, text, markup)

    def error(self, summary: str) -> None:
        """Report an unexpected error, throttled to one notice per quiet period."""
        with self._error_lock:
            self._errors_since += 1
            self._last_error_summary = summary
            now = time.monotonic()
            if now - self._last_error_notice < self._quiet:
                return
            count, self._errors_since = self._errors_since, 0
            self._last_error_notice = now
        self.notify(lambda say: views.notice_error(say, summary, count))

    def flush_errors(self) -> None:
        """Send the summary of errors held back by the throttle (scheduler job)."""
        with self._error_lock:
            if not self._errors_since or time.monotonic() - self._last_error_notice < self._quiet:
                return
            count, self._errors_since = self._errors_since, 0
            summary = self._last_error_summary
            self._last_error_notice = time.monotonic()
        self.notify(lambda say: views.notice_error(say, summary, count))

    def _next_batch(self) -> tuple[list[Notice], bool]:
        """Wait for a notice, then take whatever else is already waiting (up to BATCH_NOTICES).

        Returns ``(notices, stop)``.
        """
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < BATCH_NOTICES:
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
            if following is _STOP:
                return batch, True
            batch.append(following)
        return batch, False

    def _run(self) -> None:
        while True:
            batch, stop = self._next_batch()
            if batch:
                self._send_to_admins(batch)
            if stop:
                return

    def _send_to_admins(self, batch: list[Notice]) -> None:
        for admin_id in self._admin_ids:
            if not self._is_reachable(admin_id):
                continue
            say = speaker_for(User.get_or_none(User.id == admin_id))
            for text in _joined([render(say) for render in batch]):
                try:
                    self._sender.send_text(admin_id, text)
                    self.sent += 1
                except BotBlocked:
                    log.warning("admin %s has not started the bot (or blocked it); notice skipped", admin_id)
                    break
                except TelegramError as exc:
                    log.warning("admin notice to %s failed: %s", admin_id, exc.description)
                except Exception:  # the notice thread must survive anything
                    log.exception("admin notice to %s failed", admin_id)


def _joined(texts: list[str]) -> list[str]:
    """Notices joined into as few messages as fit Telegram's length, in order."""
    messages: list[str] = []
    for text in texts:
        if messages and len(messages[-1]) + 2 + len(text) <= BATCH_CHARS:
            messages[-1] += "\n\n" + text
        else:
            messages.append(text)
    return messages


class PaymentNotices:
    """What the shop tells people when a payment changes (a :class:`~quickcart.payments.PaymentListener`).

    Admins get the sale, top-up, late-payment, low-stock and mismatch
    notices; the customer gets the goods (through delivery) and the word
    that an order closed. Everything here runs after the payment's commit
    and never holds a payment job: admin notices queue, customer messages
    go through the outbox.
    """

    def __init__(self, notifier: AdminNotifier, sender: Sender, delivery, gateway, low_stock_threshold: int,
                 desk=None):
        self._notifier = notifier
        self._desk = desk  # quickcart.admin_cards.AdminDesk: a paid manual order's card
        self._sender = sender
        self._delivery = delivery  # quickcart.delivery.Delivery
        self._gateway = gateway  # for its name and our account there, in the notices
        self._threshold = low_stock_threshold
        self._low_stock_noticed: set[int] = set()
        self._lock = threading.Lock()

    def order_paid(self, order) -> None:
        try:
            self._tell_admins_paid(order)
        finally:
            self._delivery.deliver_async(order.id)  # whatever became of the admins' notices

    def _tell_admins_paid(self, order) -> None:
        user = User.get_by_id(order.user_id)
        if order.is_topup:
            self._notifier.notify(lambda say: say("notice.topup", invoice=order.invoice_id, amount=order.subtotal,
                                                  buyer=views.buyer(say, user)))
        elif order.payment_method == FREE:
            pass  # a free item: nothing sold, and a popular one would flood the admins
        elif order.is_manual and self._desk is not None:
            self._desk.manual_paid(order)  # the card with Selesai / Tolak is the sale notice
        else:
            items = orders.items(order)
            self._notifier.notify(lambda say: views.notice_sale(say, order, items, views.buyer(say, user)))
            for item in items:
                if item.kind == STOCK:  # only stock runs low
                    self._check_low_stock(Product.get_by_id(item.product_id))
        if order.paid_late:
            outcome = "notice.late_credited" if order.is_credited else "notice.late_delivered"
            self._notifier.notify(lambda say: say("notice.late", invoice=order.invoice_id,
                                                  outcome=say.plain(outcome)))

    def _check_low_stock(self, product) -> None:
        if product.kind != STOCK:
            return
        with self._lock:
            if product.stock_count > self._threshold:
                self._low_stock_noticed.discard(product.id)
                return
            if product.id in self._low_stock_noticed:
                return
            self._low_stock_noticed.add(product.id)
        self._notifier.notify(lambda say: say("notice.low_stock", name=product.name, id=product.id,
                                              stock=product.stock_count))

    def order_closed(self, order) -> None:
        if order.mismatch:
            self._sender.post_text(order.chat_id, self._customer(order)("delivery.needs_admin",
                                                                        invoice=order.invoice_id))
        self._edit_qr_closed(order)

    def mismatch_found(self, order, transaction) -> None:
        self._notifier.notify(lambda say: views.notice_mismatch(say, order, self._gateway.account,
                                                                self._gateway.title, transaction))

    def mismatch_closed_by_admin(self, order) -> None:
        self._edit_qr_closed(order)
        self._sender.post_text(order.chat_id, self._customer(order)("delivery.mismatch_closed",
                                                                    invoice=order.invoice_id))

    def gateway_refused(self, order, error: Exception) -> None:
        # Error notices are summaries for the log's reader: kept in the log's words.
        self._notifier.error(f"{self._gateway.title} refused transaction {order.invoice_id}: {error}")

    def gateway_changed(self, up: bool) -> None:
        key = "notice.gateway_up" if up else "notice.gateway_down"
        self._notifier.notify(lambda say: say(key, gateway=self._gateway.title))

    @staticmethod
    def _customer(order) -> Speaker:
        return speaker_for(User.get_by_id(order.user_id))

    def _edit_qr_closed(self, order) -> None:
        """The QR says it is no longer valid (expired, cancelled)."""
        if not order.qr_message_id:
            return
        try:
            self._sender.edit_caption(order.chat_id, order.qr_message_id,
                                      views.order_closed_caption(self._customer(order), order))
        except TelegramError:
            pass

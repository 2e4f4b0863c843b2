"""Restock alerts: "🔔 Kabari saya" on a sold-out product; told once when stock is added.

A subscription is one row per (product, customer). When an admin adds stock
to a product, :meth:`RestockAlerts.stock_added` wakes a background thread
that goes through the product's subscribers in pages and, for each, first
deletes the subscription (a conditional DELETE whose row count is checked:
two imports racing tell nobody twice) and then sends the alert. So each
subscriber is told once and unsubscribed; one whose send fails for a reason
that may pass (Telegram down) is subscribed again, to be told next time.

Alerts go through the shared sender like a broadcast (:mod:`quickcart.broadcast`):
at ``BULK`` priority, so a buyer's QR or goods always go first, and within
Telegram's limits (30 messages a second in all; a 429 pauses every send).
Banned customers and those who blocked the bot are dropped without a message.
"""
from __future__ import annotations

import logging
import queue
import threading

from peewee import IntegrityError
from telebot import types

from quickcart import callbacks, views
from quickcart.db import database
from quickcart.i18n import speaker_for
from quickcart.models import Product, RestockSubscription, User
from quickcart.telegram.pacing import BULK, sending_priority
from quickcart.telegram.sender import BotBlocked, Sender, TelegramError

log = logging.getLogger(__name__)

PAGE = 500
_STOP = object()


def subscribe(user_id: int, product_id: int) -> bool:
    """Ask to be told when the product has stock; False when already asked."""
    try:
        RestockSubscription.create(user=user_id, product=product_id)
    except IntegrityError:
        return False
    return True


def is_subscribed(user_id: int, product_id: int) -> bool:
    return RestockSubscription.select().where((RestockSubscription.user == user_id)
                                              & (RestockSubscription.product == product_id)).exists()


def subscriber_count(product_id: int) -> int:
    return RestockSubscription.select().where(RestockSubscription.product == product_id).count()


def _page(product_id: int, after: int) -> list[tuple[int, int, bool]]:
    """(subscription id, user id, reachable) of the next page of the product's subscribers."""
    return list(RestockSubscription.select(RestockSubscription.id, RestockSubscription.user,
                                           ~User.is_banned & ~User.blocked_bot)
                .join(User, on=(RestockSubscription.user == User.id))
                .where((RestockSubscription.product == product_id) & (RestockSubscription.id > after))
                .order_by(RestockSubscription.id).limit(PAGE).tuples())


def _take(subscription_id: int) -> bool:
    """Unsubscribe before telling: only the caller that removed the row tells the customer."""
    return RestockSubscription.delete().where(RestockSubscription.id == subscription_id).execute() == 1


class RestockAlerts:
    """Tells each product's subscribers, one product after another, in one background thread."""

    def __init__(self, sender: Sender):
        self._sender = sender
        self._queue: queue.Queue = queue.Queue()
        self._queued: set[int] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="restock-alerts", daemon=True)
        self._stopping = threading.Event()
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the alert in flight; subscribers not yet told stay subscribed."""
        self._stopping.set()
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def stock_added(self, product_id: int) -> None:
        """Stock arrived: tell the product's subscribers (soon, in the background)."""
        with self._lock:
            if product_id in self._queued:
                return
            self._queued.add(product_id)
        self._queue.put(product_id)

    def _run(self) -> None:
        try:
            while True:
                product_id = self._queue.get()
                if product_id is _STOP:
                    return
                with self._lock:
                    self._queued.discard(product_id)
                try:
                    with sending_priority(BULK):
                        self.alert(product_id)
                except Exception:
                    log.exception("restock alerts for product %s failed", product_id)
        finally:
            database.close()

    def alert(self, product_id: int) -> int:
        """Tell every subscriber of the product once; returns how many were told."""
        told = after = 0
        while not self._stopping.is_set():
            product = Product.get_or_none(Product.id == product_id)
            if product is None or not product.is_active or product.stock_count == 0:
                break  # hidden again or sold out again: the rest stay subscribed
            page = _page(product_id, after)
            if not page:
                break
            for subscription_id, user_id, reachable in page:
                if self._stopping.is_set():
                    break
                after = subscription_id
                if _take(subscription_id) and reachable:
                    told += self._tell(user_id, product)
        if told:
            log.info("restock alert for product %s sent to %d customers", product_id, told)
        return told

    def _tell(self, user_id: int, product: Product) -> bool:
        say = speaker_for(User.get_or_none(User.id == user_id))
        markup = types.InlineKeyboardMarkup()
        markup.row(types.InlineKeyboardButton(say.plain("btn.restock_open"),
                                              callback_data=callbacks.encode("prod", product.id, 1)))
        try:
            self._sender.send_text(user_id, views.restock_alert(say, product), markup)
        except BotBlocked:
            return False  # the sender marked them; nothing to come back for
        except TelegramError as exc:
            if not exc.permanent:
                subscribe(user_id, product.id)  # told next time instead
            return False
        self.sent += 1
        return True

"""Telling the customer their order is paid, and handing over the goods.

Delivery runs after the paid commit, outside any transaction. The lines
were fixed to the order inside that commit, so however many times the
message is (re)sent it carries the same lines — never someone else's.

At-least-once: the claim is stamped in the paid transaction
(``delivery_claimed_at``), ``delivered_at`` after Telegram accepted the
message. :meth:`Delivery.redeliver` picks up orders whose claim went stale
(Telegram down) or was made by an earlier run of the process (killed before
it could send), and sends them again.

What is sent follows each item's kind: the lines sold to it (``stock``), the
product's content and file (``unlimited``: the same for every buyer, the
file re-sent by Telegram's file_id), or, for a ``manual`` order, word that
it is paid and waits for an admin (the admin's reply goes out with the
decision, :mod:`quickcart.decisions`).
"""
from __future__ import annotations

import html
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from quickcart import buyer_fields, orders, stock, views, warranty
from quickcart.db import immediate
from quickcart.i18n import Speaker, speaker_for
from quickcart.logging_setup import correlation, current_correlation_id
from quickcart.models import PAID, UNLIMITED, Order, OrderItem, Product, User
from quickcart.notices import AdminNotifier
from quickcart.telegram.pacing import URGENT, sending_priority
from quickcart.telegram.sender import MAX_TEXT, BotBlocked, MessageGone, Sender, TelegramError
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

# A claim still outstanding after this long belongs to a delivery that died
# (longer than the transport's worst case of retries and 429 waits). A
# delivery that fails releases its claim at once instead.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 10
_TAGS = re.compile(r"<[^>]+>")


def plain_length(html_text: str) -> int:
    """Length Telegram counts: the text without tags, entities unescaped."""
    return len(html.unescape(_TAGS.sub("", html_text)))


def unlimited_goods(say: Speaker, items: list[OrderItem]) -> tuple[list[str], list[str]]:
    """The texts and file ids an order's unlimited items give, as their products hold them now."""
    texts, files = [], []
    for item in items:
        if item.kind != UNLIMITED:
            continue
        product = Product.get_by_id(item.product_id)
        if product.content:
            texts.append(product.content)
        if product.file_id:
            files.append(product.file_id)
        if not (product.content or product.file_id):
            texts.append(say.plain("delivery.content_gone"))
    return texts, files


def goods_message(say: Speaker, order: Order) -> tuple[str, bytes | None, list[str]]:
    """The success text; a .txt file when the goods do not fit in one message; files to send by id."""
    items = orders.items(order)
    lines = views.goods_lines(say, stock.delivered_lines(order) + warranty.replacement_texts(order))
    texts, files = unlimited_goods(say, items)
    goods = "\n".join(lines)
    text = views.purchase_success(say, order, items, goods, texts, len(files))
    if plain_length(text) <= MAX_TEXT - 96:
        return text, None, files
    document = "\n\n".join(part for part in [goods, *texts] if part) + "\n"
    return views.purchase_success(say, order, items, None, [], len(files)), document.encode("utf-8"), files


def send_goods(sender: Sender, say: Speaker, chat_id: int, order: Order, prefix: str | None = None) -> None:
    """Send the goods of a paid purchase (also used by "show goods again")."""
    text, document, files = goods_message(say, order)
    if prefix:
        sender.send_text(chat_id, prefix)
    if document is None:
        sender.send_text(chat_id, text)
    else:
        sender.send_document(chat_id, f"{order.invoice_id}.txt", document, caption=text)
    for file_id in files:
        sender.send_document_id(chat_id, file_id)


def send_manual_paid(sender: Sender, say: Speaker, chat_id: int, order: Order) -> None:
    """A manual order is paid: what the buyer gave, and that an admin is on it."""
    sender.send_text(chat_id, views.manual_paid(say, order, orders.items(order), buyer_fields.values_of(order)))


class Delivery:
    def __init__(self, sender: Sender, notifier: AdminNotifier, workers: int = 4):
        self._sender = sender
        self._notifier = notifier
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")
        # Claims older than this were made by a previous run: nobody is sending them.
        self._started_at = utcnow()

    def stop(self) -> None:
        self._pool.shutdown(wait=True)

    def deliver_async(self, order_id: int) -> None:
        cid = current_correlation_id()
        self._pool.submit(self._deliver_tagged, order_id, cid)

    def _deliver_tagged(self, order_id: int, cid: str) -> None:
        with correlation(cid):
            try:
                self.deliver(order_id)
            except Exception:
                log.exception("delivery of order %s failed", order_id)

    def deliver(self, order_id: int) -> bool:
        """Send the paid message for ``order_id``; True once it is delivered."""
        order = orders.get(order_id)
        if order is None or order.status != PAID:
            return False
        if order.delivered_at is not None:
            return True
        try:
            with sending_priority(URGENT):  # the customer has paid and is waiting
                self._send(order)
        except BotBlocked as exc:
            self._record_failure(order, exc.description, counts=True)  # Telegram's words, as below
            return False
        except TelegramError as exc:
            # Telegram being down is retried for as long as it takes; only a
            # refusal that will not change counts towards giving up.
            self._record_failure(order, exc.description, counts=exc.permanent)
            return False
        Order.update(delivered_at=utcnow()).where(
            (Order.id == order.id) & Order.delivered_at.is_null()).execute()
        log.info("order %s delivered", order.invoice_id)
        self._tidy_qr(order)
        return True

    def _send(self, order: Order) -> None:
        chat_id = order.chat_id
        user = User.get_by_id(order.user_id)
        say = speaker_for(user)
        if order.is_topup:
            self._sender.send_text(chat_id, say("delivery.topup_success", invoice=order.invoice_id,
                                                amount=order.subtotal, balance=user.account_balance))
        elif order.is_credited:
            if stock.delivered_lines(order):
                send_goods(self._sender, say, chat_id, order)
            if order.mismatch:
                text = say("delivery.mismatch_credited", invoice=order.invoice_id, amount=order.total_bill,
                           balance=user.account_balance)
            else:
                text = views.late_payment_credited(say, order, user.account_balance)
            self._sender.send_text(chat_id, text)
        elif order.is_manual:
            send_manual_paid(self._sender, say, chat_id, order)
        else:
            prefix = say("delivery.late_delivered", invoice=order.invoice_id) if order.paid_late else None
            send_goods(self._sender, say, chat_id, order, prefix)

    def _tidy_qr(self, order: Order) -> None:
        """Remove the paid QR so nobody scans it again (edit it if it cannot go)."""
        if not order.qr_message_id:
            return
        try:
            self._sender.delete(order.chat_id, order.qr_message_id)
        except MessageGone:
            try:
                say = speaker_for(User.get_by_id(order.user_id))
                self._sender.edit_caption(order.chat_id, order.qr_message_id,
                                          say("payment.paid_caption", invoice=order.invoice_id))
            except TelegramError:
                pass
        except TelegramError:
            pass

    def _record_failure(self, order: Order, reason: str, counts: bool) -> None:
        # Counted on the row under the write lock: two attempts failing at once (the first delivery and a
        # retry) count twice, and only one of them reaches MAX_ATTEMPTS and tells the admins.
        with immediate():
            attempts = Order.select(Order.delivery_attempts).where(Order.id == order.id).scalar() + (
                1 if counts else 0)
            Order.update(delivery_attempts=attempts, delivery_claimed_at=None).where(Order.id == order.id).execute()
        log.warning("order %s not delivered yet (%d refusals): %s", order.invoice_id, attempts, reason)
        if counts and attempts == MAX_ATTEMPTS:
            self._notifier.notify(lambda say: say("notice.delivery_failing", invoice=order.invoice_id,
                                                  attempts=attempts, reason=reason))

    def redeliver_to(self, user_id: int) -> None:
        """The user is reachable again (they wrote to us): retry their failed deliveries now."""
        failed = list(Order.select(Order.id, Order.delivery_claimed_at)
                      .where((Order.user == user_id) & (Order.status == PAID)
                             & Order.delivered_at.is_null() & (Order.delivery_attempts > 0)).tuples())
        for order_id, claimed_at in failed:
            if self._claim(order_id, claimed_at):
                self.deliver_async(order_id)

    def _claim(self, order_id: int, claimed_at) -> bool:
        """Take over an order's delivery, unless someone else just did."""
        condition = (Order.delivery_claimed_at.is_null() if claimed_at is None
                     else Order.delivery_claimed_at == claimed_at)
        return Order.update(delivery_claimed_at=utcnow()).where((Order.id == order_id) & condition).execute() == 1

    def redeliver(self) -> int:
        """Send paid orders whose delivery never completed; return how many went out."""
        now = utcnow()
        query = (Order.select(Order.id, Order.delivery_claimed_at).join(User)
                 .where((Order.status == PAID) & Order.delivered_at.is_null()
                        & (User.blocked_bot == False)  # noqa: E712 - peewee expression
                        & (Order.delivery_attempts < MAX_ATTEMPTS)
                        & (Order.delivery_claimed_at.is_null()
                           | (Order.delivery_claimed_at < self._started_at)
                           | (Order.delivery_claimed_at < now - STALE_CLAIM))))
        delivered = 0
        for order_id, claimed_at in list(query.tuples()):
            if self._claim(order_id, claimed_at):
                delivered += self.deliver(order_id)
        return delivered

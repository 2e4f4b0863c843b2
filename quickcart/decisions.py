"""Telling a buyer what an admin decided, at least once: a manual order completed or
rejected, a warranty claim answered with a replacement line, a refund or a no.

The same scheme as delivery (:mod:`quickcart.delivery`): the decision's
transaction sets ``tell_claimed_at``; after its commit the deciding handler
calls :meth:`Decisions.tell_async`, which sends the message and then stamps
``told_at``. A send that fails releases the claim, and :meth:`Decisions.retell`
(a job) sends again whatever was decided but not told, once its claim was
released, went stale, or was made by an earlier run of the process. Only the
admin whose conditional UPDATE decided calls ``tell_async``, so in the normal
path the buyer gets one message; after a crash mid-send, possibly two.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from quickcart import buyer_fields, orders, stock, views
from quickcart.i18n import speaker_for
from quickcart.logging_setup import correlation, current_correlation_id
from quickcart.models import COMPLETED, REPLACED, ManualFulfilment, Order, User, WarrantyClaim
from quickcart.telegram.pacing import URGENT, sending_priority
from quickcart.telegram.sender import BotBlocked, Sender, TelegramError
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
RETELL_BATCH = 50


class Decisions:
    def __init__(self, sender: Sender, workers: int = 2):
        self._sender = sender
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decisions")
        self._started_at = utcnow()  # claims older than this were made by a previous run

    def stop(self) -> None:
        self._pool.shutdown(wait=True)

    def tell_fulfilment_async(self, order_id: int) -> None:
        self._submit(self.tell_fulfilment, order_id)

    def tell_claim_async(self, claim_id: int) -> None:
        self._submit(self.tell_claim, claim_id)

    def _submit(self, tell: Callable[[int], bool], row_id: int) -> None:
        cid = current_correlation_id()

        def run() -> None:
            with correlation(cid):
                try:
                    tell(row_id)
                except Exception:
                    log.exception("telling a decision (%s) failed", row_id)
        self._pool.submit(run)

    def resend_reply(self, order_id: int) -> None:
        """A completed manual order's reply again ("show goods again"); nothing is stamped."""
        row = ManualFulfilment.get_or_none(ManualFulfilment.order == order_id)
        if row is not None and row.state == COMPLETED:
            self._pool.submit(self._send_fulfilment, row)

    # --- what each decision says -------------------------------------------------------

    def tell_fulfilment(self, order_id: int) -> bool:
        row = ManualFulfilment.get_or_none(ManualFulfilment.order == order_id)
        return self._tell(ManualFulfilment, row, self._send_fulfilment)

    def tell_claim(self, claim_id: int) -> bool:
        return self._tell(WarrantyClaim, WarrantyClaim.get_or_none(WarrantyClaim.id == claim_id), self._send_claim)

    def _send_fulfilment(self, fulfilment: ManualFulfilment) -> None:
        order = Order.get_by_id(fulfilment.order_id)
        user = User.get_by_id(order.user_id)
        say = speaker_for(user)
        items = orders.items(order)
        if fulfilment.state == COMPLETED:
            self._sender.send_text(order.chat_id, views.manual_done(say, order, items, fulfilment.reply_text))
            if fulfilment.reply_file_id and fulfilment.reply_file_kind == "photo":
                self._sender.send_photo_id(order.chat_id, fulfilment.reply_file_id)
            elif fulfilment.reply_file_id:
                self._sender.send_document_id(order.chat_id, fulfilment.reply_file_id)
        else:
            self._sender.send_text(order.chat_id, views.manual_rejected(
                say, order, items, fulfilment.reason or "", fulfilment.refund_amount or 0, user.account_balance,
                buyer_fields.values_of(order)))

    def _send_claim(self, claim: WarrantyClaim) -> None:
        order = Order.get_by_id(claim.order_id)
        user = User.get_by_id(claim.user_id)
        say = speaker_for(user)
        if claim.state == REPLACED:
            line = stock.line_texts([claim.replacement_line_id]).get(claim.replacement_line_id)
            text = views.claim_replaced(say, claim, order, views.goods_lines(say, [line])[0])
        else:
            text = views.claim_answered(say, claim, order, user.account_balance)
        self._sender.send_text(order.chat_id, text)

    # --- at least once -------------------------------------------------------------------

    def _tell(self, model, row, send: Callable) -> bool:
        if row is None or row.decided_at is None:
            return False
        if row.told_at is not None:
            return True
        try:
            with sending_priority(URGENT):  # a buyer waiting on an admin: their goods or their money
                send(row)
        except BotBlocked:
            model.update(tell_claimed_at=None).where(model.id == row.id).execute()
            return False  # told when they come back and the job runs
        except TelegramError as exc:
            if exc.permanent:
                # Telegram refuses this message for good; the decision stands and is visible in Riwayat.
                log.warning("decision %s #%s cannot be told: %s", model.__name__, row.id, exc.description)
                model.update(told_at=utcnow()).where(model.id == row.id).execute()
                return False
            model.update(tell_claimed_at=None).where(model.id == row.id).execute()
            log.warning("decision %s #%s not told yet: %s", model.__name__, row.id, exc.description)
            return False
        model.update(told_at=utcnow()).where((model.id == row.id) & model.told_at.is_null()).execute()
        return True

    def retell(self) -> int:
        """Tell the decisions nobody is telling (released, stale, or claimed before this run); how many went."""
        told = 0
        for model, tell in ((ManualFulfilment, self.tell_fulfilment), (WarrantyClaim, self.tell_claim)):
            for row_id, key, claimed_at in self._untold(model):
                if self._claim(model, row_id, claimed_at):
                    told += tell(key)
        return told

    def _untold(self, model) -> list[tuple[int, int, object]]:
        now = utcnow()
        key = model.order if model is ManualFulfilment else model.id
        owner = Order.user if model is ManualFulfilment else model.user
        query = model.select(model.id, key, model.tell_claimed_at)
        if model is ManualFulfilment:
            query = query.join(Order, on=(model.order == Order.id))
        return list(query.join(User, on=(owner == User.id))
                    .where(model.told_at.is_null() & model.decided_at.is_null(False)
                           & (User.blocked_bot == False)  # noqa: E712 - peewee expression
                           & (model.tell_claimed_at.is_null() | (model.tell_claimed_at < self._started_at)
                              | (model.tell_claimed_at < now - STALE_CLAIM)))
                    .limit(RETELL_BATCH).tuples())

    @staticmethod
    def _claim(model, row_id: int, claimed_at) -> bool:
        condition = model.tell_claimed_at.is_null() if claimed_at is None else model.tell_claimed_at == claimed_at
        return model.update(tell_claimed_at=utcnow()).where((model.id == row_id) & condition).execute() == 1

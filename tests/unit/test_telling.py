"""Decisions are told at least once (and not again once told); restock alerts tell each subscriber once.
Through the Telegram stand-in."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from quickcart import catalogue, orders, restock, stock
from quickcart.db import immediate
from quickcart.decisions import Decisions
from quickcart.i18n import speaker
from quickcart.manual import complete, open_fulfilment
from quickcart.models import PAID, ManualFulfilment, Order, RestockSubscription
from quickcart.telegram.sender import TelegramError
from quickcart.timeutil import utcnow
from tests.unit.helpers import FEES, make_user


@pytest.fixture
def completed(db, telegram):
    product = catalogue.add_product(1, "Top Up Manual", "Game", 10_000, 10_000)
    catalogue.edit_product(1, product.id, {"kind": "manual"})
    buyer = make_user(71, "Lia")
    telegram.mark_started([buyer.id])
    order = orders.create_purchase(buyer, product.id, 1, method="qris", fees=FEES, ttl_minutes=10, max_quantity=10,
                                   chat_id=buyer.id)
    with immediate():
        Order.update(status=PAID, paid_at=utcnow(), settlement="manual").where(Order.id == order.id).execute()
        open_fulfilment(order)
    assert complete(900_001, order.id, "kode: XYZ-123").won
    return order


def replies_to(telegram, chat_id: int) -> int:
    title = speaker().plain("delivery.manual_done_title").replace("<b>", "").replace("</b>", "")
    return sum(1 for m in telegram.chat(chat_id).bot_messages() if title in m.plain_text())


def test_a_decision_left_untold_by_a_previous_run_is_told_once_by_the_job(completed, telegram, sender):
    ManualFulfilment.update(tell_claimed_at=utcnow() - timedelta(minutes=1)).execute()  # that run died mid-send
    decisions = Decisions(sender)
    try:
        assert decisions.retell() == 1
        assert decisions.retell() == 0
        assert decisions.tell_fulfilment(completed.id) is True, "already told: nothing sent"
    finally:
        decisions.stop()
    assert replies_to(telegram, completed.user_id) == 1
    assert ManualFulfilment.get().told_at is not None


def test_a_decision_being_told_right_now_is_left_to_its_teller(completed, telegram, sender):
    decisions = Decisions(sender)
    ManualFulfilment.update(tell_claimed_at=utcnow()).execute()  # the deciding admin's handler is telling it
    try:
        assert decisions.retell() == 0, "claimed by this run a moment ago"
        assert decisions.tell_fulfilment(completed.id) is True
    finally:
        decisions.stop()
    assert replies_to(telegram, completed.user_id) == 1


def test_two_alert_runs_at_once_tell_each_subscriber_once(db, telegram, sender):
    product = catalogue.add_product(1, "Canva Pro", "Desain", 30_000, 30_000)
    customers = list(range(72_000, 72_040))
    for user_id in customers:
        make_user(user_id)
        restock.subscribe(user_id, product.id)
    telegram.mark_started(customers)
    stock.add_lines(product.id, ["canva-1:pw"])
    runs = [restock.RestockAlerts(sender) for _ in range(2)]
    told = []
    threads = [threading.Thread(target=lambda run=run: told.append(run.alert(product.id))) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(told) == len(customers)
    counts = [sum(1 for m in telegram.chat(user_id).bot_messages() if product.name in m.plain_text())
              for user_id in customers]
    assert counts == [1] * len(customers)
    assert RestockSubscription.select().count() == 0


class TelegramDownFor:
    """A sender that cannot reach Telegram for one chat (a retry might work later), and reaches the rest."""

    def __init__(self, sender, chat_id: int):
        self._sender, self._chat_id = sender, chat_id

    def send_text(self, chat_id, text, markup=None):
        if chat_id == self._chat_id:
            raise TelegramError("Bad Gateway", permanent=False, error_code=502)
        return self._sender.send_text(chat_id, text, markup)


def test_a_subscriber_not_reached_for_now_stays_subscribed_and_one_who_never_started_is_dropped(
        db, telegram, sender):
    product = catalogue.add_product(1, "Canva Pro", "Desain", 30_000, 30_000)
    for user_id in (73_000, 73_001, 73_002):
        make_user(user_id)
        restock.subscribe(user_id, product.id)
    telegram.mark_started([73_001, 73_002])  # 73_000 never started the bot: Telegram answers 403
    stock.add_lines(product.id, ["canva-1:pw"])
    assert restock.RestockAlerts(TelegramDownFor(sender, 73_002)).alert(product.id) == 1
    assert [row.user_id for row in RestockSubscription.select()] == [73_002]

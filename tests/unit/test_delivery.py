"""Delivery retries through any Telegram outage and gives up only on refusals."""
from __future__ import annotations

from quickcart import catalogue, orders, stock
from quickcart.delivery import MAX_ATTEMPTS, Delivery
from quickcart.i18n import speaker
from quickcart.models import QRIS, Order
from quickcart.notices import PaymentNotices
from quickcart.payments import PaymentService
from quickcart.timeutil import utcnow
from tests.unit.helpers import make_user


def paid_order(service, telegram, user_id):
    product = catalogue.add_product(1, f"Produk {user_id}", "Game", 10_000, 9_000)
    stock.add_lines(product.id, [f"code-{user_id}"])
    telegram.user(user_id, "Budi").send_text("/start")
    user = make_user(user_id)
    order = service.checkout_qris(user, product.id, 1, f"{user_id}-x", user_id).order
    telegram.faults.add("sendMessage", status=502, chat_id=user_id, times=10_000)
    service.gateway.pay(order.invoice_id)
    service.confirm(order, "test")
    return order


def test_a_long_telegram_outage_never_exhausts_the_retries(delivering_service, telegram):
    order = paid_order(delivering_service, telegram, 21)
    for _ in range(MAX_ATTEMPTS + 2):
        assert delivering_service.delivery.deliver(order.id) is False
    refreshed = Order.get_by_id(order.id)
    assert refreshed.delivery_attempts == 0 and refreshed.delivery_claimed_at is None
    telegram.faults.clear()
    assert delivering_service.delivery.redeliver() == 1
    assert Order.get_by_id(order.id).delivered_at is not None


def test_a_failed_delivery_releases_its_claim_so_the_sweep_retries_at_once(delivering_service, telegram):
    order = paid_order(delivering_service, telegram, 22)
    delivering_service.delivery.deliver(order.id)
    telegram.faults.clear()
    assert delivering_service.delivery.redeliver() == 1, "not held back by a stale-claim window"


def test_a_live_claim_is_not_taken_over_by_the_sweep(delivering_service, telegram):
    order = paid_order(delivering_service, telegram, 23)
    telegram.faults.clear()
    # claimed by this run a moment ago, as by a delivery still in flight
    Order.update(delivery_claimed_at=utcnow()).where(Order.id == order.id).execute()
    assert delivering_service.delivery.redeliver() == 0


class RecordingNotifier:
    def __init__(self):
        self.notices = []

    def notify(self, notice):
        self.notices.append(notice)


def test_a_delivery_given_up_on_is_told_to_each_admin_in_their_language(db, config, gateway, telegram, sender):
    notifier = RecordingNotifier()
    delivery = Delivery(sender, notifier)
    service = PaymentService(config, gateway, PaymentNotices(notifier, sender, delivery, gateway, 5))
    try:
        order = paid_order(service, telegram, 24)
        telegram.user(24, "Budi").block_bot()  # a refusal that counts, whichever delivery tries next
        telegram.faults.clear()
        Order.update(delivery_attempts=MAX_ATTEMPTS - 1).where(Order.id == order.id).execute()
        assert delivery.deliver(order.id) is False
    finally:
        service.stop()
        delivery.stop()
    def opening(say):
        return say("notice.delivery_failing", invoice=order.invoice_id, attempts=MAX_ATTEMPTS, reason="")[:30]

    # Other notices (a low-stock one, from the sale) may come before or after it: pick it by its words.
    failing = [notice for notice in notifier.notices
               if callable(notice) and notice(speaker("id")).startswith(opening(speaker("id")))]
    assert len(failing) == 1, notifier.notices
    assert failing[0](speaker("en")).startswith(opening(speaker("en")))
    assert failing[0](speaker("id")) != failing[0](speaker("en"))


def test_two_attempts_refused_at_once_count_twice_and_tell_the_admins_once(db, sender):
    notifier = RecordingNotifier()
    delivery = Delivery(sender, notifier)
    try:
        user = make_user(31)
        product = catalogue.add_product(1, "Produk 31", "Game", 10_000, 9_000)
        stock.add_lines(product.id, ["code-31"])
        order = orders.create_purchase(user, product.id, 1, method=QRIS, fees=orders.FeePolicy(70, 310),
                                       ttl_minutes=10, max_quantity=10, chat_id=31)
        Order.update(delivery_attempts=MAX_ATTEMPTS - 1).where(Order.id == order.id).execute()
        stale = Order.get_by_id(order.id)  # what both attempts read before Telegram refused them
        delivery._record_failure(stale, "Forbidden: bot was blocked by the user", counts=True)
        delivery._record_failure(stale, "Forbidden: bot was blocked by the user", counts=True)
    finally:
        delivery.stop()
    assert Order.get_by_id(order.id).delivery_attempts == MAX_ATTEMPTS + 1
    assert len(notifier.notices) == 1

"""Delivery retries through any Telegram outage and gives up only on refusals."""
from __future__ import annotations

from quickcart import catalogue, stock
from quickcart.delivery import MAX_ATTEMPTS
from quickcart.models import Order
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

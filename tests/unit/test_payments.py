"""The single confirmation path, against the real Pakasir and Telegram stand-ins (in process)."""
from __future__ import annotations

import threading

import pytest

from quickcart import balance, catalogue, stock
from quickcart.models import AVAILABLE, CANCELLED, PAID, SOLD, LedgerEntry, Order, Product, StockLine, User
from quickcart.payments import CheckoutFailure, Outcome
from tests.unit.helpers import make_user


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Mobile Legends 86 Diamonds", "Game", 20_000, 19_000)
    stock.add_lines(item.id, ["ML-CODE-0001", "ML-CODE-0002"])
    return item


def checkout(service, user, product, quantity=1):
    result = service.checkout_qris(user, product.id, quantity, f"{user.id}-{Order.select().count()}", user.id)
    assert result.ok, result.failure
    return result.order


def test_pending_until_pakasir_says_completed_then_paid_exactly_once(service, product):
    user = make_user(11)
    service.telegram.user(11, "Budi").send_text("/start")
    order = checkout(service, user, product)
    assert service.confirm(order, "test") is Outcome.PENDING
    service.pakasir.complete(order.invoice_id, webhook=False)
    assert service.confirm(order, "test") is Outcome.PAID
    assert service.confirm(order, "test") is Outcome.ALREADY_PAID
    line = StockLine.get(StockLine.order == order.id)
    assert line.state == SOLD and Product.get_by_id(product.id).sold_count == 1


def test_eight_racing_confirmations_settle_once(service, product):
    user = make_user(12)
    order = checkout(service, user, product)
    service.pakasir.complete(order.invoice_id, webhook=False)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(service.confirm(order, "race")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(Outcome.PAID) == 1
    assert outcomes.count(Outcome.ALREADY_PAID) == 7


def test_closing_an_order_that_was_just_paid_settles_it_instead(service, product):
    user = make_user(13)
    order = checkout(service, user, product)
    service.pakasir.complete(order.invoice_id, webhook=False)
    assert service.close(order, CANCELLED, source="test") is Outcome.PAID
    assert Order.get_by_id(order.id).status == PAID


def test_a_late_payment_takes_fresh_stock_or_credits_the_value(service, product):
    early, late = make_user(14), make_user(15)
    late_order = checkout(service, late, product)
    assert service.close(late_order, CANCELLED, source="test") is Outcome.CLOSED
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 2
    service.pakasir.complete(late_order.invoice_id, webhook=False, force=True)
    assert service.confirm(late_order, "late") is Outcome.PAID
    assert Order.get_by_id(late_order.id).settlement == "delivered"

    second = checkout(service, early, product)
    service.close(second, CANCELLED, source="test")
    third = checkout(service, late, product)  # takes the last line
    service.pakasir.complete(second.invoice_id, webhook=False, force=True)
    assert service.confirm(second, "late") is Outcome.PAID
    settled = Order.get_by_id(second.id)
    assert settled.settlement == "credited" and settled.paid_late
    # What the customer paid, the QRIS fee included.
    assert User.get_by_id(early.id).account_balance == settled.total_bill == 20_450
    assert LedgerEntry.get(LedgerEntry.order == second.id).reason == "late_credit"
    assert StockLine.get(StockLine.order == third.id).state == "reserved"
    assert balance.verify() == [] and stock.verify_counts() == []


def test_a_top_up_is_credited_once(service):
    user = make_user(16)
    result = service.checkout_topup(user, 100_000, "16-TopUp123", user.id)
    order = result.order
    service.pakasir.complete(order.invoice_id, webhook=False)
    assert service.confirm(order, "test") is Outcome.PAID
    assert service.confirm(order, "test") is Outcome.ALREADY_PAID
    assert User.get_by_id(user.id).account_balance == 100_000
    assert balance.verify() == []


def test_pakasir_unreachable_means_unknown_and_nothing_changes(service, product):
    user = make_user(17)
    order = checkout(service, user, product)
    service.pakasir.go_down("refuse")
    assert service.confirm(order, "test") is Outcome.UNKNOWN
    assert Order.get_by_id(order.id).status == "pending"
    service.pakasir.come_up()


def test_closing_while_pakasir_cannot_be_asked_changes_nothing(service, product):
    user = make_user(18)
    order = checkout(service, user, product)
    service.pakasir.go_down("refuse")
    assert service.close(order, CANCELLED, source="test") is Outcome.UNKNOWN
    assert Order.get_by_id(order.id).status == "pending"
    assert StockLine.get(StockLine.order == order.id).state == "reserved"
    service.pakasir.come_up()
    service._pakasir.health.last_probe = 0.0
    assert service.close(order, CANCELLED, source="test") is Outcome.CLOSED
    assert service.pakasir.transaction(order.invoice_id).status == "canceled"


def test_a_cancel_refused_because_the_payment_landed_settles_the_order_normally(service, product):
    user = make_user(19)
    order = checkout(service, user, product)
    reserved = StockLine.get(StockLine.order == order.id)
    service.pakasir.before_next("cancel", lambda: service.pakasir.complete(order.invoice_id, webhook=False))
    assert service.close(order, CANCELLED, source="test") is Outcome.PAID
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.paid_late, settled.settlement) == (PAID, False, "delivered")
    assert StockLine.get_by_id(reserved.id).state == SOLD


def test_a_balance_purchase_at_a_price_the_customer_was_not_shown_is_refused(service, product):
    user = make_user(20)
    balance.apply(user.id, 50_000, balance.ADMIN)
    result = service.pay_with_balance(user, product.id, 1, "20-quote", user.id, quoted_subtotal=15_000)
    assert result.failure is CheckoutFailure.PRICE_CHANGED and result.needed == 20_000
    assert User.get_by_id(user.id).account_balance == 50_000 and Order.select().count() == 0

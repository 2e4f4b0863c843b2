"""The single confirmation path and closing, on the in-memory gateway: no sockets."""
from __future__ import annotations

import threading

import pytest

from quickcart import balance, catalogue, stock
from quickcart.models import (
    AVAILABLE,
    CANCELLED,
    EXPIRED,
    PAID,
    PENDING,
    SOLD,
    LedgerEntry,
    Order,
    Product,
    StockLine,
    User,
)
from quickcart.payments import CheckoutFailure, Outcome
from tests.unit.helpers import make_user

pytestmark = pytest.mark.usefixtures("no_sockets")


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Mobile Legends 86 Diamonds", "Game", 20_000, 19_000)
    stock.add_lines(item.id, ["ML-CODE-0001", "ML-CODE-0002"])
    return item


def checkout(service, user, product, quantity=1):
    result = service.checkout_qris(user, product.id, quantity, f"{user.id}-{Order.select().count()}", user.id)
    assert result.ok, result.failure
    return result.order


def test_pending_until_the_gateway_says_completed_then_paid_exactly_once(service, gateway, events, product):
    order = checkout(service, make_user(11), product)
    assert service.confirm(order, "test") is Outcome.PENDING
    gateway.pay(order.invoice_id)
    assert service.confirm(order, "test") is Outcome.PAID
    assert service.confirm(order, "test") is Outcome.ALREADY_PAID
    line = StockLine.get(StockLine.order == order.id)
    assert line.state == SOLD and Product.get_by_id(product.id).sold_count == 1
    assert events.paid == [order.invoice_id], "announced once, after the commit"


def test_eight_racing_confirmations_settle_once(service, gateway, events, product):
    order = checkout(service, make_user(12), product)
    gateway.pay(order.invoice_id)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(service.confirm(order, "race")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(Outcome.PAID) == 1
    assert outcomes.count(Outcome.ALREADY_PAID) == 7
    assert events.paid == [order.invoice_id]


def test_closing_an_order_that_was_just_paid_settles_it_instead(service, gateway, product):
    order = checkout(service, make_user(13), product)
    gateway.pay(order.invoice_id)
    assert service.close(order, CANCELLED, source="test") is Outcome.PAID
    assert Order.get_by_id(order.id).status == PAID


def test_a_late_payment_takes_fresh_stock_or_credits_what_was_paid(service, gateway, product):
    early, late = make_user(14), make_user(15)
    late_order = checkout(service, late, product)
    assert service.close(late_order, CANCELLED, source="test") is Outcome.CLOSED
    assert gateway.status(late_order.invoice_id) == "canceled"
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 2
    gateway.pay(late_order.invoice_id)
    assert service.confirm(late_order, "late") is Outcome.PAID
    assert Order.get_by_id(late_order.id).settlement == "delivered"

    second = checkout(service, early, product)
    service.close(second, CANCELLED, source="test")
    third = checkout(service, late, product)  # takes the last line
    gateway.pay(second.invoice_id)
    assert service.confirm(second, "late") is Outcome.PAID
    settled = Order.get_by_id(second.id)
    assert settled.settlement == "credited" and settled.paid_late
    # What the customer paid, the QRIS fee included.
    assert User.get_by_id(early.id).account_balance == settled.total_bill == 20_450
    assert LedgerEntry.get(LedgerEntry.order == second.id).reason == "late_credit"
    assert StockLine.get(StockLine.order == third.id).state == "reserved"
    assert balance.verify() == [] and stock.verify_counts() == []


def test_a_top_up_is_credited_once(service, gateway):
    user = make_user(16)
    order = service.checkout_topup(user, 100_000, "16-TopUp123", user.id).order
    gateway.pay(order.invoice_id)
    assert service.confirm(order, "test") is Outcome.PAID
    assert service.confirm(order, "test") is Outcome.ALREADY_PAID
    assert User.get_by_id(user.id).account_balance == 100_000
    assert balance.verify() == []


def test_an_unreachable_gateway_means_unknown_and_nothing_changes(service, gateway, product):
    order = checkout(service, make_user(17), product)
    gateway.pay(order.invoice_id)
    gateway.down = True
    assert service.confirm(order, "test") is Outcome.UNKNOWN
    assert Order.get_by_id(order.id).status == PENDING


def test_closing_while_the_gateway_cannot_be_asked_changes_nothing(service, gateway, events, product):
    order = checkout(service, make_user(18), product)
    gateway.down = True
    assert service.close(order, CANCELLED, source="test") is Outcome.UNKNOWN
    assert service.close(order, EXPIRED, source="test") is Outcome.UNKNOWN
    assert Order.get_by_id(order.id).status == PENDING
    assert StockLine.get(StockLine.order == order.id).state == "reserved"
    assert events.closed == []
    gateway.down = False
    assert service.close(order, CANCELLED, source="test") is Outcome.CLOSED
    assert gateway.status(order.invoice_id) == "canceled"
    assert events.closed == [order.invoice_id]


def test_a_cancel_refused_because_the_payment_landed_settles_the_order_normally(service, gateway, product):
    order = checkout(service, make_user(19), product)
    reserved = StockLine.get(StockLine.order == order.id)
    gateway.before_next_cancel(lambda: gateway.pay(order.invoice_id))
    assert service.close(order, CANCELLED, source="test") is Outcome.PAID
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.paid_late, settled.settlement) == (PAID, False, "delivered")
    assert StockLine.get_by_id(reserved.id).state == SOLD


def test_a_cancel_that_fails_and_finds_the_transaction_still_open_closes_nothing(service, gateway, product):
    order = checkout(service, make_user(20), product)

    def outage_during_cancel():
        gateway.down = True
    gateway.before_next_cancel(outage_during_cancel)
    assert service.close(order, EXPIRED, source="test") is Outcome.UNKNOWN
    assert Order.get_by_id(order.id).status == PENDING


def test_a_mismatch_is_flagged_once_never_settled_and_closed_without_asking(service, gateway, events, product):
    order = checkout(service, make_user(21), product)
    gateway.pay(order.invoice_id)
    gateway.misreport(order.invoice_id, amount=order.gateway_amount + 1)
    assert service.confirm(order, "test") is Outcome.MISMATCH
    assert service.confirm(order, "test") is Outcome.MISMATCH
    assert events.mismatches == [order.invoice_id] and events.paid == []
    asked = len(gateway.calls)
    assert service.close(order, EXPIRED, source="expiry") is Outcome.MISMATCH
    assert len(gateway.calls) == asked, "a mismatched order is closed without asking the gateway"
    assert Order.get_by_id(order.id).status == EXPIRED
    assert Product.get_by_id(product.id).stock_count == 2


def test_an_admin_delivers_a_closed_mismatch_once(service, gateway, events, product):
    order = checkout(service, make_user(22), product)
    gateway.misreport(order.invoice_id, account="another-shop")
    service.confirm(order, "test")
    service.close(order, EXPIRED, source="expiry")
    assert service.resolve_mismatch(1, order, "deliver") is True
    assert service.resolve_mismatch(1, order, "credit") is False
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.settlement, settled.mismatch_resolution) == (PAID, "delivered", "deliver")
    assert events.paid == [order.invoice_id]


def test_an_unmatched_order_cannot_be_resolved(service, product):
    order = checkout(service, make_user(23), product)
    assert service.resolve_mismatch(1, order, "close") is False
    assert Order.get_by_id(order.id).status == PENDING


def test_a_balance_purchase_at_a_price_the_customer_was_not_shown_is_refused(service, product):
    user = make_user(24)
    balance.apply(user.id, 50_000, balance.ADMIN)
    result = service.pay_with_balance(user, product.id, 1, "24-quote", user.id, quoted_subtotal=15_000)
    assert result.failure is CheckoutFailure.PRICE_CHANGED and result.needed == 20_000
    assert User.get_by_id(user.id).account_balance == 50_000 and Order.select().count() == 0


def test_the_expiry_job_moves_past_orders_it_cannot_finish(service, gateway, product):
    stuck, other = checkout(service, make_user(25), product), checkout(service, make_user(26), product)
    Order.update(expires_at=Order.created_at).where(Order.id.in_([stuck.id, other.id])).execute()
    gateway.unreachable.add(stuck.invoice_id)
    service.expire_stale()
    assert (Order.get_by_id(stuck.id).status, Order.get_by_id(other.id).status) == (PENDING, EXPIRED)
    gateway.unreachable.clear()
    asked = len(gateway.calls)
    service.expire_stale()
    assert len(gateway.calls) == asked, "the order that could not be finished waits its turn"
    service.after_outage()
    service.expire_stale()
    assert Order.get_by_id(stuck.id).status == EXPIRED

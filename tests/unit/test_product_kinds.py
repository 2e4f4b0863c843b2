"""Settlement by kind, on the in-memory gateway: unlimited needs no stock, manual waits for an admin,
a free item is one order per customer, and late payments and mismatch resolutions follow the kind too."""
from __future__ import annotations

import threading

import pytest

from quickcart import buyer_fields, catalogue, orders
from quickcart.models import (
    CANCELLED,
    DELIVERED,
    FREE,
    MANUAL,
    PAID,
    WAITING,
    BuyerFieldValue,
    ManualFulfilment,
    Order,
    Product,
    StockLine,
)
from quickcart.payments import CheckoutFailure, Outcome
from tests.unit.helpers import FEES, make_user

pytestmark = pytest.mark.usefixtures("no_sockets")


@pytest.fixture
def ebook(db):
    product = catalogue.add_product(1, "E-book Investasi", "Buku", 30_000, 25_000)
    catalogue.edit_product(1, product.id, {"kind": "unlimited", "max_quantity": 3})
    return catalogue.set_content(1, product.id, "https://contoh.id/ebook")


@pytest.fixture
def topup(db):
    product = catalogue.add_product(1, "Diamond FF 100", "Game", 15_000, 14_000)
    catalogue.edit_product(1, product.id, {"kind": "manual"})
    return catalogue.set_fields(1, product.id, buyer_fields.dump(buyer_fields.parse_spec(r"ID:^\d{6,10}$")))


@pytest.fixture
def freebie(db):
    product = catalogue.add_product(1, "Stiker Pack", "Gratis", 1_000, 1_000)
    catalogue.edit_product(1, product.id, {"kind": "unlimited", "customer_price": 0, "reseller_price": 0})
    return catalogue.set_content(1, product.id, "https://contoh.id/stiker")


def qris(service, user, product, quantity=1, fields=None):
    return service.checkout_qris(user, product.id, quantity, f"{user.id}-{Order.select().count()}", user.id,
                                 fields=fields)


def test_an_unlimited_product_reserves_nothing_and_is_delivered_as_often_as_it_is_bought(service, gateway, ebook):
    for user_id in (21, 22, 23):
        order = qris(service, make_user(user_id), ebook, quantity=2).order
        gateway.pay(order.invoice_id)
        assert service.confirm(order, "test") is Outcome.PAID
        assert Order.get_by_id(order.id).settlement == DELIVERED
    product = Product.get_by_id(ebook.id)
    assert (product.stock_count, product.sold_count, StockLine.select().count()) == (0, 6, 0)
    assert qris(service, make_user(24), ebook, quantity=4).failure is CheckoutFailure.UNAVAILABLE


def test_an_unlimited_product_without_content_cannot_be_bought(service, ebook):
    catalogue.set_content(1, ebook.id, None)
    assert qris(service, make_user(25), ebook).failure is CheckoutFailure.UNAVAILABLE


def test_a_paid_manual_order_waits_for_an_admin_with_the_buyers_fields(service, gateway, events, topup):
    order = qris(service, make_user(31), topup, fields=["12345678"]).order
    gateway.pay(order.invoice_id)
    assert service.confirm(order, "test") is Outcome.PAID
    assert Order.get_by_id(order.id).settlement == MANUAL
    assert ManualFulfilment.get(ManualFulfilment.order == order.id).state == WAITING
    assert buyer_fields.values_of(order) == [("ID", "12345678")]
    assert events.paid == [order.invoice_id]


def test_fields_that_do_not_fit_make_no_order(service, topup):
    for fields in (None, [], ["12"], ["12345678", "extra"]):
        assert qris(service, make_user(32), topup, fields=fields).failure is CheckoutFailure.FIELDS_INVALID
    assert Order.select().count() == 0 and BuyerFieldValue.select().count() == 0


def test_a_late_manual_payment_and_a_resolved_mismatch_still_wait_for_an_admin(service, gateway, topup):
    late = qris(service, make_user(33), topup, fields=["12345678"]).order
    assert service.close(late, CANCELLED, source="test") is Outcome.CLOSED
    gateway.pay(late.invoice_id)
    assert service.confirm(late, "late") is Outcome.PAID
    assert (Order.get_by_id(late.id).settlement, Order.get_by_id(late.id).paid_late) == (MANUAL, True)

    odd = qris(service, make_user(34), topup, fields=["87654321"]).order
    gateway.misreport(odd.invoice_id, amount=1)
    gateway.pay(odd.invoice_id)
    assert service.confirm(odd, "test") is Outcome.MISMATCH
    assert service.resolve_mismatch(1, odd, "deliver") is True
    assert Order.get_by_id(odd.id).settlement == MANUAL
    assert ManualFulfilment.select().count() == 2


def test_a_free_item_is_claimed_once_per_customer_however_many_presses_race(service, events, freebie):
    user = make_user(41)
    results = []
    presses = [threading.Thread(target=lambda: results.append(service.claim_free(user, freebie.id, user.id)))
               for _ in range(6)]
    for press in presses:
        press.start()
    for press in presses:
        press.join()
    assert sum(result.ok for result in results) == 1
    assert {result.failure for result in results if not result.ok} == {CheckoutFailure.DUPLICATE}
    (order,) = Order.select()
    assert (order.status, order.payment_method, order.total_bill, order.settlement) == (PAID, FREE, 0, DELIVERED)
    assert events.paid == [order.invoice_id]
    assert service.claim_free(make_user(42), freebie.id, 42).ok, "another customer claims their own"


def test_a_free_item_cannot_be_bought_and_a_priced_one_cannot_be_claimed(service, freebie, ebook):
    user = make_user(43)
    assert qris(service, user, freebie).failure is CheckoutFailure.UNAVAILABLE
    with pytest.raises(orders.ProductUnavailable):
        orders.create_purchase(user, freebie.id, 1, method="balance", fees=FEES, ttl_minutes=10, max_quantity=10,
                               chat_id=user.id)
    assert service.claim_free(user, ebook.id, user.id).failure is CheckoutFailure.UNAVAILABLE
    assert Order.select().count() == 0


@pytest.mark.parametrize("changes, reason", [
    ({"customer_price": 0, "reseller_price": 0}, "admin.reason.free_only_unlimited"),
    ({"kind": "bundle"}, "admin.reason.kind"),
    ({"warranty_days": 400}, "admin.reason.warranty_days"),
    ({"max_quantity": 0}, "admin.reason.max_quantity"),
])
def test_product_edits_that_break_a_kinds_rule_are_refused(db, changes, reason):
    product = catalogue.add_product(1, "Spotify", "Musik", 20_000, 18_000)
    with pytest.raises(catalogue.ProductError) as refused:
        catalogue.edit_product(1, product.id, changes)
    assert refused.value.key == reason


def test_content_is_set_only_on_the_kind_that_uses_it(db, topup, ebook):
    with pytest.raises(catalogue.ProductError) as refused:
        catalogue.set_content(1, topup.id, "teks")
    assert refused.value.key == "admin.reason.wrong_kind"
    with pytest.raises(catalogue.ProductError):
        catalogue.set_fields(1, ebook.id, None)

"""Orders: invoice ids, one order per checkout button, history pages."""
import re

import pytest

from quickcart import catalogue, orders, stock
from quickcart.models import Order, OrderItem
from tests.unit.helpers import make_user

FEES = orders.FeePolicy(70, 310)


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Canva Pro", "Desain", 25_000, 20_000)
    stock.add_lines(item.id, [f"canva-{i}" for i in range(30)])
    return item


def buy(user, product, quantity=1, token=None, method="qris"):
    return orders.create_purchase(user, product.id, quantity, method=method, fees=FEES, ttl_minutes=10,
                                  max_quantity=10, chat_id=user.id, checkout_token=token)


def test_invoice_ids_are_trx_jakarta_date_and_six_characters():
    invoice = orders.new_invoice_id()
    assert re.fullmatch(r"TRX\d{8}[A-Z0-9]{6}", invoice)


def test_an_order_fixes_the_price_the_user_saw_and_the_fee(product):
    reseller = make_user(2, reseller=True)
    order = buy(reseller, product, 2)
    item = OrderItem.get(OrderItem.order == order)
    assert (item.price_per_unit, item.quantity, item.product_name) == (20_000, 2, "Canva Pro")
    assert (order.subtotal, order.fee, order.gateway_amount) == (40_000, 280 + 310, 40_590)
    catalogue.edit_product(1, product.id, {"reseller_price": 15_000})
    assert OrderItem.get(OrderItem.order == order).price_per_unit == 20_000


def test_the_same_checkout_button_makes_one_order(product):
    user = make_user(3)
    first = buy(user, product, token="3-AbCdEfGh")
    with pytest.raises(orders.DuplicateCheckout) as duplicate:
        buy(user, product, token="3-AbCdEfGh")
    assert duplicate.value.order.id == first.id
    assert Order.select().count() == 1


def test_inactive_products_and_out_of_bounds_quantities_are_refused(product):
    user = make_user(4)
    with pytest.raises(orders.ProductUnavailable):
        buy(user, product, 11)
    with pytest.raises(orders.ProductUnavailable):
        buy(user, product, 0)
    catalogue.set_active(1, product.id, False)
    with pytest.raises(orders.ProductUnavailable):
        buy(user, product, 1)


def test_closing_is_conditional_and_happens_once(product):
    user = make_user(5)
    order = buy(user, product)
    assert orders.close(order, "expired") is True
    assert orders.close(order, "cancelled") is False
    assert Order.get_by_id(order.id).status == "expired"


def test_history_is_newest_first_and_paged(product):
    user = make_user(6)
    made = [buy(user, product) for _ in range(10)]
    page0, page, pages = orders.history(user, 0, per_page=4)
    assert pages == 3 and [o.id for o in page0] == [o.id for o in reversed(made)][:4]
    last, page, _ = orders.history(user, 99, per_page=4)
    assert page == 2 and len(last) == 2

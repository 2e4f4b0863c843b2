"""When Pakasir fails, the customer gets the friendly message and no stock stays reserved."""
from __future__ import annotations

from quickcart.models import CANCELLED, Order, Product, StockLine
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import choose_payment, open_product, start
from tests.words import button, fragment, says


def to_payment_choice(shop, telegram, user_id):
    product = shop.add_product(lines=["satu", "dua"])
    customer = telegram.user(user_id, "Tono")
    start(customer)
    return product, customer, choose_payment(customer, open_product(customer, product.name))


def test_pakasir_down_gets_the_friendly_message_and_one_admin_notice(shop, telegram, pakasir):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    product, customer, choice = to_payment_choice(shop, telegram, 8401)
    pakasir.go_down("503")
    customer.press(choice, button("btn.pay_qris"))
    customer.wait_for_message(contains=says("checkout.gateway_down"))
    assert Product.get_by_id(product.id).stock_count == 2
    assert not StockLine.select().where(StockLine.state == "reserved").exists()
    admin.wait_for_message(contains=says("notice.gateway_down", gateway="Pakasir"))
    customer.press(choice, button("btn.back"))
    card = customer.wait_for_message(contains=fragment("shop.card_price"))
    customer.press(card, button("btn.buy"))
    choice = customer.wait_for_message(contains=says("checkout.summary_title"))
    customer.press(choice, button("btn.pay_qris"))
    customer.wait_for_message(contains=says("checkout.gateway_down"))
    notices = [m for m in telegram.chat(admin.id).bot_messages()
               if says("notice.gateway_down", gateway="Pakasir") in m.plain_text()]
    assert len(notices) == 1, "one notice per change, not per failure"
    pakasir.come_up()
    admin.wait_for_message(contains=says("notice.gateway_up", gateway="Pakasir"), timeout=20)


def test_a_create_that_fails_after_pakasir_made_it_is_cancelled_and_stock_released(shop, telegram, pakasir):
    product, customer, choice = to_payment_choice(shop, telegram, 8402)
    pakasir.faults.add("create", status=500, after_processing=True)
    customer.press(choice, button("btn.pay_qris"))
    customer.wait_for_message(contains=says("checkout.gateway_error"))
    order = Order.get()
    assert order.status == CANCELLED
    assert pakasir.transaction(order.invoice_id).status == "canceled", "never left payable"
    assert len(pakasir.requests_for("create", order.invoice_id)) == 1, "no blind retry of create"
    assert Product.get_by_id(product.id).stock_count == 2


def test_a_create_that_failed_before_pakasir_made_it_is_tried_once_more(shop, telegram, pakasir):
    product, customer, choice = to_payment_choice(shop, telegram, 8403)
    pakasir.faults.add("create", drop=True)
    customer.press(choice, button("btn.pay_qris"))
    customer.wait_for_message(lambda m: m.kind == "photo")
    order = Order.get()
    assert order.status == "pending" and pakasir.transaction(order.invoice_id).status == "pending"
    assert len(pakasir.requests_for("create", order.invoice_id)) == 2


def test_a_double_tap_on_qris_makes_one_order(shop, telegram, pakasir):
    product, customer, choice = to_payment_choice(shop, telegram, 8404)
    first = customer.press(choice, button("btn.pay_qris"))
    second = customer.press(choice, button("btn.pay_qris"))
    customer.wait_for_answer(first)
    customer.wait_for_answer(second)
    customer.wait_for_message(lambda m: m.kind == "photo")
    telegram.wait_until(lambda: len(pakasir.transactions) == 1)
    assert Order.select().count() == 1
    assert Product.get_by_id(product.id).stock_count == 1

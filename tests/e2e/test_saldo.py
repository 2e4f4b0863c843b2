"""Saldo: top-ups credited exactly once, purchases from the balance, reseller prices."""
from __future__ import annotations

import pytest

from quickcart import balance, users
from quickcart.models import PAID, LedgerEntry, Order, StockLine, User
from tests.e2e.journey import choose_payment, invoice_of, open_product, pay_by_qris, start
from tests.words import button, fragment, says


@pytest.fixture(autouse=True)
def ledger_always_balances():
    yield
    assert balance.verify() == [], "a balance differs from the sum of its ledger"


def open_topup(customer):
    customer.tap_keyboard(button("menu.balance"))
    screen = customer.wait_for_message(contains=fragment("balance.title"))
    customer.press(screen, button("btn.topup"))
    return customer.wait_for_message(contains=fragment("balance.topup_choose"))


def test_a_top_up_whose_webhook_comes_three_times_plus_status_presses_credits_once(shop, telegram, pakasir):
    ayu = telegram.user(9001, "Ayu")
    start(ayu)
    presets = open_topup(ayu)
    ayu.press(presets, button("btn.topup_amount", amount=50_000))
    qr = ayu.wait_for_message(lambda m: m.kind == "photo")
    invoice = invoice_of(qr)
    order = Order.get(Order.invoice_id == invoice)
    assert (order.kind, order.subtotal, order.gateway_amount) == ("topup", 50_000, 50_000 + 350 + 310)
    assert pakasir.transaction(invoice).amount == order.gateway_amount

    pakasir.complete(invoice, webhook=False)
    presses = [ayu.press(qr, button("btn.check_status")) for _ in range(5)]
    pakasir.send_webhook(invoice, times=3, concurrent=True)
    ayu.wait_for_message(contains=fragment("delivery.topup_success"))
    for query_id in presses:
        ayu.wait_for_answer(query_id)
    pakasir.send_webhook(invoice, times=1)
    telegram.wait_until(lambda: Order.get_by_id(order.id).delivered_at)
    assert User.get_by_id(ayu.id).account_balance == 50_000
    entries = list(LedgerEntry.select().where(LedgerEntry.user == ayu.id))
    assert [(entry.reason, entry.delta) for entry in entries] == [("topup", 50_000)]
    assert sum(fragment("delivery.topup_success") in m.plain_text() for m in telegram.chat(ayu.id).bot_messages()) == 1


def test_a_typed_top_up_amount_is_checked_before_anything_is_created(shop, telegram, pakasir):
    bima = telegram.user(9002, "Bima")
    start(bima)
    presets = open_topup(bima)
    bima.press(presets, button("btn.topup_custom"))
    bima.wait_for_message(contains=fragment("balance.topup_ask"))
    for typed in ("seratus", "5000", "50,5", "-20000", "999999999"):
        bima.send_text(typed)
        bima.wait_for_message(contains=fragment("balance.topup_invalid"))
    assert Order.select().count() == 0
    bima.send_text("75.000")
    qr = bima.wait_for_message(lambda m: m.kind == "photo")
    assert Order.get(Order.invoice_id == invoice_of(qr)).subtotal == 75_000


def test_paying_from_the_balance_debits_sells_and_delivers_in_one_step(shop, telegram, pakasir):
    product = shop.add_product(lines=["saldo-goods-1", "saldo-goods-2"])
    citra = telegram.user(9003, "Citra")
    start(citra)
    balance.admin_adjust(1, users.get(citra.id), 60_000, "modal awal")
    choice = choose_payment(citra, open_product(citra, product.name))
    assert button("btn.pay_balance") in choice.button_texts()
    citra.press(choice, button("btn.pay_balance"))
    delivered = citra.wait_for_message(contains=says("delivery.title"))
    assert "saldo-goods-1" in delivered.plain_text()
    order = Order.get()
    assert (order.status, order.payment_method, order.fee, order.total_bill) == (PAID, "balance", 0, 50_000)
    assert User.get_by_id(citra.id).account_balance == 10_000
    assert not pakasir.transactions, "no QRIS for a balance purchase"


def test_two_balance_purchases_at_once_when_only_one_is_covered(shop, telegram, pakasir):
    product = shop.add_product(lines=["dual-1", "dual-2", "dual-3"])
    dodi = telegram.user(9004, "Dodi")
    start(dodi)
    balance.admin_adjust(1, users.get(dodi.id), 70_000, "modal")
    first = choose_payment(dodi, open_product(dodi, product.name))
    second = choose_payment(dodi, open_product(dodi, product.name))
    answers = [dodi.press(first, button("btn.pay_balance")), dodi.press(second, button("btn.pay_balance"))]
    texts_seen = [dodi.wait_for_answer(query_id).text for query_id in answers]
    assert texts_seen.count(button("checkout.paid_with_balance")) == 1
    assert sum((text or "").startswith(fragment("checkout.balance_insufficient")) for text in texts_seen) == 1
    dodi.wait_for_message(contains=says("delivery.title"))
    assert User.get_by_id(dodi.id).account_balance == 20_000
    assert Order.select().where(Order.status == PAID).count() == 1
    assert Order.select().count() == 1, "the refused purchase left no order behind"
    assert StockLine.select().where(StockLine.state == "sold").count() == 1


def test_resellers_and_customers_see_and_pay_their_own_prices(shop, telegram, pakasir):
    product = shop.add_product(price=50_000, reseller_price=42_000, lines=["r1", "r2"])
    eko, fina = telegram.user(9005, "Eko"), telegram.user(9006, "Fina")
    start(eko)
    start(fina)
    users.set_role(1, users.get(eko.id), "reseller")
    reseller_card = open_product(eko, product.name)
    assert says("shop.card_price_reseller", price=42_000) in reseller_card.plain_text()
    customer_card = open_product(fina, product.name)
    assert says("shop.card_price", price=50_000) in customer_card.plain_text()
    for customer in (eko, fina):
        qr = pay_by_qris(customer, product.name)
        pakasir.complete(invoice_of(qr))
        customer.wait_for_message(contains=says("delivery.title"))
    paid = {order.user_id: order for order in Order.select()}
    assert paid[eko.id].subtotal == 42_000 and paid[fina.id].subtotal == 50_000
    assert pakasir.transaction(paid[eko.id].invoice_id).amount == 42_000 + 42_000 * 70 // 10_000 + 310

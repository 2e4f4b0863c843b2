"""A customer buys by QRIS and gets the goods: once, and never someone else's."""
from __future__ import annotations

import threading

from quickcart import stock
from quickcart.models import AVAILABLE, PAID, RESERVED, SOLD, Order, Product, StockLine
from tests.e2e.journey import decode_qr, invoice_of, pay_by_qris, start
from tests.words import button, fragment, says

LINES = [f"email:buyer{i}@mail.test password:Rahasia-{i:04d}-xyz" for i in range(5)]


def goods_of(order: Order) -> list[str]:
    lines = StockLine.select().where(StockLine.order == order.id).order_by(StockLine.id)
    return [stock.line_text(line) for line in lines]


def test_a_customer_buys_two_and_receives_exactly_the_two_lines_sold_to_the_order(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    alice = telegram.user(7001, "Alice")
    start(alice)
    qr = pay_by_qris(alice, product.name, quantity=2)

    invoice = invoice_of(qr)
    transaction = pakasir.transaction(invoice)
    assert decode_qr(qr) == transaction.payment_number
    order = Order.get(Order.invoice_id == invoice)
    assert order.subtotal == 100_000 and order.fee == 100_000 * 70 // 10_000 + 310
    assert transaction.amount == order.subtotal + order.fee == order.gateway_amount
    caption = qr.plain_text()
    for expected in ("Rp100.000", "Rp1.010", "Rp101.010", fragment("payment.qr_expires")):
        assert expected in caption
    assert [b for row in qr.buttons() for b in (button["text"] for button in row)] == [
        button("btn.checkout_page"), button("btn.check_status"), button("btn.cancel")]
    assert StockLine.select().where(StockLine.state == RESERVED).count() == 2

    pakasir.complete(invoice)
    success = alice.wait_for_message(contains=says("delivery.title"))
    order = Order.get_by_id(order.id)
    sold = goods_of(order)
    assert order.status == PAID and len(sold) == 2
    assert all(line in success.plain_text() for line in sold)
    assert not any(line in success.plain_text() for line in set(LINES) - set(sold))
    telegram.wait_until(lambda: qr.deleted, what="the paid QR removed")
    product = Product.get_by_id(product.id)
    assert (product.stock_count, product.sold_count) == (3, 2)
    assert StockLine.select().where(StockLine.state == SOLD).count() == 2


def test_duplicate_webhooks_status_presses_and_polling_deliver_once(make_shop, telegram, pakasir):
    shop = make_shop(overrides={"pakasir": {"poll_interval_seconds": 1}})
    product = shop.add_product(lines=LINES)
    bob = telegram.user(7002, "Bob")
    start(bob)
    qr = pay_by_qris(bob, product.name)
    invoice = invoice_of(qr)

    pakasir.complete(invoice, webhook=False)
    presses = []
    racers = [threading.Thread(target=lambda: presses.append(bob.press(qr, button("btn.check_status"))))
              for _ in range(5)]
    for racer in racers:
        racer.start()
    results = pakasir.send_webhook(invoice, times=3, concurrent=True)
    for racer in racers:
        racer.join()
    assert all(result.status_code == 200 for result in results)

    bob.wait_for_message(contains=says("delivery.title"))
    telegram.wait_until(lambda: Order.get(Order.invoice_id == invoice).delivered_at is not None)
    for query_id in presses:
        bob.wait_for_answer(query_id)
    more_webhooks = pakasir.send_webhook(invoice, times=2)
    assert [result.status_code for result in more_webhooks] == [200, 200]
    successes = [m for m in telegram.chat(bob.id).bot_messages() if says("delivery.title") in m.plain_text()]
    assert len(successes) == 1
    assert StockLine.select().where(StockLine.state == SOLD).count() == 1
    assert Product.get_by_id(product.id).sold_count == 1


def test_ten_customers_racing_for_three_lines(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:3])
    customers = [telegram.user(7100 + i, f"Pembeli{i}") for i in range(10)]
    for customer in customers:
        start(customer)
    cards = {}
    for customer in customers:
        from tests.e2e.journey import choose_payment, open_product
        cards[customer.id] = choose_payment(customer, open_product(customer, product.name))
    for customer in customers:
        customer.press(cards[customer.id], button("btn.pay_qris"))

    def outcome(customer):
        for message in telegram.chat(customer.id).bot_messages():
            if message.kind == "photo":
                return "qr"
            if says("shop.card_sold_out") in message.plain_text():
                return "short"
        for press in telegram.chat(customer.id).presses:
            if press.answer and press.answer.text and (press.answer.text == button("shop.stock_gone")
                                                       or press.answer.text.startswith(fragment("shop.stock_short"))):
                return "short"
        return None

    telegram.wait_until(lambda: all(outcome(c) for c in customers), timeout=20, what="every customer answered")
    winners = [c for c in customers if outcome(c) == "qr"]
    assert len(winners) == 3
    for winner in winners:
        qr = next(m for m in telegram.chat(winner.id).bot_messages() if m.kind == "photo")
        pakasir.complete(invoice_of(qr))
    for winner in winners:
        winner.wait_for_message(contains=says("delivery.title"), timeout=15)
    sold = StockLine.select().where(StockLine.state == SOLD)
    assert sold.count() == 3 and len({line.order_id for line in sold}) == 3
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 0


def test_when_pakasir_charges_its_fee_to_the_customer_the_qr_shows_what_it_charges(make_shop, telegram, pakasir):
    pakasir.fee_mode = "customer"
    shop = make_shop(overrides={"pakasir": {"fee_percent_bp": 0, "fee_flat": 0}})
    product = shop.add_product(lines=LINES)
    cici = telegram.user(7003, "Cici")
    start(cici)
    qr = pay_by_qris(cici, product.name)
    transaction = pakasir.transaction(invoice_of(qr))
    assert transaction.amount == 50_000 and transaction.total_payment == 50_000 + transaction.fee
    caption = qr.plain_text()
    assert says("payment.qr_fee", fee=transaction.fee) in caption
    assert says("payment.qr_total", total=50_660) in caption
    pakasir.complete(invoice_of(qr))
    cici.wait_for_message(contains=says("delivery.title"))

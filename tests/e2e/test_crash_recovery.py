"""A crash never loses a paid order: after a restart it is delivered exactly once."""
from __future__ import annotations

from quickcart import stock
from quickcart.models import PAID, SOLD, Order, StockLine
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import says

LINES = ["lisensi-AAAA-BBBB-CCCC", "lisensi-DDDD-EEEE-FFFF"]


def successes(telegram, user_id: int) -> int:
    return sum(says("delivery.title") in m.plain_text() for m in telegram.chat(user_id).bot_messages())


def test_killed_right_after_pakasir_completes_the_order_is_delivered_once_after_restart(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    kiki = telegram.user(8201, "Kiki")
    start(kiki)
    qr = pay_by_qris(kiki, product.name)
    invoice = invoice_of(qr)
    telegram.wait_until(lambda: Order.get(Order.invoice_id == invoice).qr_message_id, what="QR recorded")
    shop.kill()
    pakasir.complete(invoice)  # the webhook finds nobody listening
    shop.start()
    kiki.wait_for_message(contains=says("delivery.title"), timeout=20)
    telegram.wait_until(lambda: Order.get(Order.invoice_id == invoice).delivered_at, what="delivery stamped")
    assert Order.get(Order.invoice_id == invoice).status == PAID
    telegram.wait_until(lambda: qr.deleted, what="the QR tidied after restart")
    shop.restart()
    assert successes(telegram, kiki.id) == 1
    assert StockLine.select().where(StockLine.state == SOLD).count() == 1


def test_a_paid_order_whose_message_never_went_out_is_sent_after_restart(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    lina = telegram.user(8202, "Lina")
    start(lina)
    qr = pay_by_qris(lina, product.name)
    invoice = invoice_of(qr)
    telegram.faults.add("sendMessage", status=502, chat_id=lina.id, times=50)
    pakasir.complete(invoice)
    telegram.wait_until(lambda invoice=invoice: Order.get(Order.invoice_id == invoice).status == PAID)
    shop.kill()
    telegram.faults.clear()
    assert Order.get(Order.invoice_id == invoice).delivered_at is None
    shop.start()
    lina.wait_for_message(contains=says("delivery.title"), timeout=20)
    assert successes(telegram, lina.id) == 1


def test_sigkill_at_random_points_of_twenty_purchases_loses_and_doubles_nothing(shop, telegram, pakasir):
    """Each purchase is interrupted by a SIGKILL at one of its phases, chosen at random:
    with the QR on screen, after Pakasir took the money but before the webhook, while
    Telegram refuses the delivery, or after the delivery. Then everything is recovered."""
    import random

    from quickcart.models import PENDING, RESERVED

    rng = random.Random(1127)
    product = shop.add_product(lines=[f"voucher-{i:03d}-{rng.randrange(10**8):08d}" for i in range(30)])
    buyers = [telegram.user(8300 + i, f"Pembeli{i}") for i in range(20)]
    phases = ["qr_shown", "paid_no_webhook", "delivery_refused", "delivered"]
    unpaid_after_kill = []
    for buyer in buyers:
        if not shop.running:
            shop.start()
        start(buyer)
        qr = pay_by_qris(buyer, product.name)
        invoice = invoice_of(qr)
        telegram.wait_until(lambda invoice=invoice: Order.get(Order.invoice_id == invoice).qr_message_id)
        phase = rng.choice(phases)
        if phase == "qr_shown":
            shop.kill()
            unpaid_after_kill.append(invoice)
        elif phase == "paid_no_webhook":
            pakasir.complete(invoice, webhook=False)
            shop.kill()
        elif phase == "delivery_refused":
            telegram.faults.add("sendMessage", status=502, chat_id=buyer.id, times=100)
            pakasir.complete(invoice)
            telegram.wait_until(lambda invoice=invoice: Order.get(Order.invoice_id == invoice).status == PAID)
            shop.kill()
            telegram.faults.clear()
        else:
            pakasir.complete(invoice)
            buyer.wait_for_message(contains=says("delivery.title"))
            telegram.wait_until(lambda invoice=invoice: Order.get(Order.invoice_id == invoice).delivered_at)
            shop.kill()
    shop.start()
    for invoice in unpaid_after_kill:  # the customer pays after the restart
        pakasir.complete(invoice)

    telegram.wait_until(lambda: Order.select().where((Order.status == PAID) & Order.delivered_at.is_null()).count() == 0
                        and Order.select().where(Order.status == PAID).count() == 20,
                        timeout=60, what="all twenty paid and delivered")
    for buyer in buyers:
        got = successes(telegram, buyer.id)
        assert got == 1, f"{buyer.first_name} got the goods {got} times"
    sold = list(StockLine.select().where(StockLine.state == SOLD))
    assert len(sold) == 20 and len({stock.line_text(line) for line in sold}) == 20
    assert len({line.order_id for line in sold}) == 20
    orphans = (StockLine.select().join(Order, on=(StockLine.order == Order.id))
               .where((StockLine.state == RESERVED) & (Order.status != PENDING)))
    assert orphans.count() == 0

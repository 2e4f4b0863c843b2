"""A crash never loses a paid order: after a restart it is delivered exactly once."""
from __future__ import annotations

from quickcart.models import PAID, SOLD, Order, StockLine
from tests.e2e.journey import invoice_of, pay_by_qris, start

LINES = ["lisensi-AAAA-BBBB-CCCC", "lisensi-DDDD-EEEE-FFFF"]


def successes(telegram, user_id: int) -> int:
    return sum("Pesanan berhasil" in (m.text or "") for m in telegram.chat(user_id).bot_messages())


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
    kiki.wait_for_message(contains="Pesanan berhasil", timeout=20)
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
    telegram.wait_until(lambda: Order.get(Order.invoice_id == invoice).status == PAID)
    shop.kill()
    telegram.faults.clear()
    assert Order.get(Order.invoice_id == invoice).delivered_at is None
    shop.start()
    lina.wait_for_message(contains="Pesanan berhasil", timeout=20)
    assert successes(telegram, lina.id) == 1

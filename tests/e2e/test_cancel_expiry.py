"""Batalkan and expiry give the stock back; a late payment is delivered or credited."""
from __future__ import annotations

from datetime import timedelta

from quickcart.models import AVAILABLE, CANCELLED, EXPIRED, PAID, LedgerEntry, Order, Product, StockLine, User
from quickcart.money import format_rupiah
from quickcart.timeutil import utcnow
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import button, fragment, says

LINES = ["akun-premium-01:pw-satu", "akun-premium-02:pw-dua"]


def test_batalkan_cancels_at_pakasir_returns_the_stock_and_says_so(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    eka = telegram.user(8101, "Eka")
    start(eka)
    qr = pay_by_qris(eka, product.name, quantity=2)
    invoice = invoice_of(qr)
    assert Product.get_by_id(product.id).stock_count == 0
    eka.press(qr, button("btn.cancel"))
    eka.wait_for_message(contains=says("payment.closed_cancelled", invoice=invoice))
    assert Order.get(Order.invoice_id == invoice).status == CANCELLED
    assert pakasir.transaction(invoice).status == "canceled"
    assert Product.get_by_id(product.id).stock_count == 2
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 2
    assert qr.buttons() == [], "the cancelled QR keeps no buttons"


def test_an_unpaid_qr_expires_and_the_stock_comes_back(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    fajar = telegram.user(8102, "Fajar")
    start(fajar)
    qr = pay_by_qris(fajar, product.name)
    invoice = invoice_of(qr)
    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(Order.invoice_id == invoice).execute()
    fajar.wait_for_message(contains=says("payment.closed_expired", invoice=invoice), timeout=15)
    assert Order.get(Order.invoice_id == invoice).status == EXPIRED
    assert pakasir.transaction(invoice).status == "canceled"
    assert Product.get_by_id(product.id).stock_count == 2


def test_a_qr_paid_just_before_batalkan_is_delivered_not_cancelled(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    gita = telegram.user(8103, "Gita")
    start(gita)
    qr = pay_by_qris(gita, product.name)
    invoice = invoice_of(qr)
    pakasir.complete(invoice, webhook=False)
    gita.press(qr, button("btn.cancel"))
    gita.wait_for_message(contains=says("delivery.title"))
    assert Order.get(Order.invoice_id == invoice).status == PAID


def test_a_late_payment_with_stock_left_is_delivered_and_announced(shop, telegram, pakasir):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    product = shop.add_product(lines=LINES)
    hana = telegram.user(8104, "Hana")
    start(hana)
    qr = pay_by_qris(hana, product.name)
    invoice = invoice_of(qr)
    hana.press(qr, button("btn.cancel"))
    hana.wait_for_message(contains=says("payment.closed_cancelled", invoice=invoice))
    pakasir.complete(invoice, force=True)
    hana.wait_for_message(contains=says("delivery.late_delivered", invoice=invoice))
    hana.wait_for_message(contains=says("delivery.title"))
    admin.wait_for_message(contains=says("notice.late", invoice=invoice, outcome=button("notice.late_delivered")))
    order = Order.get(Order.invoice_id == invoice)
    assert (order.status, order.paid_late, order.settlement) == (PAID, True, "delivered")
    assert Product.get_by_id(product.id).stock_count == 1


def test_a_late_payment_after_the_stock_sold_out_is_credited_to_the_balance(shop, telegram, pakasir):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    product = shop.add_product(lines=LINES[:1])
    indra, joko = telegram.user(8105, "Indra"), telegram.user(8106, "Joko")
    start(indra)
    start(joko)
    late_qr = pay_by_qris(indra, product.name)
    late_invoice = invoice_of(late_qr)
    indra.press(late_qr, button("btn.cancel"))
    indra.wait_for_message(contains=says("payment.closed_cancelled", invoice=late_invoice))
    joko_qr = pay_by_qris(joko, product.name)
    pakasir.complete(invoice_of(joko_qr))
    joko.wait_for_message(contains=says("delivery.title"))

    pakasir.complete(late_invoice, force=True)
    credited = indra.wait_for_message(contains=fragment("delivery.late_credited", invoice=late_invoice))
    late = Order.get(Order.invoice_id == late_invoice)
    # What Indra paid, the QRIS fee included, not only the goods' value.
    assert format_rupiah(late.total_bill) in credited.plain_text()
    assert says("delivery.late_credited_fee", fee=late.charged_fee) in credited.plain_text()
    admin.wait_for_message(contains=says("notice.late", invoice=late_invoice, outcome=button("notice.late_credited")))
    order = Order.get(Order.invoice_id == late_invoice)
    assert (order.status, order.settlement) == (PAID, "credited")
    assert User.get_by_id(indra.id).account_balance == order.total_bill == 50_660
    entry = LedgerEntry.get(LedgerEntry.order == order.id)
    assert (entry.reason, entry.delta) == ("late_credit", 50_660)

"""Riwayat lists orders newest first, paged, and shows a paid order's goods again; Akun is the profile."""
from __future__ import annotations

from quickcart import orders, users
from quickcart.models import Order
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import button, fragment, says


def test_history_shows_orders_newest_first_and_the_goods_again(shop, telegram, pakasir):
    product = shop.add_product(lines=["goods-line-one", "goods-line-two", "goods-line-three"])
    umar = telegram.user(8501, "Umar", username="umar")
    start(umar)
    first = pay_by_qris(umar, product.name)
    pakasir.complete(invoice_of(first))
    umar.wait_for_message(contains=says("delivery.title"))
    second = pay_by_qris(umar, product.name)
    umar.press(second, button("btn.cancel"))
    umar.wait_for_message(contains=fragment("payment.closed_cancelled"))

    umar.tap_keyboard(button("menu.history"))
    listing = umar.wait_for_message(contains=says("history.title"))
    labels = listing.button_texts()
    assert labels[0].startswith(button("status_icon.cancelled")) and labels[1].startswith(button("status_icon.paid"))
    umar.press(listing, labels[1])
    detail = umar.wait_for_message(contains=says("history.order_status", status=button("status.paid")))
    assert invoice_of(first) in detail.plain_text()
    umar.press(detail, button("btn.show_goods"))
    again = umar.wait_for_message(contains="goods-line-one")
    assert "goods-line-two" not in again.plain_text()

    umar.tap_keyboard(button("menu.account"))
    profile = umar.wait_for_message(contains=says("account.title"))
    assert "@umar" in profile.plain_text() and fragment("account.orders", count=1) in profile.plain_text()


def test_history_is_paged(shop, telegram, pakasir):
    product = shop.add_product(lines=[f"l{i}" for i in range(20)])
    vina = telegram.user(8502, "Vina")
    start(vina)
    buyer = users.get(vina.id)
    for _ in range(9):
        order = orders.create_purchase(buyer, product.id, 1, method="qris", fees=orders.FeePolicy(70, 310),
                                       ttl_minutes=10, max_quantity=10, chat_id=vina.id)
        orders.close(order, "cancelled")
    vina.tap_keyboard(button("menu.history"))
    listing = vina.wait_for_message(contains=says("history.title_paged", page=1, pages=2))
    vina.press(listing, button("btn.next"))
    vina.wait_for_message(contains=says("history.title_paged", page=2, pages=2))
    assert Order.select().count() == 9


def test_goods_too_long_for_one_message_come_as_a_txt_document(shop, telegram, pakasir):
    long_lines = [f"akun-{i:02d}@mail.test:" + "p" * 400 for i in range(12)]
    product = shop.add_product(lines=long_lines)
    wati = telegram.user(8503, "Wati")
    start(wati)
    qr = pay_by_qris(wati, product.name, quantity=10)
    pakasir.complete(invoice_of(qr))
    document = wati.wait_for_message(lambda m: m.kind == "document")
    assert says("delivery.title") in document.plain_text()
    assert document.document_name == f"{invoice_of(qr)}.txt"
    assert document.document.decode().splitlines() == long_lines[:10]

"""Browsing: categories, pages, the product card, quantities, and untrusted buttons."""
from __future__ import annotations

from quickcart import callbacks, catalogue
from quickcart.models import Order
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import open_product, start
from tests.words import button, fragment, says


def test_inactive_products_and_empty_categories_are_hidden(shop, telegram):
    shop.add_product(name="Netflix", category="Streaming", lines=["n1"])
    hidden = shop.add_product(name="Canva Pro", category="Desain", lines=["canva-pro-akun-01"])
    catalogue.set_active(ADMIN_ID, hidden.id, False)
    shop.add_product(name="Spotify", category="Musik", lines=[])
    mira = telegram.user(8301, "Mira")
    start(mira)
    mira.tap_keyboard(button("menu.products"))
    listing = mira.wait_for_message(contains=says("shop.categories"))
    labels = listing.button_texts()
    assert any("Streaming" in label for label in labels) and any("Musik" in label for label in labels)
    assert not any("Desain" in label for label in labels)


def test_an_out_of_stock_product_says_so_and_offers_no_buy_button(shop, telegram):
    product = shop.add_product(name="Spotify", category="Streaming", lines=[])
    nina = telegram.user(8302, "Nina")
    start(nina)
    card = open_product(nina, product.name)
    assert says("shop.card_sold_out") in card.plain_text()
    assert button("btn.buy") not in card.button_texts()
    answer = nina.wait_for_answer(nina.press_callback_data(card, callbacks.encode("buy", product.id, 1)))
    assert answer.text == button("shop.out_of_stock") and answer.show_alert
    assert Order.select().count() == 0


def test_quantity_stays_between_one_and_the_smaller_of_stock_and_the_maximum(make_shop, telegram):
    shop = make_shop(overrides={"shop": {"max_quantity": 3}})
    product = shop.add_product(lines=[f"line-{i}" for i in range(10)])
    oki = telegram.user(8303, "Oki")
    start(oki)
    card = open_product(oki, product.name)
    answer = oki.wait_for_answer(oki.press(card, button("btn.minus")))
    assert answer.text == button("shop.qty_min")
    for quantity in (2, 3):
        oki.press(card, button("btn.plus"))
        card = oki.wait_for_message(contains=fragment("shop.card_quantity", quantity=quantity))
    answer = oki.wait_for_answer(oki.press(card, button("btn.plus")))
    assert answer.text == button("shop.qty_max", limit=3)
    assert fragment("shop.card_quantity", quantity=3) in card.plain_text()
    answer = oki.wait_for_answer(oki.press_callback_data(card, callbacks.encode("buy", product.id, 9)))
    assert answer.text == button("shop.qty_max", limit=3) and answer.show_alert
    assert Order.select().count() == 0


def test_products_are_paged(shop, telegram):
    for i in range(11):
        shop.add_product(name=f"Produk {i:02d}", category="Voucher", lines=[f"v{i}"])
    putri = telegram.user(8304, "Putri")
    start(putri)
    putri.tap_keyboard(button("menu.products"))
    first = putri.wait_for_message(contains="Voucher")
    assert (says("shop.products_paged", category="Voucher", page=1, pages=2) in first.plain_text()
            or button("btn.page", page=1, pages=2) in first.button_texts())
    putri.press(first, button("btn.next"))
    second = putri.wait_for_message(contains=says("shop.products_paged", category="Voucher", page=2, pages=2))
    assert any("Produk 10" in label for label in second.button_texts())


def test_garbage_and_foreign_buttons_are_answered_and_change_nothing(shop, telegram, pakasir):
    product = shop.add_product(lines=["x1", "x2"])
    owner, stranger = telegram.user(8305, "Rina"), telegram.user(8306, "Sari")
    start(owner)
    start(stranger)
    card = open_product(owner, product.name)
    owner.press(card, button("btn.buy"))
    choice = owner.wait_for_message(contains=says("checkout.summary_title"))
    owner.press(choice, button("btn.pay_qris"))
    qr = owner.wait_for_message(lambda m: m.kind == "photo")
    order = Order.get()
    target = stranger.wait_for_message(contains=fragment("start.welcome"))
    for data in (callbacks.encode("cnl", order.id), callbacks.encode("chk", order.id),
                 callbacks.encode("goods", order.id), callbacks.encode("ord", order.id, 0),
                 "product_1_quantity_plus", "v1:prod:999999:1", "v9:cnl:1", "' OR 1=1 --"):
        answer = stranger.wait_for_answer(stranger.press_callback_data(target, data))
        assert answer.text in (button("gate.stale_button"), button("shop.unavailable")), data
    assert Order.get_by_id(order.id).status == "pending"
    assert pakasir.transaction(order.invoice_id).status == "pending"
    assert not qr.deleted

"""Unlimited products give every buyer the same content and never run out; a free one is claimed once."""
from __future__ import annotations

from quickcart.models import FREE, PAID, Order, OrderItem, Product, StockLine
from tests.admin_words import pattern
from tests.e2e.admin_helpers import start_admin
from tests.e2e.journey import invoice_of, open_product, start
from tests.e2e.kinds import pay_by_qris_in, unlimited
from tests.words import button, fragment, says

EBOOK = b"%PDF-1.4\n% Resep Nusantara, 120 halaman\n"


def buy_and_get_the_file(customer, pakasir, product):
    qr = pay_by_qris_in(customer, product.name, "Buku")
    pakasir.complete(invoice_of(qr))
    goods = customer.wait_for_message(contains=says("delivery.title"))
    document = customer.wait_for_message(lambda m: m.kind == "document", after=goods)
    return goods, document


def test_an_ebook_bought_by_two_customers_delivers_the_same_file_to_both_and_never_runs_out(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(name="E-book Resep Nusantara", category="Buku", price=25_000, reseller_price=20_000)
    admin.send_text(f"/editproduct {product.id} kind=unlimited")
    admin.wait_for_message(lambda m: pattern("admin.product.edited").search(m.plain_text()))
    admin.send_document("resep.pdf", EBOOK, caption=f"/setfile {product.id}", mime_type="application/pdf")
    admin.wait_for_message(lambda m: pattern("admin.product.goods").search(m.plain_text()))
    admin.send_text(f"/setcontent {product.id}\nVideo bonus: https://contoh.id/bonus")
    admin.wait_for_message(lambda m: pattern("admin.product.goods").search(m.plain_text()))
    uploaded = Product.get_by_id(product.id).file_id
    assert uploaded

    ani, budi = telegram.user(8801, "Ani"), telegram.user(8802, "Budi")
    for customer in (ani, budi):
        start(customer)
    card = open_product(ani, product.name, category="Buku")
    assert fragment("shop.card_available") in card.plain_text()
    files = []
    for customer in (ani, budi):
        goods, document = buy_and_get_the_file(customer, pakasir, product)
        assert "https://contoh.id/bonus" in goods.plain_text()
        files.append(document)
    assert [document.file.file_id for document in files] == [uploaded, uploaded]
    assert all(document.document == EBOOK for document in files)
    product = Product.get_by_id(product.id)
    assert (product.stock_count, product.sold_count) == (0, 2) and StockLine.select().count() == 0
    assert Order.select().where(Order.status == PAID).count() == 2
    assert fragment("shop.card_available") in open_product(budi, product.name, category="Buku").plain_text()


def test_a_free_item_claimed_twice_by_one_customer_gives_one_order(shop, telegram):
    product = unlimited(shop, "Template CV Gratis", "Template", 0, content="Unduh: https://contoh.id/cv.docx")
    cici = telegram.user(8803, "Cici")
    start(cici)
    card = open_product(cici, product.name, category="Template")
    assert says("shop.card_free") in card.plain_text()
    data = next(b["callback_data"] for row in card.buttons() for b in row if b["text"] == button("btn.claim_free"))
    first = cici.press(card, button("btn.claim_free"))
    second = cici.press_callback_data(card, data)  # a double tap: the button is still there
    goods = cici.wait_for_message(contains=says("delivery.title"))
    assert "https://contoh.id/cv.docx" in goods.plain_text() and says("delivery.paid_free") in goods.plain_text()
    answers = {cici.wait_for_answer(first).text, cici.wait_for_answer(second).text}
    assert answers == {button("shop.free_claimed"), button("shop.free_claimed_before")}

    again = open_product(cici, product.name, category="Template")
    query = cici.press(again, button("btn.claim_free"))
    assert cici.wait_for_answer(query).text == button("shop.free_claimed_before")
    orders = list(Order.select().where(Order.user == cici.id))
    assert len(orders) == 1 and orders[0].payment_method == FREE and orders[0].total_bill == 0
    assert orders[0].status == PAID and OrderItem.get(OrderItem.order == orders[0].id).price_per_unit == 0
    deliveries = [m for m in telegram.chat(cici.id).bot_messages() if says("delivery.title") in m.plain_text()]
    assert len(deliveries) == 1
    cici.tap_keyboard(button("menu.history"))
    history = cici.wait_for_message(contains=says("history.title"))
    assert any(product.name in label for label in history.button_texts())

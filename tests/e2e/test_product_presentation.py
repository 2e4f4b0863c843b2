"""How a product is presented: its photo, its formatted description, its terms accepted before the QR."""
from __future__ import annotations

from quickcart.callbacks import encode
from quickcart.models import AuditLog, Order, Product
from quickcart.qr import render_qr_png
from quickcart.richtext import FormatError, clean
from quickcart.sandbox.telegram_format import utf16_len
from tests.admin_words import pattern, reason, says, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin
from tests.e2e.journey import choose_payment, invoice_of, open_product, start
from tests.words import button, fragment
from tests.words import says as customer_says

PHOTO = render_qr_png("foto produk netflix")


def test_a_malformed_description_is_refused_at_editproduct_and_never_reaches_a_customer(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(description="Akun <b>sharing</b> 1 bulan", lines=["x@mail.test:1"])
    before = db_snapshot()
    for typed, why in (("<b>Garansi 30 hari", reason("admin.format.not_closed", tag="b")),
                       ('<a href="javascript:alert(1)">klik</a>', reason("admin.format.bad_link",
                                                                          href="javascript:alert(1)")),
                       ("<marquee>promo</marquee>", reason("admin.format.unknown_tag", tag="marquee",
                                                           allowed="b, strong, i, em, u, ins, s, strike, del, code, "
                                                                   "a"))):
        expected = reason("admin.reason.description_format", problem=_format_problem(typed))
        answer = ask(admin, f"/editproduct {product.id} description={typed}", expected)
        assert why in answer.plain_text() and usage_of("editproduct") in answer.plain_text()
    added = ask(admin, "/addproduct Spotify | Musik | 20000 | 18000 | Promo <b>hemat", reason(
        "admin.reason.description_format", problem=_format_problem("<b>hemat")))
    assert usage_of("addproduct") in added.plain_text()
    assert db_snapshot() == before

    customer = telegram.user(7301, "Budi")
    start(customer)
    card = open_product(customer, product.name)
    assert "Akun sharing 1 bulan" in card.plain_text()
    assert {"type": "bold", "offset": offset_of(card, "sharing"), "length": 7} in card.entities

    ask(admin, f"/editproduct {product.id} description=<i>Garansi</i> & <a href=\"https://toko.test/faq\">FAQ</a>",
        pattern("admin.product.edited"))
    assert Product.get_by_id(product.id).description == '<i>Garansi</i> &amp; <a href="https://toko.test/faq">FAQ</a>'
    customer.press(card, button("btn.plus"))
    card = customer.wait_for_message(contains="Garansi & FAQ")
    assert {"type": "text_link", "offset": offset_of(card, "FAQ"), "length": 3,
            "url": "https://toko.test/faq"} in card.entities


def offset_of(message, part: str) -> int:
    """Where ``part`` starts in a message, as Telegram's entities count (UTF-16)."""
    return utf16_len(message.plain_text()[:message.plain_text().index(part)])


def _format_problem(typed: str) -> FormatError:
    try:
        clean(typed, 2000)
    except FormatError as exc:
        return exc
    raise AssertionError(f"{typed!r} should be refused")


def test_a_photo_set_by_caption_shows_on_the_card_and_screens_change_between_photo_and_text(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["p1@mail.test:1", "p2@mail.test:2"])
    shop.add_product(name="Spotify", lines=["s@mail.test:1"])
    admin.send_photo(PHOTO, caption=f"/setphoto {product.id}")
    admin.wait_for_message(contains=says("admin.product.photo_set", id=product.id, name=product.name))
    preview = admin.wait_for_message(lambda m: m.kind == "photo")
    assert preview.photo == PHOTO and customer_says("shop.card_name", name=product.name) in preview.plain_text()
    assert Product.get_by_id(product.id).photo_file_id

    customer = telegram.user(7302, "Cici")
    start(customer)
    customer.tap_keyboard(button("menu.products"))
    listing = customer.wait_for_message(contains=customer_says("shop.products", category="Streaming"))
    customer.press(listing, product.name)
    card = customer.wait_for_message(lambda m: m.kind == "photo")
    assert card.photo == PHOTO
    assert fragment("shop.card_price") in card.plain_text() and button("btn.buy") in card.button_texts()
    telegram.wait_until(lambda: listing.deleted, what="the list replaced by the photo card")

    customer.press(card, button("btn.plus"))
    more = customer.wait_for_message(contains=fragment("shop.card_quantity", quantity=2))
    assert more.message_id == card.message_id and more.kind == "photo"  # the caption is edited in place

    customer.press(more, button("btn.back"))
    back = customer.wait_for_message(contains=customer_says("shop.products", category="Streaming"))
    assert back.kind == "text"
    telegram.wait_until(lambda: card.deleted, what="the photo card replaced by the list")

    ask(admin, f"/setphoto {product.id} off", says("admin.product.photo_removed", id=product.id, name=product.name))
    customer.press(back, product.name)
    plain = customer.wait_for_message(contains=fragment("shop.card_price"))
    assert plain.kind == "text" and plain.message_id == back.message_id
    refused = ask(admin, f"/setphoto {product.id}", reason("admin.reason.photo_needed"))
    assert usage_of("setphoto") in refused.plain_text()


def test_a_long_card_with_a_photo_fits_telegrams_caption_and_keeps_the_terms_for_checkout(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(description="<b>Garansi</b> penuh. " * 80, lines=["l1@mail.test:1"])
    ask(admin, f"/setterms {product.id}\n" + "Jangan ganti password. " * 40,
        says("admin.product.terms_set", id=product.id, name=product.name))
    admin.send_photo(PHOTO, caption=f"/setphoto {product.id}")
    admin.wait_for_message(lambda m: m.kind == "photo")
    customer = telegram.user(7303, "Dewi")
    start(customer)
    card = open_product(customer, product.name)
    assert card.kind == "photo" and len(card.plain_text()) <= 1024
    assert customer_says("shop.card_terms_notice") in card.plain_text()
    assert button("shop.cut_mark") in card.plain_text()


def test_terms_must_be_accepted_before_the_qr(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["t1@mail.test:1", "t2@mail.test:2"])
    answer = ask(admin, f"/setterms {product.id}\nJangan ganti <b>password</b>.\nGaransi 30 hari & tukar 1x.",
                 says("admin.product.terms_set", id=product.id, name=product.name))
    assert "Garansi 30 hari & tukar 1x." in admin.wait_for_message(contains="Jangan ganti password.",
                                                                   after=answer).plain_text()
    customer = telegram.user(7304, "Eko")
    start(customer)
    card = open_product(customer, product.name)
    assert "Jangan ganti password." in card.plain_text()

    # A payment button forged without accepting the terms makes no order: the terms are shown instead.
    forged = customer.press_callback_data(card, encode("pay", "q", product.id, 1, "AAAAAAAA", 50_000))
    assert customer.wait_for_answer(forged).text == button("shop.terms_first")
    shown = customer.wait_for_message(contains=fragment("shop.terms", name=product.name))  # the card became them
    assert Order.select().count() == 0
    customer.press(shown, button("btn.back"))
    card = customer.wait_for_message(contains=fragment("shop.card_price"))

    customer.press(card, button("btn.buy"))
    terms = customer.wait_for_message(contains=fragment("shop.terms", name=product.name))
    assert "Garansi 30 hari & tukar 1x." in terms.plain_text()
    assert terms.button_texts() == [button("btn.agree"), button("btn.back")]
    customer.press(terms, button("btn.agree"))
    choice = customer.wait_for_message(contains=customer_says("checkout.summary_title"))
    customer.press(choice, button("btn.pay_qris"))
    qr = customer.wait_for_message(lambda m: m.kind == "photo")
    invoice = invoice_of(qr)
    accepted = AuditLog.get(AuditLog.action == "terms.accepted")
    assert accepted.subject == f"order:{invoice}"

    # Changed terms are asked again, even from a summary shown before the change.
    other = telegram.user(7305, "Fajar")
    start(other)
    stale_choice = choose_payment_after_terms(other, product)
    ask(admin, f"/editproduct {product.id} terms=Garansi 7 hari saja.", pattern("admin.product.edited"))
    other.press(stale_choice, button("btn.pay_qris"))
    again = other.wait_for_message(contains="Garansi 7 hari saja.")
    assert button("btn.agree") in again.button_texts()
    assert Order.select().count() == 1

    ask(admin, f"/setterms {product.id} off", says("admin.product.terms_removed", id=product.id, name=product.name))
    other.press(again, button("btn.back"))
    card = other.wait_for_message(contains=fragment("shop.card_price"))
    assert "Garansi 7 hari" not in card.plain_text()
    assert customer_says("checkout.summary_title") in choose_payment(other, card).plain_text()


def choose_payment_after_terms(user, product):
    card = open_product(user, product.name)
    user.press(card, button("btn.buy"))
    terms = user.wait_for_message(contains=fragment("shop.terms", name=product.name))
    user.press(terms, button("btn.agree"))
    return user.wait_for_message(contains=customer_says("checkout.summary_title"))

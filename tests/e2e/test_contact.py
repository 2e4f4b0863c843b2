"""Hubungi Admin: customers write to the admins (text or photo, from the menu, an order, or an unknown text),
an admin's reply reaches the right customer through the bot — also after a restart — and writing is rate-limited."""
from __future__ import annotations

import pytest

from quickcart import contacts
from quickcart.models import AuditLog, ContactMessage, User
from tests import admin_words, words
from tests.e2e.admin_helpers import started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import qris_order
from tests.sandbox.test_telegram_standin import png

SECOND_ADMIN = 900_002


@pytest.fixture
def two_admins(make_shop, telegram):
    shop = make_shop(admin_ids=(ADMIN_ID, SECOND_ADMIN))
    return shop, started(telegram, ADMIN_ID, "Bos", "bos_toko"), started(telegram, SECOND_ADMIN, "Wakil")


def copy_from(admin, customer_name: str, customer_id: int, contains: str):
    """The admin's copy of a customer's message (a text, or a photo's caption) containing ``contains``."""
    head = admin_words.says("admin.contact.from", user=admin_words.user_label(customer_name, customer_id))
    return admin.wait_for_message(lambda m: head in m.plain_text() and contains in m.plain_text(), after=None)


def write_from_menu(customer, text: str):
    customer.tap_keyboard(words.button("menu.contact"))
    customer.wait_for_message(contains=words.says("contact.ask"))
    sent = customer.send_text(text)
    customer.wait_for_message(contains=words.says("contact.sent"))
    return sent


def test_a_customer_writes_from_the_menu_every_admin_gets_it_and_a_reply_reaches_that_customer(two_admins,
                                                                                                telegram):
    _, boss, deputy = two_admins
    ani = started(telegram, 7201, "Ani", "ani_a")
    budi = started(telegram, 7202, "Budi")
    write_from_menu(ani, "Halo min, stok Netflix kapan ada? <b>penting</b>")
    write_from_menu(budi, "Min, saya Budi")
    boss_copy = copy_from(boss, "Ani", 7201, "stok Netflix")
    assert "<b>penting</b>" in boss_copy.plain_text(), "the customer's text is shown as typed, not as markup"
    assert admin_words.says("admin.contact.username", username="ani_a") in boss_copy.plain_text()
    copy_from(deputy, "Ani", 7201, "stok Netflix")
    copy_from(boss, "Budi", 7202, "saya Budi")

    deputy_copy = copy_from(deputy, "Ani", 7201, "stok Netflix")
    deputy.send_text("Besok pagi kak 🙏", reply_to=deputy_copy)
    deputy.wait_for_message(contains=admin_words.says("admin.contact.sent",
                                                      user=admin_words.user_label("Ani", 7201)))
    answer = ani.wait_for_message(contains=words.says("contact.answer"))
    assert "Besok pagi kak 🙏" in answer.plain_text()
    assert answer.button_texts() == [words.button("btn.contact_reply")]
    assert not any("Besok pagi" in m.plain_text() for m in budi.messages), "only the customer who wrote gets it"

    rows = list(ContactMessage.select().order_by(ContactMessage.id))
    assert {(row.user_id, row.admin_id) for row in rows} == {(7201, ADMIN_ID), (7201, SECOND_ADMIN),
                                                              (7202, ADMIN_ID), (7202, SECOND_ADMIN)}
    trail = [(a.action, a.actor_id, a.subject) for a in AuditLog.select().where(AuditLog.action.startswith("contact"))]
    assert ("contact.message", 7201, "user:7201") in trail and ("contact.reply", SECOND_ADMIN, "user:7201") in trail
    written = " ".join(f"{a.before} {a.after} {a.detail}" for a in AuditLog.select())
    assert "Netflix" not in written and "Besok pagi" not in written, "the audit says who wrote to whom, not what"


def test_writing_from_an_order_names_the_order_both_ways(shop, telegram, pakasir):
    admin = started(telegram, ADMIN_ID, "Bos")
    citra = started(telegram, 7203, "Citra")
    product = shop.add_product(lines=["nf-1@mail.test:pw"])
    order = qris_order(pakasir, User.get_by_id(7203), product)
    citra.tap_keyboard(words.button("menu.history"))
    history = citra.wait_for_message(contains=words.says("history.title"))
    citra.press(history, history.button_texts()[0])  # the one order
    detail = citra.wait_for_message(contains=words.says("history.order_invoice", invoice=order.invoice_id))
    citra.press(detail, words.button("btn.contact"))
    citra.wait_for_message(contains=words.says("contact.ask_order", invoice=order.invoice_id))
    citra.send_text("QR-nya tidak bisa discan")
    citra.wait_for_message(contains=words.says("contact.sent"))
    copy = copy_from(admin, "Citra", 7203, "tidak bisa discan")
    assert order.invoice_id in copy.plain_text()

    admin.send_text("Coba screenshot lalu upload ya", reply_to=copy)
    answer = citra.wait_for_message(contains=words.says("contact.answer_order", invoice=order.invoice_id))
    assert "Coba screenshot" in answer.plain_text()
    admin.wait_for_message(contains=admin_words.says("admin.contact.sent", user=admin_words.user_label("Citra", 7203)))
    assert ContactMessage.get(ContactMessage.user == 7203).order_id == order.id
    assert AuditLog.get(AuditLog.action == "contact.reply").subject == f"order:{order.invoice_id}"


def test_photos_go_both_ways_by_file_id(shop, telegram):
    admin = started(telegram, ADMIN_ID, "Bos")
    dedi = started(telegram, 7204, "Dedi")
    dedi.tap_keyboard(words.button("menu.contact"))
    dedi.wait_for_message(contains=words.says("contact.ask"))
    proof = png(64, 48)
    dedi.send_photo(proof, caption="bukti transfer")
    dedi.wait_for_message(contains=words.says("contact.sent"))
    copy = admin.wait_for_message(lambda m: m.kind == "photo" and "bukti transfer" in m.plain_text())
    assert copy.photo == proof

    screenshot = png(32, 32)
    admin.send_photo(screenshot, caption="sudah masuk ya", reply_to=copy)
    answer = dedi.wait_for_message(lambda m: m.kind == "photo" and "sudah masuk" in m.plain_text())
    assert answer.photo == screenshot


def test_an_admin_reply_reaches_the_customer_after_a_restart(shop, telegram):
    admin = started(telegram, ADMIN_ID, "Bos")
    eka = started(telegram, 7205, "Eka")
    write_from_menu(eka, "Halo, ada promo?")
    copy = copy_from(admin, "Eka", 7205, "ada promo")
    shop.restart()
    admin.send_text("Ada, diskon 10%", reply_to=copy)
    assert "diskon 10%" in eka.wait_for_message(contains=words.says("contact.answer"), timeout=20).plain_text()


def test_a_text_outside_any_flow_is_offered_to_the_admins_and_sent_once(shop, telegram):
    admin = started(telegram, ADMIN_ID, "Bos")
    fani = started(telegram, 7206, "Fani")
    fani.send_text("akun saya error min")
    offer = fani.wait_for_message(contains=words.says("contact.offer"))
    fani.press(offer, words.button("btn.contact_send"))
    fani.wait_for_message(contains=words.says("contact.sent"))
    copy_from(admin, "Fani", 7206, "akun saya error")
    query = fani.press_callback_data(offer, "v1:fwd")  # a second press of the same offer
    fani.wait_for_answer(query)
    fani.wait_for_message(contains=words.says("contact.already_sent"))
    assert ContactMessage.select().count() == 1
    assert len([m for m in admin.messages if "akun saya error" in m.plain_text()]) == 1


def send_via_offer(customer, text: str):
    """A text outside any flow, then 💬 Kirim ke Admin under the offer (one message, one press: under the
    gate's flood limit of 10 messages a minute)."""
    customer.send_text(text)
    offer = customer.wait_for_message(contains=words.says("contact.offer"))
    customer.press(offer, words.button("btn.contact_send"))


def test_a_sixth_message_within_ten_minutes_gets_a_polite_wait(shop, telegram):
    admin = started(telegram, ADMIN_ID, "Bos")
    gita = started(telegram, 7207, "Gita")
    for n in range(contacts.MESSAGES_PER_WINDOW):
        send_via_offer(gita, f"pesan ke-{n}")
        gita.wait_for_message(contains=words.says("contact.sent"))
    send_via_offer(gita, "pesan keenam")
    gita.wait_for_message(contains=words.says("contact.too_many", count=5, minutes=10))
    copy_from(admin, "Gita", 7207, f"pesan ke-{contacts.MESSAGES_PER_WINDOW - 1}")
    assert ContactMessage.select().count() == contacts.MESSAGES_PER_WINDOW
    assert not any("pesan keenam" in m.plain_text() for m in admin.messages)


def test_cancel_sends_nothing_and_an_admin_reply_to_another_message_is_not_forwarded(shop, telegram):
    admin = started(telegram, ADMIN_ID, "Bos")
    hadi = started(telegram, 7208, "Hadi")
    hadi.tap_keyboard(words.button("menu.contact"))
    ask = hadi.wait_for_message(contains=words.says("contact.ask"))
    hadi.press(ask, words.button("btn.contact_cancel"))
    hadi.wait_for_message(contains=words.says("contact.cancelled"))
    hadi.send_text("tadi batal")
    hadi.wait_for_message(contains=words.says("contact.offer"))
    assert ContactMessage.select().count() == 0
    greeting = admin.messages[-1]
    admin.send_text("ini bukan balasan", reply_to=greeting)
    admin.wait_for_message(contains=words.says("gate.unknown_text"))
    assert not any("bukan balasan" in m.plain_text() for m in hadi.messages)

"""Manual products: the buyer's fields are asked and checked, an admin completes or rejects, once."""
from __future__ import annotations

import threading

from quickcart import balance, catalogue, users
from quickcart.models import (
    COMPLETED,
    MANUAL,
    PAID,
    REJECTED,
    AuditLog,
    BuyerFieldValue,
    LedgerEntry,
    ManualFulfilment,
    Order,
    User,
)
from tests.admin_words import pattern
from tests.admin_words import says as admin_says
from tests.e2e.admin_helpers import start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import invoice_of, open_product, start
from tests.e2e.kinds import manual
from tests.words import button, fragment, says

DEPUTY_ID = 900_002
FIELDS = r"ID Game:^\d{5,12}$ | Server:^\d{1,5}$"


def both_admins(make_shop, telegram):
    shop = make_shop(admin_ids=(ADMIN_ID, DEPUTY_ID))
    return shop, start_admin(telegram), started(telegram, DEPUTY_ID, "Wakil")


def card_of(admin, invoice: str):
    return admin.wait_for_message(lambda m: m.buttons() and invoice in m.plain_text(), after=admin.messages[0])


def at_once(*actions) -> None:
    threads = [threading.Thread(target=action) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fill_fields_and_pay(buyer, pakasir, product) -> Order:
    """The buyer types the fields (one wrong first), sees them on the summary, pays by QRIS."""
    card = open_product(buyer, product.name, category="Game")
    assert fragment("shop.card_fields") in card.plain_text()
    buyer.press(card, button("btn.buy"))
    buyer.wait_for_message(contains=says("checkout.field_ask", label="ID Game", position=1, count=2))
    buyer.send_text("abc12")
    again = buyer.wait_for_message(contains=says("checkout.field_invalid", label="ID Game"))
    assert says("checkout.field_ask", label="ID Game", position=1, count=2) in again.plain_text()
    buyer.send_text("123456789")
    buyer.wait_for_message(contains=says("checkout.field_ask", label="Server", position=2, count=2))
    buyer.send_text("2048")
    summary = buyer.wait_for_message(contains=says("checkout.summary_title"))
    for label, value in (("ID Game", "123456789"), ("Server", "2048")):
        assert says("checkout.summary_field", label=label, value=value) in summary.plain_text()
    buyer.press(summary, button("btn.pay_qris"))
    qr = buyer.wait_for_message(lambda m: m.kind == "photo")
    pakasir.complete(invoice_of(qr))
    buyer.wait_for_message(contains=says("delivery.manual_title"))
    return Order.get(Order.invoice_id == invoice_of(qr))


def test_a_manual_topup_is_completed_once_with_a_reply_even_when_two_admins_press_selesai_together(
        make_shop, telegram, pakasir):
    shop, boss, deputy = both_admins(make_shop, telegram)
    product = manual(shop, "Diamond ML 86", "Game", 20_000)
    boss.send_text(f"/setfields {product.id} {FIELDS}")
    boss.wait_for_message(contains=admin_says("admin.product.fields", id=product.id, name=product.name))
    dodi = telegram.user(8901, "Dodi")
    start(dodi)
    order = fill_fields_and_pay(dodi, pakasir, product)
    assert order.status == PAID and order.settlement == MANUAL
    assert [(v.label, v.value) for v in BuyerFieldValue.select().order_by(BuyerFieldValue.position)] == [
        ("ID Game", "123456789"), ("Server", "2048")]

    cards = [card_of(admin, order.invoice_id) for admin in (boss, deputy)]
    assert all("123456789" in card.plain_text() for card in cards)
    at_once(lambda: boss.press(cards[0], button("btn.manual_done")),
            lambda: deputy.press(cards[1], button("btn.manual_done")))
    for admin in (boss, deputy):
        admin.wait_for_message(contains=admin_says("admin.manual.ask_reply", invoice=order.invoice_id))
    replies = {boss.id: "Diamond masuk, kode TOPUP-111", deputy.id: "Sudah ya, kode TOPUP-222"}
    at_once(lambda: boss.send_text(replies[boss.id]), lambda: deputy.send_text(replies[deputy.id]))

    done = dodi.wait_for_message(contains=says("delivery.manual_done_title"))
    fulfilment = ManualFulfilment.get(ManualFulfilment.order == order.id)
    assert fulfilment.state == COMPLETED and replies[fulfilment.admin_id] in done.plain_text()
    winner, loser = (boss, deputy) if fulfilment.admin_id == boss.id else (deputy, boss)
    winner.wait_for_message(contains=admin_says("admin.manual.completed", invoice=order.invoice_id))
    told = loser.wait_for_message(lambda m: pattern("admin.decision.already").search(m.plain_text()))
    assert winner.first_name in told.plain_text()
    telegram.wait_until(lambda: ManualFulfilment.get_by_id(fulfilment.id).told_at is not None, what="told")
    dones = [m for m in telegram.chat(dodi.id).bot_messages() if says("delivery.manual_done_title") in m.plain_text()]
    assert len(dones) == 1
    assert AuditLog.select().where(AuditLog.action == "manual.complete").count() == 1

    late = deputy.press(cards[1], button("btn.manual_reject"))  # the card a second admin still has
    assert pattern("admin.decision.already").search(deputy.wait_for_answer(late).text)


def test_a_rejected_manual_order_refunds_the_balance_once(make_shop, telegram, pakasir):
    shop, boss, deputy = both_admins(make_shop, telegram)
    product = manual(shop, "Joki Rank Mythic", "Game", 150_000, fields="Akun Moonton")
    eka = telegram.user(8902, "Eka")
    start(eka)
    balance.admin_adjust(ADMIN_ID, users.get(eka.id), 200_000, "deposit")
    eka.press(open_product(eka, product.name, category="Game"), button("btn.buy"))
    eka.wait_for_message(contains=says("checkout.field_ask", label="Akun Moonton", position=1, count=1))
    eka.send_text("eka@mail.test")
    summary = eka.wait_for_message(contains=says("checkout.summary_title"))
    eka.press(summary, button("btn.pay_balance"))
    eka.wait_for_message(contains=says("delivery.manual_title"))
    order = Order.get(Order.user == eka.id)
    assert User.get_by_id(eka.id).account_balance == 50_000

    cards = [card_of(admin, order.invoice_id) for admin in (boss, deputy)]
    at_once(lambda: boss.press(cards[0], button("btn.manual_reject")),
            lambda: deputy.press(cards[1], button("btn.manual_reject")))
    for admin in (boss, deputy):
        admin.wait_for_message(contains=admin_says("admin.manual.ask_reason", invoice=order.invoice_id,
                                                   amount=150_000))
    at_once(lambda: boss.send_text("Server sedang gangguan"), lambda: deputy.send_text("Slot penuh"))

    rejected = eka.wait_for_message(contains=says("delivery.manual_rejected_title"))
    assert says("delivery.refunded", amount=150_000, balance=200_000) in rejected.plain_text()
    fulfilment = ManualFulfilment.get(ManualFulfilment.order == order.id)
    assert fulfilment.state == REJECTED and fulfilment.reason in rejected.plain_text()
    refunds = LedgerEntry.select().where((LedgerEntry.reason == balance.REFUND) & (LedgerEntry.user == eka.id))
    assert [entry.delta for entry in refunds] == [150_000] and refunds[0].order_id == order.id
    assert User.get_by_id(eka.id).account_balance == 200_000
    loser = deputy if fulfilment.admin_id == boss.id else boss
    loser.wait_for_message(lambda m: pattern("admin.decision.already").search(m.plain_text()))

    again = boss.press(cards[0], button("btn.manual_done"))
    assert pattern("admin.decision.already").search(boss.wait_for_answer(again).text)
    assert User.get_by_id(eka.id).account_balance == 200_000
    eka.tap_keyboard(button("menu.history"))
    history = eka.wait_for_message(contains=says("history.title"))
    eka.press(history, product.name)
    detail = eka.wait_for_message(contains=says("history.manual_rejected"))
    assert button("btn.show_goods") not in detail.button_texts()


def test_terms_come_before_the_fields_and_a_customer_cannot_press_an_admins_button(make_shop, telegram, pakasir):
    shop, boss, _ = both_admins(make_shop, telegram)
    product = manual(shop, "Voucher Manual", "Game", 10_000, fields="Nomor HP:^08\\d{8,11}$")
    catalogue.edit_product(ADMIN_ID, product.id, {"terms": "Pastikan nomor benar."})
    fani = telegram.user(8903, "Fani")
    start(fani)
    fani.press(open_product(fani, product.name, category="Game"), button("btn.buy"))
    terms = fani.wait_for_message(contains="Pastikan nomor benar.")
    fani.press(terms, button("btn.agree"))
    fani.wait_for_message(contains=says("checkout.field_ask", label="Nomor HP", position=1, count=1))
    fani.send_text("081234567890")
    summary = fani.wait_for_message(contains=says("checkout.summary_title"))
    fani.press(summary, button("btn.pay_qris"))
    qr = fani.wait_for_message(lambda m: m.kind == "photo")
    pakasir.complete(invoice_of(qr))
    fani.wait_for_message(contains=says("delivery.manual_title"))
    order = Order.get(Order.user == fani.id)
    data = next(b["callback_data"] for row in card_of(boss, order.invoice_id).buttons() for b in row
                if b["text"] == button("btn.manual_done"))
    forged = fani.press_callback_data(qr, data)
    assert fani.wait_for_answer(forged).text == button("gate.stale_button")
    assert ManualFulfilment.get(ManualFulfilment.order == order.id).state == "waiting"


def test_an_admins_reply_may_be_a_file_and_the_buyer_gets_that_file(shop, telegram):
    boss = start_admin(telegram)
    product = manual(shop, "Desain Logo", "Jasa", 50_000)
    gina = telegram.user(8904, "Gina")
    start(gina)
    balance.admin_adjust(ADMIN_ID, users.get(gina.id), 50_000, "deposit")
    gina.press(open_product(gina, product.name, category="Jasa"), button("btn.buy"))
    summary = gina.wait_for_message(contains=says("checkout.summary_title"))
    gina.press(summary, button("btn.pay_balance"))
    gina.wait_for_message(contains=says("delivery.manual_title"))
    order = Order.get(Order.user == gina.id)
    boss.press(card_of(boss, order.invoice_id), button("btn.manual_done"))
    boss.wait_for_message(contains=admin_says("admin.manual.ask_reply", invoice=order.invoice_id))
    boss.send_document("logo-final.zip", b"PK\x03\x04 logo", mime_type="application/zip")  # no caption
    done = gina.wait_for_message(contains=says("delivery.manual_done_title"))
    file = gina.wait_for_message(lambda m: m.kind == "document", after=done)
    assert file.document == b"PK\x03\x04 logo"
    fulfilment = ManualFulfilment.get(ManualFulfilment.order == order.id)
    assert (fulfilment.state, fulfilment.reply_file_kind) == (COMPLETED, "document")

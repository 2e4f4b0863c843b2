"""Money by hand: /addbalance tells the customer (unless silent), /refund gives back what was paid, once."""
from __future__ import annotations

import json

import pytest

from quickcart.models import PAID, AuditLog, LedgerEntry, Order, User
from tests import words
from tests.admin_words import SAY, says, syntax_of, usage_of, user_label
from tests.e2e.admin_helpers import answers_since, ask, db_snapshot, start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import qris_order


def paid_order(shop, telegram, pakasir, admin, customer_id: int, name: str = "Spotify Family") -> Order:
    """A QRIS purchase the customer paid, settled by an admin's /recheck and delivered."""
    product = shop.add_product(name=name, lines=[f"{name}-1@mail.test:Pw1", f"{name}-2@mail.test:Pw2"])
    order = qris_order(pakasir, User.get_by_id(customer_id), product)
    pakasir.complete(order.invoice_id, webhook=False)
    ask(admin, f"/recheck {order.invoice_id}", order.invoice_id)
    telegram.wait_until(lambda: Order.get_by_id(order.id).delivered_at is not None, what="the goods delivered")
    paid = Order.get_by_id(order.id)
    assert paid.status == PAID
    return paid


def test_addbalance_tells_the_customer_unless_silent(shop, telegram):
    admin = start_admin(telegram)
    fajar = started(telegram, 7101, "Fajar")
    label = user_label("Fajar", 7101)
    answer = ask(admin, "/addbalance 7101 25rb bonus event", says("admin.user.balance_added", user=label,
                                                                  amount=25_000, balance=25_000)).plain_text()
    assert says("admin.customer.told") in answer
    told = fajar.wait_for_message(contains=words.says("balance.admin_added", amount=25_000, balance=25_000))
    assert words.says("balance.admin_note", note="bonus event") in told.plain_text()

    heard = fajar.messages[-1]
    answer = ask(admin, "/addbalance 7101 -5000 silent koreksi", says("admin.user.balance_taken", user=label,
                                                                      amount=5_000, balance=20_000)).plain_text()
    assert says("admin.customer.not_told") in answer
    assert answers_since(fajar, heard) == [], "a silent change is not announced"
    last = LedgerEntry.select().order_by(LedgerEntry.id.desc()).get()
    assert (last.delta, last.note, last.admin_id) == (-5_000, "koreksi", ADMIN_ID)


def test_addbalance_to_a_customer_who_blocked_the_bot_is_kept_and_says_they_were_not_reached(shop, telegram):
    admin = start_admin(telegram)
    gina = started(telegram, 7102, "Gina")
    gina.block_bot()
    answer = ask(admin, "/addbalance 7102 10000", says("admin.customer.unreachable")).plain_text()
    assert says("admin.user.balance_added", user=user_label("Gina", 7102), amount=10_000, balance=10_000) in answer
    assert User.get_by_id(7102).account_balance == 10_000


def test_refund_credits_what_was_paid_tells_the_customer_and_a_second_refund_is_refused(shop, telegram, pakasir):
    admin = start_admin(telegram)
    hana = started(telegram, 7103, "Hana")
    order = paid_order(shop, telegram, pakasir, admin, 7103)
    invoice = order.invoice_id

    before = db_snapshot()
    ask(admin, f"/refund {invoice} {order.total_bill + 1}", says("admin.refund.too_much", invoice=invoice,
                                                                 paid=order.total_bill))
    assert db_snapshot() == before, "a refund over the paid amount changes nothing"

    answer = ask(admin, f"/refund {invoice.lower()} akun tidak bisa login", says(
        "admin.refund.done", invoice=invoice, amount=order.total_bill, user=user_label("Hana", 7103),
        balance=order.total_bill)).plain_text()
    assert says("admin.customer.told") in answer
    told = hana.wait_for_message(contains=words.says("history.refunded_notice", invoice=invoice,
                                                     amount=order.total_bill, balance=order.total_bill))
    assert words.says("history.refund_reason", reason="akun tidak bisa login") in told.plain_text()
    entry = LedgerEntry.get((LedgerEntry.order == order.id) & (LedgerEntry.reason == "refund"))
    assert (entry.delta, entry.admin_id, entry.note) == (order.total_bill, ADMIN_ID, "akun tidak bisa login")
    audit = AuditLog.get(AuditLog.action == "order.refund")
    assert audit.actor_id == ADMIN_ID and audit.subject == f"order:{invoice}"
    assert json.loads(audit.after) == {"balance": order.total_bill, "refunded": order.total_bill}

    before = db_snapshot()
    again = ask(admin, f"/refund {invoice} 1000", words.fragment("admin.refund.already", invoice=invoice,
                                                                amount=order.total_bill)).plain_text()
    assert invoice in again
    assert db_snapshot() == before, "a second refund changes nothing"
    assert User.get_by_id(7103).account_balance == order.total_bill

    detail = ask(admin, f"/order {invoice}", order.invoice_id).plain_text()
    assert words.fragment("admin.order.refunded", amount=order.total_bill) in detail


def test_a_partial_refund_is_the_orders_only_refund(shop, telegram, pakasir):
    admin = start_admin(telegram)
    started(telegram, 7104, "Indra")
    order = paid_order(shop, telegram, pakasir, admin, 7104)
    ask(admin, f"/refund {order.invoice_id} 10.000", says("admin.refund.done", invoice=order.invoice_id,
                                                          amount=10_000, user=user_label("Indra", 7104),
                                                          balance=10_000))
    ask(admin, f"/refund {order.invoice_id} 5000", words.fragment("admin.refund.already", invoice=order.invoice_id,
                                                                  amount=10_000))
    assert User.get_by_id(7104).account_balance == 10_000


def test_refund_of_an_unpaid_order_or_a_top_up_is_refused(shop, telegram, pakasir):
    admin = start_admin(telegram)
    started(telegram, 7105, "Joko")
    product = shop.add_product(lines=["nf-1@mail.test:pw"])
    pending = qris_order(pakasir, User.get_by_id(7105), product)
    before = db_snapshot()
    ask(admin, f"/refund {pending.invoice_id}", says("admin.refund.not_paid", invoice=pending.invoice_id,
                                                     status=SAY.plain("status.pending")))
    ask(admin, "/refund TRX20990101NOPE00", says("admin.order.missing", invoice="TRX20990101NOPE00"))
    assert db_snapshot() == before


MALFORMED = [("/refund", syntax_of("refund")), ("/refund TRX-1", syntax_of("refund")),
             ("/refund TRX1 0", syntax_of("refund")), ("/refund TRX1 1,5 rusak", syntax_of("refund")),
             ("/addbalance 7106 silent", syntax_of("addbalance"))]


@pytest.mark.parametrize("text, expected", MALFORMED, ids=[text for text, _ in MALFORMED])
def test_malformed_refund_and_addbalance_answer_their_syntax_and_change_nothing(shop, telegram, text, expected):
    admin = start_admin(telegram)
    started(telegram, 7106, "Kiki")
    before = db_snapshot()
    assert usage_of(text.split()[0][1:]) in ask(admin, text, expected).plain_text()
    assert db_snapshot() == before

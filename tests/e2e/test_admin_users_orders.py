"""Admins look after users and orders: profiles, bans, roles, balances, order detail, rechecks,
and the sale and low-stock notices a paid order sends them."""
from __future__ import annotations

import json

import pytest

from quickcart import balance
from quickcart.models import PAID, AuditLog, LedgerEntry, Order, User
from tests.admin_words import GATEWAY, SAY, pattern, says, syntax_of, usage_of, user_label
from tests.e2e.admin_helpers import ask, audit_actions, db_snapshot, start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import qris_order


@pytest.mark.breaks_invariants  # an order marked paid by hand, without its settlement
def test_user_shows_profile_balance_orders_and_spend_by_id_username_or_member_id(shop, telegram, pakasir):
    admin = start_admin(telegram)
    started(telegram, 7001, "Citra <Dewi>", username="citra_d")
    citra = User.get_by_id(7001)
    product = shop.add_product(lines=["nf-1@mail.test:pw", "nf-2@mail.test:pw"])
    paid = qris_order(pakasir, citra, product)
    Order.update(status=PAID).where(Order.id == paid.id).execute()
    qris_order(pakasir, citra, product)  # still pending
    for query in ("7001", "@citra_d", citra.bank_id.lower()):
        profile = ask(admin, f"/user {query}", "Citra <Dewi>").plain_text()
        assert says("admin.user.ids", id=7001, member=citra.bank_id) in profile
        assert says("admin.user.balance", balance=0) in profile
        assert says("admin.user.orders", count=2, paid=1, spent=paid.total_bill) in profile
    ask(admin, "/user @nobody", says("admin.user.missing", query="@nobody"))


def test_ban_silences_a_customer_and_unban_lets_them_back(shop, telegram):
    admin = start_admin(telegram)
    dodi = started(telegram, 7002, "Dodi")
    dodi_label = user_label("Dodi", 7002)
    ask(admin, "/ban 7002 spam berulang & kasar",
        says("admin.user.banned_with_reason", user=dodi_label, reason="spam berulang & kasar"))
    assert User.get_by_id(7002).is_banned and User.get_by_id(7002).ban_reason == "spam berulang & kasar"
    ask(dodi, "/start", says("gate.banned"))
    ask(admin, "/unban 7002", says("admin.user.unbanned", user=dodi_label))
    ask(dodi, "/start", pattern("start.welcome"))
    ban, unban = (AuditLog.get(AuditLog.action == action) for action in ("user.ban", "user.unban"))
    assert ban.actor_id == unban.actor_id == ADMIN_ID
    assert json.loads(ban.before)["is_banned"] is False and json.loads(ban.after)["is_banned"] is True
    ask(admin, f"/ban {ADMIN_ID}", says("admin.user.cannot_ban_admin"))


def test_setrole_makes_a_customer_a_reseller_and_back(shop, telegram):
    admin = start_admin(telegram)
    started(telegram, 7003, "Eka")
    ask(admin, "/setrole 7003 reseller", says("admin.user.now_reseller", user=user_label("Eka", 7003)))
    assert User.get_by_id(7003).member_status == "reseller"
    ask(admin, "/setrole 7003 customer", says("admin.user.now_customer", user=user_label("Eka", 7003)))
    assert User.get_by_id(7003).member_status == "customer"
    assert audit_actions()[-2:] == ["user.setrole", "user.setrole"]


def test_addbalance_goes_through_the_ledger_and_never_below_zero(shop, telegram):
    admin = start_admin(telegram)
    started(telegram, 7004, "Fajar")
    fajar = user_label("Fajar", 7004)
    ask(admin, "/addbalance 7004 50.000 bonus event", says("admin.user.balance_added", user=fajar, amount=50_000,
                                                            balance=50_000))
    ask(admin, "/addbalance 7004 -20000 koreksi", says("admin.user.balance_taken", user=fajar, amount=20_000,
                                                        balance=30_000))
    before = db_snapshot()
    ask(admin, "/addbalance 7004 -30001", says("admin.user.balance_short", user=fajar, balance=30_000, amount=30_001))
    assert db_snapshot() == before
    entries = list(LedgerEntry.select().where(LedgerEntry.user == 7004).order_by(LedgerEntry.id))
    assert [(e.delta, e.balance_after, e.reason, e.admin_id, e.note) for e in entries] == [
        (50_000, 50_000, "admin", ADMIN_ID, "bonus event"), (-20_000, 30_000, "admin", ADMIN_ID, "koreksi")]
    assert User.get_by_id(7004).account_balance == 30_000 and balance.verify() == []
    adjust = AuditLog.select().where(AuditLog.action == "balance.adjust").order_by(AuditLog.id.desc()).get()
    assert (adjust.before, adjust.after) == ('{"balance": 50000}', '{"balance": 30000}')


def test_recheck_settles_a_paid_order_and_admins_get_sale_and_low_stock_notices(shop, telegram, pakasir):
    admin = start_admin(telegram)
    gita = started(telegram, 7005, "Gita")
    product = shop.add_product(name="Spotify Family", lines=["sp-1@mail.test:Pw1", "sp-2@mail.test:Pw2",
                                                             "sp-3@mail.test:Pw3"])
    order = qris_order(pakasir, User.get_by_id(7005), product)
    ask(admin, f"/recheck {order.invoice_id}", says("admin.recheck.pending", invoice=order.invoice_id, gateway=GATEWAY))
    assert Order.get_by_id(order.id).status == "pending"

    pakasir.complete(order.invoice_id, webhook=False)
    ask(admin, f"/recheck {order.invoice_id.lower()}", says("admin.recheck.paid", invoice=order.invoice_id,
                                                             gateway=GATEWAY))
    assert Order.get_by_id(order.id).status == PAID
    sale = admin.wait_for_message(contains=says("notice.sale_item", name="Spotify Family", quantity=1)).plain_text()
    assert order.invoice_id in sale and says("notice.buyer", name="Gita", id=7005) in sale
    admin.wait_for_message(contains=says("notice.low_stock", name="Spotify Family", id=product.id, stock=2))
    assert "sp-1@mail.test:Pw1" in gita.wait_for_message(contains=says("delivery.title")).plain_text()
    recheck = AuditLog.select().where(AuditLog.action == "order.recheck").order_by(AuditLog.id.desc()).get()
    assert recheck.actor_id == ADMIN_ID and json.loads(recheck.after)["status"] == PAID

    detail = ask(admin, f"/order {order.invoice_id}", order.invoice_id).plain_text()
    assert SAY.plain("status.paid") in detail and "Spotify Family" in detail
    assert says("admin.order.buyer", buyer=user_label("Gita", 7005)) in detail
    assert "payment.paid" in detail
    goods = admin.wait_for_message(contains="sp-1@mail.test:Pw1").plain_text()
    assert goods == says("admin.order.goods", count=1, goods="sp-1@mail.test:Pw1")


def test_order_with_many_delivered_lines_sends_them_as_a_file(shop, telegram, pakasir):
    admin = start_admin(telegram)
    started(telegram, 7006, "Hana")
    lines = [f"voucher-{i:04d}-" + "K" * 400 for i in range(12)]
    product = shop.add_product(name="Voucher Game", lines=lines)
    order = qris_order(pakasir, User.get_by_id(7006), product, quantity=10)
    pakasir.complete(order.invoice_id, webhook=False)
    ask(admin, f"/recheck {order.invoice_id}", says("admin.recheck.paid", invoice=order.invoice_id, gateway=GATEWAY))
    ask(admin, f"/order {order.invoice_id}", order.invoice_id)
    document = admin.wait_for_message(lambda m: m.kind == "document")
    assert document.document_name == SAY.plain("admin.order.goods_file_name", invoice=order.invoice_id)
    assert document.document.decode("utf-8").splitlines() == lines[:10]


def test_orders_lists_the_latest_orders_newest_first(shop, telegram, pakasir):
    admin = start_admin(telegram)
    started(telegram, 7007, "Indra")
    product = shop.add_product(lines=[f"acc-{i}@mail.test:pw" for i in range(5)])
    made = [qris_order(pakasir, User.get_by_id(7007), product) for _ in range(4)]
    listing = ask(admin, "/orders 3", says("admin.order.list_title", count=3)).plain_text()
    positions = [listing.find(order.invoice_id) for order in reversed(made[1:])]
    assert -1 not in positions and positions == sorted(positions)
    assert made[0].invoice_id not in listing
    ask(admin, "/orders", says("admin.order.list_title", count=4))


NO_SUCH_USER = says("admin.reason.no_such_user", query="99999")
MALFORMED = [
    ("/user", syntax_of("user")), ("/user 1 2", syntax_of("user")),
    ("/ban", syntax_of("ban")), ("/ban 99999", NO_SUCH_USER),
    ("/unban", syntax_of("unban")), ("/unban 7008 sekarang", syntax_of("unban")),
    ("/setrole 7008", syntax_of("setrole")), ("/setrole 7008 admin", says("admin.reason.role", typed="admin")),
    ("/setrole 99999 reseller", NO_SUCH_USER),
    ("/addbalance 7008", syntax_of("addbalance")), ("/addbalance 7008 0", syntax_of("addbalance")),
    ("/addbalance 7008 sepuluh", syntax_of("addbalance")), ("/addbalance 7008 1,5", syntax_of("addbalance")),
    ("/addbalance 99999 1000", NO_SUCH_USER),
    ("/order", syntax_of("order")), ("/order TRX-1", syntax_of("order")),
    ("/orders 0", syntax_of("orders")), ("/orders banyak", syntax_of("orders")),
    ("/recheck", syntax_of("recheck")), ("/recheck a b", syntax_of("recheck")),
]


@pytest.mark.parametrize("chunk", [MALFORMED[:10], MALFORMED[10:]], ids=["users", "balance-orders"])
def test_malformed_user_and_order_commands_answer_their_syntax_and_change_nothing(shop, telegram, chunk):
    admin = start_admin(telegram)
    started(telegram, 7008, "Joko")
    before = db_snapshot()
    for text, expected in chunk:
        answer = ask(admin, text, expected).plain_text()
        assert usage_of(text.split()[0][1:]) in answer, text
    ask(admin, "/order TRX20990101NOPE00", says("admin.order.missing", invoice="TRX20990101NOPE00"))
    ask(admin, "/recheck TRX20990101NOPE00", says("admin.order.missing", invoice="TRX20990101NOPE00"))
    assert db_snapshot() == before

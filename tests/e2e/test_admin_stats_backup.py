"""The shop's figures (/stats and GET /admin/stats), maintenance mode, and backups."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta

from quickcart import admin_views, orders, users
from quickcart.models import BALANCE, QRIS, AuditLog, Order
from quickcart.sandbox.launcher import ENTRY_POINT
from quickcart.timeutil import jakarta_day_bounds_utc, jakarta_today, utcnow
from tests.admin_words import pattern, says, syntax_of, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.unit.helpers import paid_purchase, paid_topup

FEES = orders.FeePolicy(70, 310)


def register(user_id: int, name: str):
    return users.register(users.TelegramIdentity(id=user_id, first_name=name))[0]


def seed_a_day_of_sales(shop) -> dict:
    """Paid and pending orders of both kinds on both sides of Jakarta's midnight; the expected figures."""
    netflix = shop.add_product(name="Netflix", lines=[f"nf-{i}@mail.test:pw" for i in range(10)])
    spotify = shop.add_product(name="Spotify", category="Musik", price=20_000, reseller_price=18_000,
                               lines=[f"sp-{i}@mail.test:pw" for i in range(10)])
    alice, bob = register(6001, "Alice"), register(6002, "Bob")
    start, _ = jakarta_day_bounds_utc(jakarta_today())
    now = utcnow()
    today_first = paid_purchase(alice, netflix, 1, start)  # 00:00 WIB today
    today_second = paid_purchase(bob, spotify, 3, now)
    today_balance = paid_purchase(bob, spotify, 1, now, method=BALANCE)
    paid_purchase(alice, netflix, 2, start - timedelta(seconds=1))  # 23:59:59 WIB yesterday
    paid_topup(alice, 100_000, now)
    orders.create_purchase(bob, netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10, max_quantity=10,
                           chat_id=bob.id)
    orders.create_topup(alice, 50_000, fees=FEES, ttl_minutes=10, chat_id=alice.id)
    assert today_first.fee > 0  # a fee that must not count as revenue
    return {
        "total_users": 2,
        "total_transactions": 5,
        "active_orders": 2,
        "revenue_today": today_first.subtotal + today_second.subtotal + today_balance.subtotal,
        "top_products": [{"id": spotify.id, "name": "Spotify", "sold": 4},
                         {"id": netflix.id, "name": "Netflix", "sold": 3}],
    }


def test_admin_stats_endpoint_needs_the_token_and_counts_todays_revenue_in_jakarta(shop):
    expected = seed_a_day_of_sales(shop)
    assert shop.get("/admin/stats").status_code == 401
    wrong = shop.get("/admin/stats", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "missing or invalid admin token"
    assert shop.get("/admin/stats", headers={"Authorization": shop.admin_token}).status_code == 401
    response = shop.get("/admin/stats", headers={"Authorization": f"Bearer {shop.admin_token}"})
    assert response.status_code == 200
    assert response.json() == expected
    assert expected["revenue_today"] == 50_000 + 60_000 + 20_000


def test_stats_command_shows_the_same_figures(shop, telegram):
    expected = seed_a_day_of_sales(shop)
    admin = start_admin(telegram)
    answer = ask(admin, "/stats", pattern("admin.stats.figures")).plain_text()
    assert says("admin.stats.figures", users=expected["total_users"] + 1,  # the admin registered too
                paid=expected["total_transactions"], active=expected["active_orders"],
                revenue=expected["revenue_today"]) in answer
    spotify, netflix = expected["top_products"]
    assert says("admin.stats.top_product", rank=1, name="Spotify", id=spotify["id"], sold=4) in answer
    assert says("admin.stats.top_product", rank=2, name="Netflix", id=netflix["id"], sold=3) in answer


def test_admin_stats_endpoint_is_off_without_a_token(make_shop):
    shop = make_shop(overrides={"web": {"admin_token": ""}})
    assert shop.get("/admin/stats", headers={"Authorization": "Bearer "}).status_code == 404


def test_maintenance_turns_customers_away_while_admins_keep_working(shop, telegram):
    admin = start_admin(telegram)
    customer = started(telegram, 6101, "Rina")
    ask(admin, "/maintenance on", says("admin.maintenance.on"))
    ask(customer, "/start", says("gate.maintenance"))
    ask(admin, "/stats", pattern("admin.stats.figures"))
    ask(admin, "/maintenance off", says("admin.maintenance.off"))
    ask(customer, "/start", pattern("start.welcome"))
    switched_on = AuditLog.get(AuditLog.action == "maintenance.on")
    assert switched_on.actor_id == ADMIN_ID
    assert (json.loads(switched_on.before), json.loads(switched_on.after)) == (
        {"maintenance": False}, {"maintenance": True})
    before = db_snapshot()
    for text in ("/maintenance", "/maintenance nyala", "/maintenance on off"):
        assert usage_of("maintenance") in ask(admin, text, syntax_of("maintenance")).plain_text()
    assert usage_of("stats") in ask(admin, "/stats hari ini", syntax_of("stats")).plain_text()
    assert db_snapshot() == before


def invoices_in(path) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        return connection.execute("SELECT invoice_id, status, subtotal FROM \"order\" ORDER BY id").fetchall()
    finally:
        connection.close()


def test_backup_sends_a_valid_database_with_the_same_orders(shop, telegram, tmp_path):
    seed_a_day_of_sales(shop)
    admin = start_admin(telegram)
    admin.send_text("/backup")
    document = admin.wait_for_message(lambda m: m.kind == "document", timeout=20)
    assert re.fullmatch(r"quickcart-\d{8}-\d{4}\.db", document.document_name)
    assert document.plain_text() == says("admin.backup.caption",
                                         megabytes=admin_views.megabytes(len(document.document)))
    copy = tmp_path / document.document_name
    copy.write_bytes(document.document)
    live = [(o.invoice_id, o.status, o.subtotal) for o in Order.select().order_by(Order.id)]
    assert len(live) == 7 and invoices_in(copy) == live
    sent = telegram.wait_until(lambda: AuditLog.get_or_none(AuditLog.action == "backup.sent"), what="the audit")
    assert sent.actor_id == ADMIN_ID and document.document_name in sent.detail
    assert not list((shop.workdir).glob("**/quickcart-*.db"))  # the temporary copy is gone
    before = db_snapshot()
    assert usage_of("backup") in ask(admin, "/backup sekarang", syntax_of("backup")).plain_text()
    assert db_snapshot() == before


def test_backup_command_line_copies_the_running_shops_database(shop, tmp_path):
    seed_a_day_of_sales(shop)
    target = tmp_path / "nightly"
    target.mkdir()
    result = subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path), "backup",
                             "--output", str(target)], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    written = [path for path in target.iterdir()]
    assert len(written) == 1 and re.fullmatch(r"quickcart-\d{8}-\d{4}\.db", written[0].name)
    assert result.stdout.strip().splitlines()[-1] == str(written[0])
    assert invoices_in(written[0]) == [(o.invoice_id, o.status, o.subtotal) for o in Order.select().order_by(Order.id)]
    assert shop.running and shop.get("/health").status_code == 200


def test_backup_command_line_refuses_a_missing_database(shop, tmp_path):
    config = tmp_path / "other.ini"
    config.write_text(shop.config_path.read_text().replace(str(shop.db_path), str(tmp_path / "nope.db")))
    result = subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(config), "backup"],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "nope.db").exists()

"""Figures by period with a chart (/stats 7d), and the books as CSV (/export, GET /admin/export.csv)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import PIL.Image

from quickcart import balance, users
from quickcart.models import AuditLog
from quickcart.timeutil import jakarta_day_bounds_utc, jakarta_today, utcnow
from tests.admin_words import pattern, says, syntax_of, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.test_admin_stats_backup import register
from tests.unit.helpers import paid_purchase


def seed_a_week(shop):
    """Purchases paid today, 3 days ago and 10 days ago (Jakarta days); the customers."""
    netflix = shop.add_product(name="Netflix", lines=[f"nf-{i}@mail.test:pw" for i in range(10)])
    spotify = shop.add_product(name="Spotify", price=20_000, reseller_price=18_000,
                               lines=[f"sp-{i}@mail.test:pw" for i in range(10)])
    alice, bob = register(6201, "Alice"), register(6202, "Bob")
    today = jakarta_day_bounds_utc(jakarta_today())[0]
    paid_purchase(alice, netflix, 2, utcnow())
    paid_purchase(bob, spotify, 1, today - timedelta(days=3) + timedelta(hours=2))
    paid_purchase(bob, spotify, 3, today - timedelta(days=10))
    balance.admin_adjust(ADMIN_ID, users.get(6201), 5000, "=bonus")
    return netflix, spotify


def test_stats_for_seven_days_answers_with_the_chart_and_its_figures(shop, telegram):
    netflix, spotify = seed_a_week(shop)
    admin = start_admin(telegram)
    admin.send_text("/stats 7d")
    photo = admin.wait_for_message(lambda m: m.kind == "photo")
    caption = photo.plain_text()
    assert says("admin.stats.revenue", revenue=120_000) in caption
    assert says("admin.stats.orders", orders=2, units=3) in caption
    assert says("admin.stats.period_top_product", rank=1, name="Netflix", id=netflix.id, units=2,
                revenue=100_000) in caption
    image = PIL.Image.open(io.BytesIO(photo.photo))
    assert image.format == "PNG" and image.size == (1200, 1000)

    today = ask(admin, "/stats today", pattern("admin.stats.period_day")).plain_text()
    assert says("admin.stats.revenue", revenue=100_000) in today
    assert admin.messages[-1].kind == "text", "one day: the figures, no chart"
    before = db_snapshot()
    for text in ("/stats kemarin", "/stats 999d", "/stats 2026-13"):
        assert usage_of("stats") in ask(admin, text, syntax_of("stats")).plain_text()
    assert db_snapshot() == before


def rows_of(document) -> list[dict]:
    return list(csv.DictReader(io.StringIO(document.document.decode("utf-8-sig"))))


def test_export_sends_orders_and_ledger_as_csv_documents(shop, telegram):
    seed_a_week(shop)
    admin = start_admin(telegram)
    admin.send_text("/export")
    orders_file = admin.wait_for_message(lambda m: m.kind == "document" and m.document_name.startswith("pesanan"))
    ledger_file = admin.wait_for_message(lambda m: m.kind == "document" and m.document_name.startswith("mutasi"),
                                         after=orders_file)
    orders = rows_of(orders_file)
    assert sorted((row["product_name"], row["quantity"]) for row in orders) == [
        ("Netflix", "2"), ("Spotify", "1"), ("Spotify", "3")]
    assert says("admin.export.orders_caption", range=says("admin.export.range_all"), count=3) in \
        orders_file.plain_text()
    assert [(row["reason"], row["delta"], row["note"]) for row in rows_of(ledger_file)] == [
        ("admin", "5000", "'=bonus")]
    telegram.wait_until(lambda: [a.subject for a in AuditLog.select().where(AuditLog.action == "export.sent")]
                        == ["orders", "ledger"], what="both exports audited")

    admin.send_text(f"/export {jakarta_today() - timedelta(days=3)}")
    recent = admin.wait_for_message(lambda m: m.kind == "document" and m.document_name.startswith("pesanan"))
    assert sorted(row["quantity"] for row in rows_of(recent)) == ["1", "2", "3"], "by creation day: all today"
    assert usage_of("export") in ask(admin, "/export kemarin", syntax_of("export")).plain_text()


def test_the_export_endpoint_streams_the_same_rows_with_the_admin_token(shop):
    seed_a_week(shop)
    assert shop.get("/admin/export.csv").status_code == 401
    response = shop.get("/admin/export.csv", headers={"Authorization": f"Bearer {shop.admin_token}"}, stream=True)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert response.headers.get("Content-Length") is None, "streamed, not built whole first"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    ledger = shop.get("/admin/export.csv?data=ledger", headers={"Authorization": f"Bearer {shop.admin_token}"})
    assert [row["delta"] for row in csv.DictReader(io.StringIO(ledger.text))] == ["5000"]

"""CSV exports: orders with their items and the ledger, by Jakarta day, streamed, safe for spreadsheets."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from quickcart import balance, catalogue, exports, orders, promotions, refunds, stock, users
from quickcart.models import Order, User
from quickcart.timeutil import DayRange
from tests.unit.helpers import make_user, paid_purchase

NOV = DayRange(date(2026, 11, 1), date(2026, 11, 30))


def read(chunks) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(chunks))))


def test_orders_come_one_row_per_item_with_jakarta_times_and_refunds(db):
    product = catalogue.add_product(0, "Netflix", "Streaming", 50_000, 45_000, "")
    stock.add_lines(product.id, ["a", "b", "c"])
    budi = make_user(7001, '=HYPERLINK("http://x")', username="budi")
    order = paid_purchase(budi, product, 2, datetime(2026, 11, 10, 17, 30))
    Order.update(created_at=datetime(2026, 11, 10, 17, 28)).where(Order.id == order.id).execute()
    refunds.refund(1, order, 10_000, "akun mati")
    october = paid_purchase(budi, product, 1, datetime(2026, 10, 31, 16, 0))
    Order.update(created_at=datetime(2026, 10, 31, 15, 59)).where(Order.id == october.id).execute()

    rows = read(exports.stream(exports.ORDERS, NOV))
    assert [row["invoice"] for row in rows] == [order.invoice_id]
    row = rows[0]
    assert (row["created_wib"], row["paid_wib"]) == ("2026-11-11 00:28:00", "2026-11-11 00:30:00")
    assert (row["product_name"], row["quantity"], row["price_per_unit"], row["subtotal"]) == (
        "Netflix", "2", "50000", "100000")
    assert (row["status"], row["refunded"], row["member_id"]) == ("paid", "10000", User.get_by_id(7001).bank_id)
    assert row["customer_name"].startswith("'="), "a name a spreadsheet would run as a formula is quoted"
    assert (row["promo_code"], row["discount"]) == ("", "0")
    assert len(read(exports.stream(exports.ORDERS, None))) == 2

    ledger = read(exports.stream(exports.LEDGER, None))
    assert [(r["reason"], r["delta"], r["invoice"], r["note"]) for r in ledger] == [
        ("refund", "10000", order.invoice_id, "akun mati")]


def test_an_order_bought_with_a_promo_code_shows_the_code_and_its_discount(db):
    product = catalogue.add_product(0, "Netflix", "Streaming", 50_000, 45_000, "")
    stock.add_lines(product.id, ["a"])
    promotions.add(1, "HEMAT10", "percent", 10, {})
    order = orders.create_purchase(make_user(7004), product.id, 1, method="qris", fees=orders.FeePolicy(70, 310),
                                   ttl_minutes=10, max_quantity=10, chat_id=7004, promo_id=1)
    (row,) = read(exports.stream(exports.ORDERS, None))
    assert (row["invoice"], row["subtotal"], row["promo_code"], row["discount"]) == (
        order.invoice_id, "45000", "HEMAT10", "5000")


def test_an_export_is_read_lazily_from_the_database(db):
    make_user(7002)
    for n in range(3):
        balance.admin_adjust(1, users.get(7002), 1000, f"-{n}")
    produced = exports.rows(exports.LEDGER, None)
    first = next(produced)
    assert first[0] == 1 and next(produced)[0] == 2, "rows arrive one at a time, not as one list"
    assert [r["note"] for r in read(exports.stream(exports.LEDGER, None))] == ["'-0", "'-1", "'-2"]


def test_a_written_export_has_a_bom_for_spreadsheets_and_zips_in_pieces(db, tmp_path):
    make_user(7003)
    balance.admin_adjust(1, users.get(7003), 5000, "bonus")
    path = tmp_path / "mutasi.csv"
    assert exports.write_csv(path, exports.LEDGER, None) == 1
    assert path.read_bytes().startswith(b"\xef\xbb\xbfentry_id,")
    archive = exports.zip_file(path, "mutasi.csv")
    with zipfile.ZipFile(archive) as opened:
        assert opened.read("mutasi.csv") == path.read_bytes()


def test_no_export_sorts_in_memory(db):
    """Rows stream in index or table order: a sort would hold the whole export (temp_store is memory)."""
    plans = [exports._ORDERS + " ORDER BY o.id",
             exports._ORDERS + " WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at",
             exports._LEDGER + " ORDER BY l.id",
             exports._LEDGER + " WHERE l.created_at >= ? AND l.created_at < ? ORDER BY l.id"]
    for sql in plans:
        plan = str(db.execute_sql("EXPLAIN QUERY PLAN " + sql, ("a", "b") if "?" in sql else ()).fetchall())
        assert "TEMP B-TREE" not in plan, (sql, plan)
    import inspect
    source = inspect.getsource(exports.rows)
    assert source.count("ORDER BY") == len(plans), "the plans above are the queries rows() runs"

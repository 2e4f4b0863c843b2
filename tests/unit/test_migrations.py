"""Schema migrations: an older database is brought forward on open, losing nothing.

``tests/fixtures/schema_v1.db`` was made by the code at schema version 1
(``tests/fixtures/make_schema_v1.py``). Each test works on a copy of it.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from peewee import IntegrityError, TextField
from playhouse.migrate import SqliteMigrator
from playhouse.migrate import migrate as run_operations

from quickcart import migrations, stock_key
from quickcart.db import close_database, database, open_database
from quickcart.migrations import SchemaError, current_version, migrate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.db"
TABLES = ("user", "product", "order", "order_item", "stock_line", "ledger_entry", "audit_log", "setting")


# Columns a later step renamed: (table, name in version 1) → name now.
RENAMED = {("order", "pakasir_fee"): "gateway_fee"}


def _column_now(path: Path, table: str, name: str) -> str:
    """The column as ``path`` calls it (SQLite would read an unknown quoted name as a string)."""
    present = columns(path, table)
    name = name if name in present else RENAMED.get((table, name), name)
    assert name in present, f"{table}.{name} is gone"
    return f'"{name}"'


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in the fixture's columns, read with plain sqlite3, in a stable order.

    Later steps may add columns; what version 1 held must be kept as it was.
    Stock lines as ``(id, product_id, text, state, order_id, created_at,
    sold_at)`` whether the file holds them in clear text (before schema
    version 4) or sealed (opened with the installed stock key).
    """
    connection = sqlite3.connect(str(path))
    try:
        rows = {table: connection.execute(
            f'SELECT {", ".join(_column_now(path, table, name) for name in columns(FIXTURE, table))} '
            f'FROM "{table}" ORDER BY 1').fetchall() for table in TABLES if table != "stock_line"}
        # Written by the step that seals the stock lines; what it says is checked in test_stock_key.py.
        rows["setting"] = [row for row in rows["setting"] if row[0] != stock_key.KEY_ID_SETTING]
        if "sealed" in columns(path, "stock_line"):
            key = stock_key.current()
            rows["stock_line"] = [
                (line_id, product_id, key.open(product_id, sealed), state, order_id, created_at, sold_at)
                for line_id, product_id, sealed, state, order_id, created_at, sold_at in connection.execute(
                    "SELECT id, product_id, sealed, state, order_id, created_at, sold_at FROM stock_line ORDER BY 1")]
        else:
            rows["stock_line"] = connection.execute(
                "SELECT id, product_id, content, state, order_id, created_at, sold_at FROM stock_line ORDER BY 1"
            ).fetchall()
        return rows
    finally:
        connection.close()


def open_shop_database(path: Path) -> None:
    """Bind the database and its stock key (generated next to it when it has none yet), as the shop does."""
    open_database(path)
    stock_key.unlock_beside(path)


def user_version(path: Path) -> int:
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()


def columns(path: Path, table: str) -> list[str]:
    connection = sqlite3.connect(str(path))
    try:
        return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
    finally:
        connection.close()


@pytest.fixture
def v1_copy(tmp_path):
    copy = tmp_path / "quickcart.db"
    shutil.copyfile(FIXTURE, copy)
    yield copy
    close_database()


def _add_product_note(db) -> None:
    run_operations(SqliteMigrator(db).add_column("product", "note", TextField(default="")))


@pytest.fixture
def future_step(monkeypatch):
    """Pretend the code is one schema version ahead, whose step adds ``product.note``."""
    released = list(migrations.STEPS)
    future = migrations.SCHEMA_VERSION + 1

    def install(step=_add_product_note):
        monkeypatch.setattr(migrations, "STEPS", released + [(future, "add product.note", step)])
        monkeypatch.setattr(migrations, "SCHEMA_VERSION", future)
    return install


def test_the_fixture_is_a_version_1_database_with_rows_in_every_table():
    assert user_version(FIXTURE) == 1
    rows = snapshot(FIXTURE)
    assert all(rows[table] for table in TABLES), {table: len(found) for table, found in rows.items()}
    assert not Path(f"{FIXTURE}-wal").exists(), "the fixture must be one self-contained file"


def test_a_version_1_database_opens_at_the_current_version_with_every_row_kept(v1_copy):
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    assert migrate(database) == 1
    assert current_version(database) == migrations.SCHEMA_VERSION
    close_database()
    assert snapshot(v1_copy) == before


def test_a_new_step_upgrades_the_fixture_and_keeps_the_rows(v1_copy, future_step):
    future_step()
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    assert migrate(database) == 1
    close_database()

    assert user_version(v1_copy) == migrations.SCHEMA_VERSION
    assert "note" in columns(v1_copy, "product")
    connection = sqlite3.connect(str(v1_copy))
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()
    assert snapshot(v1_copy) == before
    connection = sqlite3.connect(str(v1_copy))
    notes = [row[0] for row in connection.execute('SELECT "note" FROM "product"')]
    connection.close()
    assert notes == [""] * len(before["product"])


def test_a_step_that_leaves_dangling_rows_is_not_applied(v1_copy, future_step):
    def drop_a_sold_product(db):
        db.execute_sql("DELETE FROM product WHERE id = 1")  # stock lines and order items point at it

    future_step(drop_a_sold_product)
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    with pytest.raises(SchemaError, match="pointing at nothing"):
        migrate(database)
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    close_database()
    assert user_version(v1_copy) == migrations.SCHEMA_VERSION - 1 and snapshot(v1_copy) == before


def test_migrating_twice_changes_nothing_the_second_time(v1_copy, future_step):
    future_step()
    open_shop_database(v1_copy)
    migrate(database)
    once = snapshot(v1_copy)
    assert migrate(database) == migrations.SCHEMA_VERSION
    close_database()
    assert snapshot(v1_copy) == once and user_version(v1_copy) == migrations.SCHEMA_VERSION


def test_an_interrupted_step_leaves_the_version_and_the_schema_unchanged(v1_copy, future_step):
    def add_column_then_crash(db):
        _add_product_note(db)
        raise RuntimeError("power cut in the middle of the upgrade")

    future_step(add_column_then_crash)
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate(database)
    close_database()
    assert user_version(v1_copy) == migrations.SCHEMA_VERSION - 1  # the released steps before it stay
    assert "note" not in columns(v1_copy, "product")
    assert snapshot(v1_copy) == before

    future_step()  # the next start, with the step working, resumes where it stopped
    open_shop_database(v1_copy)
    assert migrate(database) == migrations.SCHEMA_VERSION - 1
    close_database()
    assert user_version(v1_copy) == migrations.SCHEMA_VERSION and "note" in columns(v1_copy, "product")


def test_a_database_newer_than_the_code_is_refused_and_left_alone(v1_copy):
    connection = sqlite3.connect(str(v1_copy))
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    with pytest.raises(SchemaError, match=r"schema version 99 is newer than this QuickCart understands"):
        migrate(database)
    close_database()
    assert user_version(v1_copy) == 99 and snapshot(v1_copy) == before


def test_a_foreign_database_without_a_version_is_refused(tmp_path):
    path = tmp_path / "other.db"
    connection = sqlite3.connect(str(path))
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    open_database(path)
    try:
        with pytest.raises(SchemaError, match="no QuickCart schema version"):
            migrate(database)
    finally:
        close_database()


def test_an_upgraded_database_has_the_indexes_the_background_jobs_need(v1_copy):
    open_shop_database(v1_copy)
    migrate(database)
    undelivered = database.execute_sql(
        'EXPLAIN QUERY PLAN SELECT id FROM "order" WHERE status = ? AND delivered_at IS NULL', ("paid",)).fetchall()
    recently_closed = database.execute_sql(
        'EXPLAIN QUERY PLAN SELECT id FROM "order" WHERE status = ? AND closed_at > ?', ("expired", "2026")).fetchall()
    close_database()
    assert "order_status_delivered_at" in str(undelivered)
    assert "order_status_closed_at" in str(recently_closed)


FIXTURE_V2 = FIXTURE.with_name("schema_v2.db")


def schema_of(path: Path) -> dict[str, list[tuple]]:
    """Every table's columns as (name, type, not null, primary key), and the index definitions."""
    connection = sqlite3.connect(str(path))
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        shape = {table: [(row[1], row[2], row[3], row[5]) for row in connection.execute(
            f'PRAGMA table_info("{table}")')] for table in tables}
        shape["indexes"] = sorted(connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall())
        return shape
    finally:
        connection.close()


@pytest.mark.parametrize("fixture", [FIXTURE, FIXTURE_V2], ids=["v1", "v2"])
def test_orders_become_gateway_neutral_keeping_every_order_and_its_gateway_fee(tmp_path, fixture):
    copy = tmp_path / "quickcart.db"
    shutil.copyfile(fixture, copy)
    before = snapshot(copy)
    open_shop_database(copy)
    try:
        migrate(database)
        assert snapshot(copy) == before
        rows = database.execute_sql(
            'SELECT invoice_id, payment_method, gateway, gateway_fee FROM "order" ORDER BY id').fetchall()
        assert [row[:3] for row in rows] == [("TRX20250115FIX001", "qris", "pakasir"),
                                             ("TRX20250115FIX002", "qris", "pakasir")]
        if fixture == FIXTURE_V2:
            assert rows[0][3] == 1010, "the fee Pakasir reported is kept under its neutral name"
        # Another gateway's payment method needs no table rebuild any more.
        database.execute_sql("UPDATE \"order\" SET payment_method = 'va_bca' WHERE id = 2")
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        close_database()
    fresh = tmp_path / "fresh.db"
    open_shop_database(fresh)
    migrate(database)
    close_database()
    assert schema_of(copy) == schema_of(fresh), "an upgraded database has the shape of a new one"


def test_the_version_2_fixture_is_what_version_2_left():
    assert user_version(FIXTURE_V2) == 2 and "pakasir_fee" in columns(FIXTURE_V2, "order")


def test_schema_6_keeps_plain_descriptions_showing_as_typed_and_lets_lines_be_removed(v1_copy):
    connection = sqlite3.connect(str(v1_copy))
    connection.execute("UPDATE product SET description = 'Netflix & Disney <4K> > HD' WHERE id = 1")
    connection.commit()
    connection.close()
    open_shop_database(v1_copy)
    try:
        migrate(database)
        from quickcart.models import Product, StockLine
        from quickcart.sandbox.telegram_format import parse_formatted
        product = Product.get_by_id(1)
        assert product.description == "Netflix &amp; Disney &lt;4K&gt; &gt; HD"
        assert parse_formatted(product.description, "HTML").text == "Netflix & Disney <4K> > HD"
        assert (product.sort_order, product.terms, product.photo_file_id, product.deleted_at) == (0, "", None, None)
        line = StockLine.select().where(StockLine.state == "available").first()
        StockLine.update(state="removed").where(StockLine.id == line.id).execute()
        with pytest.raises(Exception, match="CHECK"):
            StockLine.update(state="lost").where(StockLine.id == line.id).execute()
    finally:
        close_database()


def test_users_of_an_upgraded_database_speak_indonesian_until_telegram_or_they_say_otherwise(v1_copy):
    open_shop_database(v1_copy)
    try:
        migrate(database)
        assert database.execute_sql('SELECT DISTINCT language, language_chosen FROM "user"').fetchall() == [("id", 0)]
        assert database.execute_sql("SELECT DISTINCT name_en, description_en FROM product").fetchall() == [("", "")]
        assert database.execute_sql("SELECT DISTINCT product_name_en FROM order_item").fetchall() == [("",)]
        assert database.execute_sql("SELECT COUNT(*) FROM category_name").fetchone() == (0,)
    finally:
        close_database()


def test_existing_products_become_stock_and_a_free_item_fits_after_the_upgrade(v1_copy):
    before = snapshot(v1_copy)
    open_shop_database(v1_copy)
    migrate(database)
    try:
        assert database.execute_sql("SELECT DISTINCT kind, warranty_days, max_quantity FROM product").fetchall() == [
            ("stock", 0, 1)]
        assert database.execute_sql("SELECT DISTINCT kind, warranty_days FROM order_item").fetchall() == [("stock", 0)]
        database.execute_sql("UPDATE product SET reseller_price = 0, customer_price = 0 WHERE id = 1")
        database.execute_sql('UPDATE "order" SET subtotal = 0, total_bill = 0 WHERE id = 1')
        database.execute_sql("UPDATE order_item SET price_per_unit = 0 WHERE id = 1")
        with pytest.raises(IntegrityError, match="CHECK"):
            database.execute_sql("UPDATE product SET customer_price = -1 WHERE id = 1")
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        close_database()
    after = snapshot(v1_copy)
    assert after["stock_line"] == before["stock_line"] and after["ledger_entry"] == before["ledger_entry"]


def test_schema_9_leaves_tables_already_in_its_shape_alone(tmp_path):
    path = tmp_path / "quickcart.db"
    open_shop_database(path)
    migrate(database)
    database.execute_sql("PRAGMA user_version = 8")  # today's tables, marked older (as bench/stock_admin.py does)
    close_database()
    before = schema_of(path)
    open_shop_database(path)
    try:
        assert migrate(database) == 8 and current_version(database) == migrations.SCHEMA_VERSION
    finally:
        close_database()
    assert schema_of(path) == before


def test_schema_10_keeps_the_ledger_and_lets_it_hold_referral_rewards(v1_copy):
    before = snapshot(v1_copy)["ledger_entry"]
    open_shop_database(v1_copy)
    try:
        migrate(database)
        from quickcart.models import LedgerEntry, Order, User
        assert [tuple(row) for row in database.execute_sql(
            f'SELECT {", ".join(columns(FIXTURE, "ledger_entry"))} FROM ledger_entry ORDER BY 1').fetchall()] == before
        assert database.execute_sql('SELECT DISTINCT discount, promo_id FROM "order"').fetchall() == [(0, None)]
        assert database.execute_sql('SELECT DISTINCT referred_by_id FROM "user"').fetchall() == [(None,)]
        entry = LedgerEntry.select().first()
        LedgerEntry.update(reason="referral").where(LedgerEntry.id == entry.id).execute()
        with pytest.raises(Exception, match="CHECK"):
            LedgerEntry.update(reason="bonus").where(LedgerEntry.id == entry.id).execute()
        assert Order.select().where(Order.promo.is_null()).count() == Order.select().count()
        assert User.select().where(User.referred_by.is_null(False)).count() == 0
    finally:
        close_database()

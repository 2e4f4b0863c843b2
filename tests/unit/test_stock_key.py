"""The stock key: lines sealed at rest, the right key or none at start-up, rotation, a lost key."""
from __future__ import annotations

import logging
import shutil
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest

from quickcart import backup, catalogue, migrations, orders, stock, stock_key, views
from quickcart.config import ConfigError, load_config
from quickcart.db import close_database, database, open_database
from quickcart.i18n import speaker
from quickcart.migrations import migrate
from quickcart.models import AVAILABLE, QRIS, RESERVED, SOLD, Order, Product, StockLine
from quickcart.sandbox.launcher import write_config
from quickcart.stockcrypt import StockKey, UnreadableLine, new_key_text, parse_key, read_key_file
from tests.unit.helpers import make_user, paid_purchase

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.db"
ADMIN = 1
LINES = [f"email:akun{i}@mail.test password:Rahasia-{i:04d}" for i in range(12)]


def shop_config(tmp_path: Path, **database_keys: str):
    return load_config(write_config(tmp_path / "config.ini", {
        "telegram": {"token": "7000003:UNITtokenStockKey-abcdefghijkl"},
        "pakasir": {"project": "unit", "api_key": "k-unit"},
        "database": {"path": tmp_path / "quickcart.db", **database_keys},
    }), env={})


def file_bytes(db_path: Path) -> bytes:
    """The database as a copy of its files would have it (the WAL too, if any)."""
    return b"".join(path.read_bytes() for path in sorted(db_path.parent.glob(db_path.name + "*")))


def reopen(db_path: Path) -> StockKey:
    close_database()
    stock_key.forget()
    open_database(db_path)
    return stock_key.unlock_beside(db_path)


@pytest.fixture
def netflix(db):
    return catalogue.add_product(ADMIN, "Netflix Premium", "Streaming", 50_000, 45_000)


@pytest.fixture
def shop_with_sales(netflix, tmp_path):
    """Twelve lines: two sold, one reserved for a pending order, nine available."""
    stock.add_lines(netflix.id, LINES)
    sold = paid_purchase(make_user(10), netflix, 2, datetime(2026, 11, 27, 10, 0))
    pending = orders.create_purchase(make_user(11), netflix.id, 1, method=QRIS, fees=orders.FeePolicy(70, 310),
                                     ttl_minutes=10, max_quantity=10, chat_id=11)
    return netflix, sold, pending


# --- sealing --------------------------------------------------------------------------------


def test_a_sealed_line_opens_only_with_its_key_and_for_its_product():
    key, other = parse_key(new_key_text()), parse_key(new_key_text())
    sealed = key.seal(7, "email:a@b.c password:x")
    assert key.open(7, sealed) == "email:a@b.c password:x"
    assert b"a@b.c" not in sealed
    for wrong in (lambda: other.open(7, sealed), lambda: key.open(8, sealed),
                  lambda: key.open(7, sealed[:-1] + bytes([sealed[-1] ^ 1]))):
        with pytest.raises(UnreadableLine):
            wrong()


def test_the_digest_depends_on_the_key_and_the_product_never_on_chance():
    key, other = parse_key(new_key_text()), parse_key(new_key_text())
    assert key.digest(7, "line") == key.digest(7, "line")
    assert len({key.digest(7, "line"), key.digest(8, "line"), other.digest(7, "line"), key.digest(7, "line2")}) == 4
    assert key.seal(7, "line") != key.seal(7, "line")  # a fresh nonce each time


def test_a_malformed_key_in_the_config_names_the_setting_and_shows_no_key(tmp_path):
    with pytest.raises(ConfigError, match=r"^database\.stock_key: not a stock key \(expected 44 characters") as error:
        shop_config(tmp_path, stock_key="c2hvcnQta2V5LXRoYXQtaXMtbm90LTMy")
    assert "c2hvcnQt" not in str(error.value)


# --- start-up ---------------------------------------------------------------------------------


def test_the_first_start_generates_a_private_key_file_and_says_to_keep_a_copy(tmp_path, caplog):
    open_database(tmp_path / "quickcart.db")
    with caplog.at_level(logging.WARNING, logger="quickcart.stock_key"):
        key = stock_key.unlock(shop_config(tmp_path).database)
    close_database()
    key_file = tmp_path / "quickcart.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert read_key_file(key_file).id == key.id
    assert [record.getMessage() for record in caplog.records] == [
        f"generated a new stock key {key.id} in {key_file}: keep a copy of that file somewhere safe and apart from "
        "your backups; without it the stock lines in the database and in every backup cannot be read"]


def test_a_sealed_database_without_its_key_is_refused_and_no_new_key_is_made(netflix, tmp_path):
    stock.add_lines(netflix.id, LINES[:1])
    recorded = stock_key.current().id
    (tmp_path / "quickcart.key").unlink()
    with pytest.raises(stock_key.StockKeyError,
                       match=rf"quickcart.key not found, and the stock lines in .* are sealed with key {recorded}; "
                             "put that key file back"):
        stock_key.unlock(shop_config(tmp_path).database)
    assert not (tmp_path / "quickcart.key").exists()


def test_a_wrong_key_is_refused_before_any_line_is_read(netflix, tmp_path):
    stock.add_lines(netflix.id, LINES[:1])
    recorded = stock_key.current().id
    wrong = new_key_text()
    with pytest.raises(stock_key.StockKeyError,
                       match=rf"^database\.stock_key: this is stock key {parse_key(wrong).id}, but the stock lines "
                             rf"in .* are sealed with key {recorded}; use the key that belongs to this database"):
        stock_key.unlock(shop_config(tmp_path, stock_key=wrong).database)


def test_a_key_given_in_the_config_is_used_instead_of_a_file(tmp_path):
    text = new_key_text()
    config = shop_config(tmp_path, stock_key=text)
    open_database(config.database.path)
    try:
        assert stock_key.unlock(config.database).id == parse_key(text).id
    finally:
        close_database()
    assert not (tmp_path / "quickcart.key").exists()
    assert text not in repr(config)


# --- the database ----------------------------------------------------------------------------


def test_imported_lines_are_stored_sealed_and_duplicates_still_refused(netflix, tmp_path):
    stock.add_lines(netflix.id, LINES)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = file_bytes(tmp_path / "quickcart.db")
    assert [line for line in LINES if line.encode() in raw] == []
    result = stock.add_lines(netflix.id, [LINES[3], f"  {LINES[4]}  ", "new-line"])
    assert (result.added, result.duplicates) == (1, 2)


def test_a_backup_holds_no_stock_line_in_clear_text_and_not_the_key(shop_with_sales, tmp_path):
    (tmp_path / "backups").mkdir()
    copy = backup.make_backup(tmp_path / "backups" / "copy.db")
    raw = copy.read_bytes()
    assert [line for line in LINES if line.encode() in raw] == []
    assert (tmp_path / "quickcart.key").read_text().strip().encode() not in raw
    assert [path.name for path in copy.parent.iterdir()] == ["copy.db"]


def test_delivered_lines_are_opened_for_their_order_only(shop_with_sales):
    _, sold, pending = shop_with_sales
    assert stock.delivered_lines(sold) == LINES[:2]
    assert stock.delivered_lines(pending) == []


@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_older_clear_text_database_is_sealed_in_place(tmp_path, monkeypatch, version):
    db_path = tmp_path / "quickcart.db"
    shutil.copyfile(FIXTURE, db_path)
    clear = sqlite3.connect(db_path).execute("SELECT id, product_id, content, state FROM stock_line").fetchall()
    if version > 1:  # as the code of that version would have left it
        open_database(db_path)
        with monkeypatch.context() as older_code:
            older_code.setattr(migrations, "STEPS", [step for step in migrations.STEPS if step[0] <= version])
            older_code.setattr(migrations, "SCHEMA_VERSION", version)
            migrate(database)
        close_database()
    open_database(db_path)
    key = stock_key.unlock_beside(db_path)
    assert migrate(database) == version
    rows = database.execute_sql("SELECT id, product_id, sealed, state FROM stock_line").fetchall()
    assert [(i, p, key.open(p, sealed), state) for i, p, sealed, state in rows] == clear
    assert stock_key.recorded_key_id() == key.id
    as_built = sqlite3.connect(":memory:").execute("PRAGMA secure_delete").fetchone()[0]
    assert database.execute_sql("PRAGMA secure_delete").fetchone()[0] == as_built  # changed for the step only
    raw = file_bytes(db_path)
    assert clear and [text for _, _, text, _ in clear if text.encode() in raw] == []
    product_id, text = clear[0][1], clear[0][2]
    assert stock.add_lines(product_id, [text]).duplicates == 1
    close_database()


def test_a_sealed_database_has_the_same_schema_migrated_or_new(tmp_path):
    def schema(path: Path) -> list[str]:
        connection = sqlite3.connect(path)
        try:
            return sorted(sql for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'stock_line' AND sql IS NOT NULL"))
        finally:
            connection.close()

    migrated, new = tmp_path / "old" / "quickcart.db", tmp_path / "new" / "quickcart.db"
    migrated.parent.mkdir()
    shutil.copyfile(FIXTURE, migrated)
    for path in (migrated, new):
        open_database(path)
        stock_key.unlock_beside(path)
        migrate(database)
        close_database()
    assert schema(migrated) == schema(new)


# --- rotate-key -------------------------------------------------------------------------------


def test_rotation_reseals_every_line_keeps_the_old_key_aside_and_keeps_refusing_duplicates(
        shop_with_sales, tmp_path, capsys):
    product, sold, _ = shop_with_sales
    old = stock_key.current()
    old_sealed = [bytes(sealed) for (sealed,) in StockLine.select(StockLine.sealed).tuples()]
    close_database()

    assert stock_key.rotate(shop_config(tmp_path)) == 0
    assert "12 stock lines resealed" in capsys.readouterr().out

    new = reopen(tmp_path / "quickcart.db")
    assert new.id != old.id and stock_key.recorded_key_id() == new.id
    assert read_key_file(tmp_path / f"quickcart.key.{old.id}.old").id == old.id
    assert not (tmp_path / "quickcart.key.new").exists()
    assert stat.S_IMODE((tmp_path / "quickcart.key").stat().st_mode) == 0o600
    assert stock.delivered_lines(Order.get_by_id(sold.id)) == LINES[:2]
    raw = file_bytes(tmp_path / "quickcart.db")
    assert [sealed for sealed in old_sealed if sealed in raw] == []  # nothing left for the old key to open
    assert stock.add_lines(product.id, LINES[:3] + ["brand-new"]).added == 1


def test_an_interrupted_rotation_stops_the_shop_until_rotate_key_is_run_again(shop_with_sales, tmp_path,
                                                                              monkeypatch):
    _, sold, _ = shop_with_sales
    close_database()
    monkeypatch.setattr(stock_key, "RESEAL_BATCH", 5)
    sealed_so_far = []
    real_seal = StockKey.seal

    def power_cut_after_one_batch(self, product_id, text):
        if len(sealed_so_far) == 5:
            raise KeyboardInterrupt
        sealed_so_far.append(text)
        return real_seal(self, product_id, text)

    monkeypatch.setattr(StockKey, "seal", power_cut_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        stock_key.rotate(shop_config(tmp_path))
    monkeypatch.setattr(StockKey, "seal", real_seal)

    open_database(tmp_path / "quickcart.db")
    with pytest.raises(stock_key.StockKeyError, match="rotation was interrupted; run the rotate-key command again"):
        stock_key.unlock(shop_config(tmp_path).database)
    close_database()

    assert stock_key.rotate(shop_config(tmp_path)) == 0
    new = reopen(tmp_path / "quickcart.db")
    assert all(new.opens(bytes(sealed)) for (sealed,) in StockLine.select(StockLine.sealed).tuples())
    assert stock.delivered_lines(Order.get_by_id(sold.id)) == LINES[:2]


def test_a_rotation_cut_off_before_the_key_files_changed_is_finished_by_running_it_again(
        shop_with_sales, tmp_path, monkeypatch):
    close_database()
    monkeypatch.setattr(stock_key, "_swap_key_files", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        stock_key.rotate(shop_config(tmp_path))
    monkeypatch.undo()
    open_database(tmp_path / "quickcart.db")
    with pytest.raises(stock_key.StockKeyError, match="rotation was interrupted"):
        stock_key.unlock(shop_config(tmp_path).database)
    close_database()
    assert stock_key.rotate(shop_config(tmp_path)) == 0
    assert reopen(tmp_path / "quickcart.db").id == stock_key.recorded_key_id()


def test_rotate_key_is_refused_while_the_shop_runs(shop_with_sales, tmp_path, capsys):
    shop_lock = stock_key.DirectoryLock(tmp_path / "quickcart.db", exclusive=False)
    try:
        assert stock_key.rotate(shop_config(tmp_path)) == 2
    finally:
        shop_lock.release()
    assert "the shop is running on this database: stop it first" in capsys.readouterr().err


def test_rotate_key_refuses_a_key_given_as_a_value(tmp_path, capsys):
    assert stock_key.rotate(shop_config(tmp_path, stock_key=new_key_text())) == 2
    assert "save that key in a file" in capsys.readouterr().err


# --- reset-stock-key --------------------------------------------------------------------------


def test_after_a_lost_key_the_shop_starts_over_and_keeps_everything_but_the_unsold_lines(
        shop_with_sales, tmp_path, capsys):
    product, sold, _ = shop_with_sales
    lost = stock_key.current().id
    orders_before = list(Order.select().order_by(Order.id).tuples())
    close_database()
    (tmp_path / "quickcart.key").unlink()

    assert stock_key.reset_lost_key(shop_config(tmp_path), confirmed=False) == 2
    assert "with --yes" in capsys.readouterr().err
    assert stock_key.reset_lost_key(shop_config(tmp_path), confirmed=True) == 0
    assert f"deleted 9 available and 1 reserved stock lines sealed with the lost key {lost}" in capsys.readouterr().out

    new = reopen(tmp_path / "quickcart.db")
    assert new.id != lost
    assert list(Order.select().order_by(Order.id).tuples()) == orders_before
    assert {state for (state,) in StockLine.select(StockLine.state).tuples()} == {SOLD}
    assert Product.get_by_id(product.id).stock_count == 0
    assert stock.delivered_lines(Order.get_by_id(sold.id)) == [None] * 2
    unreadable = speaker().plain("delivery.unreadable_line")
    assert views.goods_lines(speaker(), stock.delivered_lines(Order.get_by_id(sold.id))) == [unreadable] * 2
    assert stock.add_lines(product.id, ["re-imported-1", "re-imported-2"]).added == 2
    assert StockLine.select().where(StockLine.state.in_((AVAILABLE, RESERVED))).count() == 2


def test_reset_stock_key_refuses_when_the_key_is_not_lost(shop_with_sales, tmp_path, capsys):
    close_database()
    assert stock_key.reset_lost_key(shop_config(tmp_path), confirmed=True) == 2
    assert "is this database's stock key; nothing is lost" in capsys.readouterr().err

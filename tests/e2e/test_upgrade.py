"""Upgrading: the shop starts on a database an older version made, and refuses a newer one."""
from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from quickcart.migrations import SCHEMA_VERSION
from quickcart.sandbox.launcher import ENTRY_POINT, ShopProcess
from quickcart.stockcrypt import read_key_file
from tests.e2e.journey import start
from tests.words import button, says

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.db"
KEPT = ("user", "product", "order", "order_item", "stock_line", "ledger_entry", "setting")


def rows(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def counts(path: Path) -> dict[str, int]:
    return {table: rows(path, f'SELECT COUNT(*) FROM "{table}"')[0][0] for table in KEPT}


def test_the_shop_starts_on_a_version_1_database_and_serves_its_catalogue(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path / "shop", telegram, pakasir)
    shop.db_path.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE, shop.db_path)
    before = counts(shop.db_path)
    sold_before = rows(shop.db_path, "SELECT id, content, order_id FROM stock_line WHERE state = 'sold'")
    clear_text = [line for (line,) in rows(shop.db_path, "SELECT content FROM stock_line")]
    shop.start()
    try:
        alice = telegram.user(7001, "Alice")  # a customer from the old database
        start(alice)
        alice.tap_keyboard(button("menu.products"))
        categories = alice.wait_for_message(contains=says("shop.categories"))
        assert {button("btn.category", name="Streaming", products=1),
                button("btn.category", name="Voucher Game", products=1)} <= set(categories.button_texts())
        alice.tap_keyboard(button("menu.history"))
        history = alice.wait_for_message(contains=says("history.title"))
        assert any("Rp101.010" in label for label in history.button_texts())
    finally:
        assert shop.stop() == 0
    assert rows(shop.db_path, "PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert counts(shop.db_path) == {**before, "setting": before["setting"] + 1}  # + the stock key's id
    assert rows(shop.db_path, "SELECT account_balance FROM user WHERE id = 7002") == [(100_000,)]
    # The lines were sealed in place with a key generated for this shop, next to the database.
    key_file = shop.db_path.with_name("quickcart.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated a new stock key" in shop.logs() and "apart from your backups" in shop.logs()
    key = read_key_file(key_file)
    sold = rows(shop.db_path, "SELECT id, product_id, sealed, order_id FROM stock_line WHERE state = 'sold'")
    assert [(line_id, key.open(product_id, sealed), order_id) for line_id, product_id, sealed, order_id in sold] \
        == sold_before
    raw = b"".join(path.read_bytes() for path in shop.db_path.parent.glob("quickcart.db*"))
    assert clear_text and not [line for line in clear_text if line.encode() in raw]


def test_the_shop_refuses_a_database_from_a_newer_version_with_one_line(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path / "shop", telegram, pakasir)
    shop.db_path.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURE, shop.db_path)
    connection = sqlite3.connect(str(shop.db_path))
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()

    result = subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path)],
                            capture_output=True, text=True, timeout=30, cwd=shop.workdir)

    assert result.returncode == 2
    expected = (f"quickcart: cannot start: database schema version {SCHEMA_VERSION + 1} is newer than this "
                f"QuickCart understands ({SCHEMA_VERSION}); upgrade QuickCart or restore a backup")
    assert result.stderr.strip().splitlines() == [expected]
    assert "Traceback" not in result.stdout
    assert rows(shop.db_path, "PRAGMA user_version")[0][0] == SCHEMA_VERSION + 1

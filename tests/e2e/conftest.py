"""End-to-end fixtures: the real QuickCart process against the real stand-ins.

Each test gets its own Telegram and Pakasir stand-ins on 127.0.0.1, its own
QuickCart process and database. The test process binds the same database
file to seed the catalogue and to assert on rows. After each test the
shop's log is checked for secrets and delivered goods.
"""
from __future__ import annotations

import pytest

from quickcart import catalogue, stock, stock_key
from quickcart.db import close_database, database, open_database
from quickcart.migrations import migrate
from quickcart.models import StockLine
from quickcart.sandbox.launcher import ShopProcess
from quickcart.sandbox.pakasir_server import PakasirStandIn
from quickcart.sandbox.telegram_server import TelegramStandIn
from tests.conftest import assert_books_balance

ADMIN_ID = 900_001
TOKEN = "7000001:TESTtokenQuickCartE2E-abcdefghij"
API_KEY = "pk_live_e2e_SECRET_key_123"


@pytest.fixture
def telegram():
    with TelegramStandIn(token=TOKEN) as standin:
        yield standin


@pytest.fixture
def pakasir():
    with PakasirStandIn(project="toko-e2e", api_key=API_KEY) as standin:
        yield standin


class Shop(ShopProcess):
    """A running shop plus helpers to seed it."""

    expected_status = 0  # a test that makes the shop refuse to start says so

    def add_product(self, name="Netflix Premium 1 Bulan", category="Streaming", price=50_000,
                    reseller_price=45_000, description="Akun sharing 1 bulan", lines=()):
        product = catalogue.add_product(ADMIN_ID, name, category, price, reseller_price, description)
        if lines:
            stock.add_lines(product.id, lines)
        return product


@pytest.fixture
def make_shop(tmp_path, telegram, pakasir, request):
    """Start shops on demand: ``shop = make_shop(overrides=...)``."""
    shops: list[Shop] = []

    def start(admin_ids=(ADMIN_ID,), overrides=None, wait=True) -> Shop:
        shop = Shop(tmp_path / f"shop{len(shops)}", telegram, pakasir, admin_ids=admin_ids,
                    overrides=overrides)
        open_database(shop.db_path)
        stock_key.unlock_beside(shop.db_path)  # the key the shop will find next to its database
        migrate(database)
        shops.append(shop)
        return shop.start(wait=wait)

    yield start
    try:
        for shop in shops:
            status = shop.stop()
            assert status in (0, None, -9, shop.expected_status), f"QuickCart exited with {status}"
            logs = shop.logs()
            assert TOKEN not in logs and TOKEN.split(":")[1] not in logs, "bot token in the log"
            assert API_KEY not in logs, "Pakasir api_key in the log"
            for line in StockLine.select():
                assert stock.line_text(line) not in logs, "a stock line reached the log"
            assert "Traceback" not in logs or "handler failed" in logs, logs[-3000:]
        if shops:
            assert_books_balance(request)
    finally:
        close_database()


@pytest.fixture
def shop(make_shop):
    return make_shop()

"""``quickcart.py check-data``: the owner can check that the books add up."""
from __future__ import annotations

import subprocess
import sys

import pytest

from quickcart import balance, users
from quickcart.models import User
from quickcart.sandbox.launcher import ENTRY_POINT
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import says


def check_data(shop) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path), "check-data"],
                          capture_output=True, text=True, timeout=60, cwd=shop.workdir)


def test_after_real_trading_every_check_is_ok(shop, telegram, pakasir):
    product = shop.add_product(lines=["data-line-1", "data-line-2"])
    budi = telegram.user(9301, "Budi")
    start(budi)
    balance.admin_adjust(1, users.get(budi.id), 5_000, "bonus")
    pakasir.complete(invoice_of(pay_by_qris(budi, product.name)))
    budi.wait_for_message(contains=says("delivery.title"))
    pay_by_qris(budi, product.name)  # one still pending, its line reserved
    result = check_data(shop)
    assert result.returncode == 0, result.stdout
    assert [line.split()[1] for line in result.stdout.splitlines()] == [
        "schema:", "ledger:", "stock:", "reservations:", "removals:", "settlement:", "refunds:", "replacements:",
        "fulfilment:", "promos:", "referrals:", "expiry:"]


@pytest.mark.breaks_invariants
def test_a_balance_that_drifted_from_its_ledger_is_reported(shop, telegram):
    budi = telegram.user(9302, "Budi")
    start(budi)
    balance.admin_adjust(1, users.get(budi.id), 5_000, "bonus")
    User.update(account_balance=7_000).where(User.id == budi.id).execute()
    result = check_data(shop)
    assert result.returncode == 1
    assert "FAIL ledger: user 9302: balance 7000 != ledger 5000" in result.stdout

"""Files private to the service user: the shop started by hand under umask 022 still creates its
database, backups and log readable by nobody else, and check-config points out ones that are not."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quickcart.sandbox.launcher import ENTRY_POINT, ShopProcess
from tests.e2e.journey import start


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(shop: ShopProcess, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path), *args],
                          capture_output=True, text=True, timeout=60, cwd=shop.workdir)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # how a shop started by hand from a login shell begins
    yield
    os.umask(old)


def test_a_shop_started_by_hand_keeps_its_database_log_and_backups_private(tmp_path, telegram, pakasir,
                                                                         loose_umask):
    state = tmp_path / "state"
    shop = ShopProcess(tmp_path, telegram, pakasir, overrides={
        "database": {"path": state / "data" / "quickcart.db"},
        "logging": {"file": tmp_path / "quickcart-file.log"}})
    shop.db_path = state / "data" / "quickcart.db"
    shop.start()
    try:
        start(telegram.user(8501, "Gita"))  # a write, so the WAL exists
        wal = shop.db_path.with_name("quickcart.db-wal")
        assert wal.exists()
        assert [mode(path) for path in (state, state / "data")] == [0o700, 0o700]
        assert [mode(path) for path in (shop.db_path, wal, shop.db_path.with_name("quickcart.db-shm"))] == [0o600] * 3
        assert mode(tmp_path / "quickcart-file.log") == 0o600
        backup = Path(run(shop, "backup").stdout.splitlines()[-1])  # the log goes to stdout too
        assert [mode(backup.parent), mode(backup)] == [0o700, 0o600]
    finally:
        shop.stop()


def test_check_config_warns_about_files_other_users_can_read(tmp_path, telegram, pakasir, loose_umask):
    log_file = tmp_path / "file.log"
    shop = ShopProcess(tmp_path, telegram, pakasir, overrides={"logging": {"file": log_file}})
    shop.db_path.parent.mkdir(mode=0o755)
    shop.db_path.write_bytes(b"")
    log_file.write_text("")
    shop.config_path.chmod(0o644)
    warnings = [line for line in run(shop, "check-config").stdout.splitlines() if line.startswith("warn files:")]
    assert warnings == [
        f"warn files: {shop.config_path} is open to other users (mode 0644); fix: chmod 600 {shop.config_path}",
        f"warn files: {shop.db_path.parent} is open to other users (mode 0755); fix: chmod 700 {shop.db_path.parent}",
        f"warn files: {shop.db_path} is open to other users (mode 0644); fix: chmod 600 {shop.db_path}",
        f"warn files: {log_file} is open to other users (mode 0644); fix: chmod 600 {log_file}",
    ]
    for path in (shop.config_path, shop.db_path, log_file):
        path.chmod(0o600)
    shop.db_path.parent.chmod(0o700)
    assert "warn files:" not in run(shop, "check-config").stdout

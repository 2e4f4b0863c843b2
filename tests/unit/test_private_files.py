"""Data, backups and the log file are created private (0600, directories 0700) whatever the umask;
the optional log file rotates."""
from __future__ import annotations

import logging
import os
import stat

import pytest

from quickcart import logging_setup
from quickcart.backup import make_backup, run_backup_command
from quickcart.db import close_database, database, open_database
from quickcart.migrations import migrate


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_are_0600_in_a_0700_directory(tmp_path):
    path = tmp_path / "data" / "quickcart.db"
    open_database(path)
    try:
        migrate(database)
        assert mode(path.parent) == 0o700
        assert [mode(path), mode(f"{path}-wal"), mode(f"{path}-shm")] == [0o600] * 3
    finally:
        close_database()


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path):
    path = tmp_path / "quickcart.db"
    path.touch(mode=0o640)
    open_database(path)
    close_database()
    assert mode(path) == 0o640


def test_backups_are_0600_and_a_directory_made_for_them_0700(db, tmp_path):
    assert mode(make_backup(tmp_path / "copy.db")) == 0o600
    close_database()
    assert run_backup_command(tmp_path / "quickcart.db", str(tmp_path / "nightly")) == 0
    assert mode(tmp_path / "nightly") == 0o700
    assert [mode(copy) for copy in (tmp_path / "nightly").iterdir()] == [0o600]


def test_the_log_file_is_0600_and_rotates_into_0600_files(tmp_path, monkeypatch):
    monkeypatch.setattr(logging_setup, "LOG_FILE_BYTES", 2_000)
    monkeypatch.setattr(logging_setup, "LOG_FILE_BACKUPS", 2)
    path = tmp_path / "quickcart.log"
    logging_setup.setup_logging("INFO", str(path))
    try:
        for number in range(200):
            logging.getLogger("quickcart.test").info("line %d of a long day in the shop", number)
    finally:
        logging_setup.setup_logging("INFO")  # closes the file
    files = sorted(tmp_path.glob("quickcart.log*"))
    assert [file.name for file in files] == ["quickcart.log", "quickcart.log.1", "quickcart.log.2"]
    assert all(mode(file) == 0o600 for file in files)
    assert all(file.stat().st_size <= 2_100 for file in files)

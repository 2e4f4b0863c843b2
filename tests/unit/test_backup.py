"""Backups: a self-contained, checked copy, made while the shop keeps writing."""
import sqlite3
import threading
import time
from datetime import datetime

from quickcart import audit, backup
from quickcart.db import database, immediate
from quickcart.models import AuditLog


def rows_in(path, table: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    finally:
        connection.close()


def test_the_name_carries_the_jakarta_date_and_time():
    assert backup.backup_name(datetime(2026, 11, 27, 17, 30)) == "quickcart-20261128-0030.db"


def test_a_backup_is_one_self_contained_checked_file(db, tmp_path):
    with immediate():
        audit.record("test.event", detail="before the backup")
    target = tmp_path / "copies" / "quickcart.db"
    target.parent.mkdir()
    target.write_bytes(b"an older backup")
    assert backup.make_backup(target) == target
    connection = sqlite3.connect(target)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    assert rows_in(target, "audit_log") == 1
    assert sorted(path.name for path in target.parent.iterdir()) == ["quickcart.db"]


def test_a_backup_finishes_while_another_connection_keeps_writing(db, tmp_path):
    # A backup taken in steps restarts whenever someone else writes between two
    # steps; against a steady stream of writes it would never finish.
    with immediate():
        AuditLog.insert_many([{"action": "test.filler", "detail": "x" * 500} for _ in range(40_000)]).execute()
    stop = threading.Event()
    writes = []

    def keep_writing() -> None:
        writer = sqlite3.connect(database.database, isolation_level=None, timeout=10)
        writer.execute("PRAGMA synchronous=OFF")
        while not stop.is_set():
            writer.execute("INSERT INTO audit_log (created_at, action, subject, detail) "
                           "VALUES ('2026-11-27 10:00:00', 'test.write', '', '')")
            writes.append(1)
            time.sleep(0)

    copies = []
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(writes) < 20:
            time.sleep(0.001)
        copier = threading.Thread(target=lambda: copies.append(backup.make_backup(tmp_path / "busy.db")),
                                  daemon=True)
        copier.start()
        copier.join(10)
    finally:
        stop.set()
        writer.join()
    assert copies, "the backup did not finish while the shop kept writing"
    assert rows_in(copies[0], "audit_log") >= 40_000


def test_an_output_directory_that_does_not_exist_yet_is_created_not_written_as_a_file(tmp_path):
    from quickcart.backup import run_backup_command
    from quickcart.db import close_database, database, open_database
    from quickcart.migrations import migrate

    source = tmp_path / "shop.db"
    open_database(source)
    migrate(database)
    close_database()
    assert run_backup_command(source, str(tmp_path / "nightly")) == 0
    assert (tmp_path / "nightly").is_dir() and len(list((tmp_path / "nightly").glob("quickcart-*.db"))) == 1
    assert run_backup_command(source, str(tmp_path / "one-off.db")) == 0
    assert (tmp_path / "one-off.db").is_file()

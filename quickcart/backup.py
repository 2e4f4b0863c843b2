"""Backups: a consistent copy of the live database, for ``/backup`` and for cron.

The copy is made with SQLite's online backup API (:func:`quickcart.db.backup_to`)
while the shop keeps serving, so it is one consistent moment. It is then
turned into a self-contained file (rollback journal instead of WAL, so the
``.db`` alone is the whole database) and checked with ``PRAGMA quick_check``
before anyone relies on it.

From the command line (a systemd timer or cron)::

    python quickcart.py --config config.ini backup [--output PATH]

``PATH`` is a directory (created if needed), or a file when it ends in
``.db``; the default is ``backups/`` next to the database. The file appears under its final name only when complete.

A backup holds every customer and every unsold line of stock, so it is
created 0600 (and a directory made for it 0700) whatever the umask.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from quickcart.db import backup_to, close_database, open_database
from quickcart.timeutil import to_jakarta, utcnow

log = logging.getLogger(__name__)


class BackupError(Exception):
    """The copy could not be made or did not check out."""


def backup_name(now: datetime | None = None) -> str:
    """``quickcart-20241228-1405.db`` (Jakarta time)."""
    return f"quickcart-{to_jakarta(now or utcnow()):%Y%m%d-%H%M}.db"


def make_backup(destination: Path | str) -> Path:
    """Copy the open database to ``destination``, atomically; return the path.

    Must be called with :data:`quickcart.db.database` open.
    """
    destination = Path(destination)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        backup_to(partial)
        copy = sqlite3.connect(str(partial))
        try:
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
        os.replace(partial, destination)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"{exc.__class__.__name__}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    log.info("database backed up to %s (%d bytes)", destination, destination.stat().st_size)
    return destination


def run_backup_command(database_path: Path, output: str | None) -> int:
    """``quickcart.py backup``: copy the configured database; 0 on success, 2 on failure."""
    if not Path(database_path).exists():
        print(f"quickcart: backup: database.path {database_path} does not exist", file=sys.stderr)
        return 2
    if output is None:
        destination = Path(database_path).parent / "backups" / backup_name()
    else:
        destination = Path(output)
        # A directory, existing or not, unless it is clearly a file name:
        # "backups" or "backups/" must never become a file called "backups".
        names_a_file = destination.suffix.lower() in (".db", ".sqlite", ".sqlite3") and not output.endswith("/")
        if destination.is_dir() or not names_a_file:
            destination = destination / backup_name()
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    open_database(database_path)
    try:
        make_backup(destination)
    except BackupError as exc:
        print(f"quickcart: backup failed: {exc}", file=sys.stderr)
        return 2
    finally:
        close_database()
    print(destination)
    return 0

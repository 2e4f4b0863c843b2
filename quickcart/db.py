"""The SQLite database: declared unbound, opened once with its pragmas.

Pragmas and why:

- ``journal_mode=wal``: readers (catalogue, health, stats) never wait for the
  writer, and the writer never waits for readers.
- ``synchronous=FULL``: every commit is fsynced to the WAL before it returns.
  ``NORMAL`` survives a crash of the process but may lose the last commits on
  a power cut; a commit here can be "this order is paid and these lines are
  sold" or "this balance was debited", which must not be forgotten once the
  customer has been told. Our write rate (payments, imports in batches) is
  far below what FULL allows on an SSD, as ``bench/`` shows.
- ``foreign_keys=1``: stock lines, order items and ledger rows always point
  at something real.
- ``busy_timeout`` (via ``timeout``): a writer waits up to 10 s for another
  writer instead of failing at once; transactions are short, so this is rare.

Read-modify-write transactions use ``database.atomic("IMMEDIATE")``: a
deferred transaction that reads and then writes can fail with SQLITE_BUSY in
WAL mode when another writer got in between, whereas IMMEDIATE takes the
write lock up front and simply waits for it.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

BUSY_TIMEOUT_SECONDS = 10

database = SqliteDatabase(None)

PRAGMAS = (
    ("journal_mode", "wal"),
    ("synchronous", "full"),
    ("foreign_keys", 1),
    # Each thread has its own connection: a modest page cache each keeps the
    # process small (the OS page cache holds the file anyway).
    ("cache_size", -2_000),  # 2 MB per connection
    ("temp_store", "memory"),
)


def open_database(path: Path | str) -> SqliteDatabase:
    """Bind :data:`database` to ``path`` (created if needed) with our pragmas.

    A new database is created 0600 in a 0700 directory whatever the umask:
    it holds every customer and every unsold line of stock. SQLite gives its
    -wal and -shm files the database file's permissions.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # an existing database keeps its mode; check-config warns if others can read it
    database.init(str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS,
                  check_same_thread=False)
    database.connect(reuse_if_open=True)
    return database


def close_database() -> None:
    if not database.is_closed():
        database.close()


def immediate():
    """A transaction that takes SQLite's write lock at BEGIN.

    Use it for every read-modify-write of stock, orders or balances.
    Nested use becomes a savepoint of the outer transaction.
    """
    return database.atomic("IMMEDIATE")


def backup_to(destination: Path | str) -> Path:
    """Write a consistent copy of the live database with SQLite's backup API.

    The copy is taken in one step, a single read transaction: in WAL mode
    that snapshot does not block the shop's writers, whereas a backup taken
    in several steps restarts from the beginning whenever another
    connection writes in between, and on a busy shop may never finish.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(str(destination))
    try:
        database.connection().backup(target, pages=-1)
    finally:
        target.close()
    return destination

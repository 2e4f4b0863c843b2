"""Schema versions and moving an existing database forward.

The version lives in SQLite's ``PRAGMA user_version``. A new database gets
the current schema in one step. An existing one runs every step after its
version, in order, each in its own transaction together with the version
bump, so an interrupted upgrade resumes where it stopped.

To change the schema after a release: change the model, append a step
``(N, "what it does", function)`` below that brings a version N-1 database
to the new shape (``playhouse.migrate`` helps), and add a fixture database
of version N-1 to ``tests/fixtures`` for the upgrade test.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from peewee import SqliteDatabase

from quickcart.models import ALL_MODELS

log = logging.getLogger(__name__)

Step = tuple[int, str, Callable[[SqliteDatabase], None]]


class SchemaError(Exception):
    """The database cannot be used by this version of QuickCart."""


def _create_all(db: SqliteDatabase) -> None:
    db.create_tables(ALL_MODELS)


def _index_orders_for_background_jobs(db: SqliteDatabase) -> None:
    db.execute_sql('CREATE INDEX IF NOT EXISTS "order_status_delivered_at" ON "order" ("status", "delivered_at")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "order_status_closed_at" ON "order" ("status", "closed_at")')


def _add_payment_mismatch_columns(db: SqliteDatabase) -> None:
    # Adding nullable columns needs no table rebuild.
    columns = {column.name for column in db.get_columns("order")}
    if "mismatch" not in columns:
        db.execute_sql('ALTER TABLE "order" ADD COLUMN "mismatch" TEXT')
    if "mismatch_resolution" not in columns:
        db.execute_sql('ALTER TABLE "order" ADD COLUMN "mismatch_resolution" VARCHAR(16)')


STEPS: list[Step] = [
    (1, "initial schema", _create_all),
    (2, "index the orders the background jobs look for", _index_orders_for_background_jobs),
    (3, "remember payment mismatches on the order", _add_payment_mismatch_columns),
]

SCHEMA_VERSION = STEPS[-1][0]


def current_version(db: SqliteDatabase) -> int:
    return db.execute_sql("PRAGMA user_version").fetchone()[0]


def _set_version(db: SqliteDatabase, version: int) -> None:
    db.execute_sql(f"PRAGMA user_version = {int(version)}")


def migrate(db: SqliteDatabase) -> int:
    """Bring ``db`` to :data:`SCHEMA_VERSION`; return the version it had."""
    found = current_version(db)
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {found} is newer than this QuickCart understands "
            f"({SCHEMA_VERSION}); upgrade QuickCart or restore a backup")
    if found == 0:
        if db.get_tables():
            raise SchemaError("database has tables but no QuickCart schema version; is it the right file?")
        with db.atomic("IMMEDIATE"):
            _create_all(db)
            _set_version(db, SCHEMA_VERSION)
        log.info("database created at schema version %d", SCHEMA_VERSION)
        return found
    for version, description, step in STEPS:
        if version <= found:
            continue
        _run_step(db, version, step)
        log.info("database migrated to schema version %d (%s)", version, description)
    return found


def _run_step(db: SqliteDatabase, version: int, step: Callable[[SqliteDatabase], None]) -> None:
    """One step and its version bump, in one transaction.

    Most ``playhouse.migrate`` operations (anything but adding a nullable
    column) rebuild the table: create a copy, move the rows, drop the
    original, rename the copy. With foreign keys enforced, dropping a table
    that other rows point at fails, so this follows SQLite's own recipe for
    such changes: foreign keys off around the transaction (the pragma is a
    no-op inside one), ``foreign_key_check`` before committing.
    """
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic("IMMEDIATE"):
            step(db)
            broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise SchemaError(f"schema step {version} would leave {len(broken)} row(s) pointing at "
                                  f"nothing (first: table {broken[0][0]}, row {broken[0][1]}); not applied")
            _set_version(db, version)
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")

"""The shop's stock key: finding it at start-up, checking it against the database, rotating it,
and carrying on when it is lost.

Where the key comes from (``[database]`` in the config):

- ``stock_key``: the key itself (``QUICKCART_DATABASE_STOCK_KEY``, for a
  systemd ``EnvironmentFile``), or else
- ``stock_key_file``: a file holding it; by default ``quickcart.key`` next to
  the database. When that file is missing and the database has never held a
  sealed line, a new key is generated there (0600) on the first start.

The database records the id of the key its lines are sealed with (the
``setting`` row ``stock_key_id``, written in the same transaction as the
first sealed line). A start with another key, or with none while lines are
sealed, stops with one line saying which key is needed: the shop never
serves garbage and never finds out halfway through a delivery.

``rotate-key`` and ``reset-stock-key`` run while the shop is stopped: the
shop holds a shared lock on the database's directory while it runs, those
commands an exclusive one.
"""
from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from quickcart.config import DEFAULT_STOCK_KEY_FILE, Config, DatabaseConfig
from quickcart.db import close_database, database, immediate, open_database
from quickcart.stockcrypt import (
    KeyFormatError,
    StockKey,
    new_key_text,
    parse_key,
    read_key_file,
    readable_by_others,
    write_key_file,
)

log = logging.getLogger(__name__)

KEY_ID_SETTING = "stock_key_id"
ROTATING_TO_SETTING = "stock_key_rotating_to"
RESEAL_BATCH = 5000

_current: StockKey | None = None


class StockKeyError(Exception):
    """The stock key cannot be used with this database; the message is one line saying what to do."""


def install(key: StockKey | None) -> None:
    """Make ``key`` the one this process seals and opens stock lines with."""
    global _current
    _current = key


def forget() -> None:
    """No key installed (between tests: each binds its own database and key)."""
    install(None)


def current() -> StockKey:
    if _current is None:
        raise StockKeyError("no stock key loaded: call stock_key.unlock() after opening the database")
    return _current


def pending_key_file(key_file: Path) -> Path:
    """Where rotate-key keeps the new key until every line is sealed with it."""
    return key_file.with_name(key_file.name + ".new")


def retired_key_file(key_file: Path, key_id: str) -> Path:
    """Where rotate-key leaves the old key: backups made before the rotation need it."""
    return key_file.with_name(f"{key_file.name}.{key_id}.old")


# --- what the database says ---------------------------------------------------------


def _setting(name: str) -> str | None:
    if "setting" not in database.get_tables():
        return None
    row = database.execute_sql("SELECT value FROM setting WHERE key = ?", (name,)).fetchone()
    return row[0] if row else None


def _put_setting(name: str, value: str) -> None:
    database.execute_sql("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (name, value))


def record_key(key: StockKey) -> None:
    """Note (once) which key the database's lines are sealed with; inside the transaction that seals one."""
    database.execute_sql("INSERT OR IGNORE INTO setting (key, value) VALUES (?, ?)", (KEY_ID_SETTING, key.id))


def recorded_key_id() -> str | None:
    return _setting(KEY_ID_SETTING)


# --- start-up -------------------------------------------------------------------------


def unlock(config: DatabaseConfig) -> StockKey:
    """Find the stock key for the open database, check it is the right one, and install it.

    Generates a key on the first start of a shop (no key file, no sealed
    line yet). Raises :class:`StockKeyError` for a missing or wrong key and
    for a rotation left half-done.
    """
    recorded = recorded_key_id()
    if _setting(ROTATING_TO_SETTING):
        raise _interrupted_rotation()
    if config.stock_key:
        key, origin = parse_key(config.stock_key), "database.stock_key"
    else:
        key, origin = _key_from_file(config.stock_key_file, recorded, config.path), "database.stock_key_file"
    if recorded is not None and recorded != key.id:
        if _pending_key_id(config.stock_key_file) == recorded:
            raise _interrupted_rotation()
        raise StockKeyError(
            f"{origin}: this is stock key {key.id}, but the stock lines in {config.path} are sealed with key "
            f"{recorded}; use the key that belongs to this database (a backup made before a rotation needs "
            f"the key retired then, {retired_key_file(config.stock_key_file, recorded).name})")
    install(key)
    return key


def unlock_beside(db_path: Path) -> StockKey:
    """:func:`unlock` for a database whose key file is in its default place (tests, the demo, benchmarks)."""
    db_path = Path(db_path)
    return unlock(DatabaseConfig(path=db_path, stock_key_file=db_path.with_name(DEFAULT_STOCK_KEY_FILE),
                                 stock_key=""))


def _key_from_file(path: Path, recorded: str | None, db_path: Path) -> StockKey:
    try:
        key = read_key_file(path)
    except FileNotFoundError:
        if recorded is not None:
            if _pending_key_id(path) == recorded:
                raise _interrupted_rotation() from None
            raise StockKeyError(
                f"database.stock_key_file: {path} not found, and the stock lines in {db_path} are sealed "
                f"with key {recorded}; put that key file back from the copy you kept (if it is lost for "
                f"good, see \"If the stock key is lost\" in the README)") from None
        return _generate(path)
    except KeyFormatError as exc:
        raise StockKeyError(f"database.stock_key_file: {path}: {exc}") from None
    except OSError as exc:
        raise StockKeyError(f"database.stock_key_file: cannot read {path} ({exc.strerror or exc})") from None
    if readable_by_others(path):
        log.warning("stock key file %s is readable by every user of this machine; chmod 600 it", path)
    return key


def _generate(path: Path) -> StockKey:
    text = new_key_text()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_key_file(path, text)
    except OSError as exc:
        raise StockKeyError(f"database.stock_key_file: cannot write a new stock key to {path} "
                            f"({exc.strerror or exc})") from None
    key = parse_key(text)
    log.warning("generated a new stock key %s in %s: keep a copy of that file somewhere safe and apart from "
                "your backups; without it the stock lines in the database and in every backup cannot be read",
                key.id, path)
    return key


def _pending_key_id(key_file: Path) -> str | None:
    try:
        return read_key_file(pending_key_file(key_file)).id
    except (OSError, KeyFormatError):
        return None


def _interrupted_rotation() -> StockKeyError:
    return StockKeyError("a stock key rotation was interrupted; run the rotate-key command again "
                         "to finish it (quickcart.py --config <config> rotate-key)")


# --- one shop at a time -----------------------------------------------------------------


class DirectoryLock:
    """An advisory lock on the database's directory: shared for the shop, exclusive for key changes.

    ``flock`` on the directory rather than on the database file: SQLite's
    own locks on the file are POSIX locks, which closing any other
    descriptor of that file would drop.
    """

    def __init__(self, db_path: Path, exclusive: bool):
        self._fd = os.open(Path(db_path).parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = -1
            raise StockKeyError(
                "the shop is running on this database: stop it first (sudo systemctl stop quickcart)"
                if exclusive else
                "rotate-key or reset-stock-key is running on this database; start the shop when it has finished"
            ) from None

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@contextmanager
def _key_maintenance(config: DatabaseConfig) -> Iterator[None]:
    """The database open in this process, with the shop kept out, and made private again afterwards."""
    if not config.path.exists():
        raise StockKeyError(f"database.path: {config.path} does not exist")
    lock = DirectoryLock(config.path, exclusive=True)
    try:
        open_database(config.path)
        # Lines replaced here (clear text, or sealed with a retired key)
        # are overwritten with zeros, not left in free pages of the file.
        database.execute_sql("PRAGMA secure_delete = ON")
        try:
            yield
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            close_database()
    finally:
        lock.release()


# --- rotate-key -------------------------------------------------------------------------


def rotate(config: Config) -> int:
    """``quickcart.py rotate-key``: seal every line with a new key; 0 when done, 2 when refused.

    Resumable at every point: the new key is on disk (``<key file>.new``)
    before the first line is sealed with it, each batch of lines commits on
    its own, every line says which key sealed it, and the database switches
    its recorded key only when no line is left on the old one. The key files
    change last: the old key is kept as ``<key file>.<id>.old``.
    """
    db = config.database
    if db.stock_key:
        return _refuse("rotate-key writes the new key to a file, but the key now comes from database.stock_key "
                       "(QUICKCART_DATABASE_STOCK_KEY): save that key in a file, point database.stock_key_file "
                       "at it, remove database.stock_key, then run rotate-key")
    return _maintain(db, _rotate)


def _maintain(db: DatabaseConfig, work: Callable[[DatabaseConfig], str]) -> int:
    """Run a key command with the shop stopped; print what it did (0), or why it could not (1)."""
    try:
        with _key_maintenance(db):
            outcome = work(db)
    except StockKeyError as exc:
        return _refuse(str(exc))
    print(outcome)
    return 0


def _rotate(db: DatabaseConfig) -> str:
    from quickcart.migrations import migrate

    key_file, pending = db.stock_key_file, pending_key_file(db.stock_key_file)
    recorded = recorded_key_id()
    new = _read_or_none(pending)
    if new is not None and recorded == new.id:
        old = _read_or_none(key_file)
        _swap_key_files(key_file, old, new)
        return f"rotate-key: finished; the stock key is now {new.id} in {key_file}"
    if _setting(ROTATING_TO_SETTING) and new is None:
        raise StockKeyError(f"a rotation to key {_setting(ROTATING_TO_SETTING)} was started but {pending} is "
                            "gone; put it back to finish the rotation")
    old = _key_from_file(key_file, recorded, db.path)
    if recorded is not None and recorded != old.id:
        raise StockKeyError(f"database.stock_key_file: {key_file} holds key {old.id}, but the stock lines are "
                            f"sealed with key {recorded}")
    install(old)
    migrate(database)  # an older database is sealed with the current key first
    if new is None:
        text = new_key_text()
        write_key_file(pending, text)
        new = parse_key(text)
    with immediate():
        _put_setting(ROTATING_TO_SETTING, new.id)
    resealed = reseal_lines(old, new)
    with immediate():
        left = _lines_not_sealed_with(new)
        if left:
            raise StockKeyError(f"{left} stock line(s) are sealed with neither the old key {old.id} nor the new "
                                f"key {new.id}; nothing switched")
        _put_setting(KEY_ID_SETTING, new.id)
        database.execute_sql("DELETE FROM setting WHERE key = ?", (ROTATING_TO_SETTING,))
    _swap_key_files(key_file, old, new)
    log.info("stock key rotated from %s to %s (%d lines resealed)", old.id, new.id, resealed)
    return (f"rotate-key: {resealed:,} stock lines resealed; the stock key is now {new.id} in {key_file}; the old "
            f"key is in {retired_key_file(key_file, old.id)} (backups made before now need it)")


def reseal_lines(old: StockKey, new: StockKey, batch_size: int = RESEAL_BATCH) -> int:
    """Seal with ``new`` every line sealed with ``old``, one short transaction per batch."""
    resealed, after = 0, 0
    while True:
        with immediate():
            rows = database.execute_sql("SELECT id, product_id, sealed FROM stock_line WHERE id > ? ORDER BY id "
                                        "LIMIT ?", (after, batch_size)).fetchall()
            if not rows:
                return resealed
            after = rows[-1][0]
            updates = []
            for line_id, product_id, sealed in rows:
                if old.opens(sealed):
                    text = old.open(product_id, sealed)
                    updates.append((new.seal(product_id, text), new.digest(product_id, text), line_id))
            database.cursor().executemany("UPDATE stock_line SET sealed = ?, digest = ? WHERE id = ?", updates)
            resealed += len(updates)


def _lines_not_sealed_with(key: StockKey) -> int:
    return sum(1 for (sealed,) in database.execute_sql("SELECT sealed FROM stock_line") if not key.opens(sealed))


def _read_or_none(path: Path) -> StockKey | None:
    try:
        return read_key_file(path)
    except FileNotFoundError:
        return None
    except (OSError, KeyFormatError) as exc:
        raise StockKeyError(f"{path}: {exc}") from None


def _swap_key_files(key_file: Path, old: StockKey | None, new: StockKey) -> None:
    """Old key to ``<key file>.<id>.old``, then the new one into place with one rename."""
    pending = pending_key_file(key_file)
    if old is not None and old.id != new.id:
        retired = retired_key_file(key_file, old.id)
        if not retired.exists():
            write_key_file(retired, key_file.read_text(encoding="ascii").strip())
    os.replace(pending, key_file)
    fd = os.open(key_file.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse(message: str) -> int:
    import sys
    print(f"quickcart: {message}", file=sys.stderr)
    return 2


# --- reset-stock-key (the key is lost) --------------------------------------------------


def reset_lost_key(config: Config, confirmed: bool) -> int:
    """``quickcart.py reset-stock-key --yes``: start over with a new key when the old one is lost for good.

    Lines that cannot be opened any more are removed from sale (available
    and reserved ones are deleted, stock counts set to 0); sold lines stay
    with their orders, though their text can no longer be shown. Orders,
    balances, users and the rest are untouched. A pending order whose lines
    were deleted is settled like any payment that finds no stock: fresh
    lines if the owner has re-imported some by then, else a balance credit.
    """
    db = config.database
    if db.stock_key:
        return _refuse("reset-stock-key writes the new key to database.stock_key_file; remove database.stock_key "
                       "(and QUICKCART_DATABASE_STOCK_KEY) first")
    if not confirmed:
        return _refuse("reset-stock-key deletes every unsold stock line, which cannot be read without the lost "
                       "key; run it again with --yes if that key is really gone")
    return _maintain(db, _reset)


def _reset(db: DatabaseConfig) -> str:
    from quickcart import audit
    from quickcart.migrations import migrate

    recorded = recorded_key_id()
    existing = _read_or_none(db.stock_key_file)
    if existing is not None and (recorded is None or existing.id == recorded):
        raise StockKeyError(f"{db.stock_key_file} is this database's stock key; nothing is lost")
    if existing is not None:
        raise StockKeyError(f"{db.stock_key_file} holds key {existing.id}, not this database's key {recorded}; "
                            "if that one is really lost, move this file away and run reset-stock-key again")
    text = new_key_text()
    new = parse_key(text)
    install(new)
    migrate(database)
    with immediate():
        counts = dict(database.execute_sql("SELECT state, COUNT(*) FROM stock_line GROUP BY state").fetchall())
        database.execute_sql("DELETE FROM stock_line WHERE state IN ('available', 'reserved')")
        database.execute_sql("UPDATE product SET stock_count = 0")
        _put_setting(KEY_ID_SETTING, new.id)
        database.execute_sql("DELETE FROM setting WHERE key = ?", (ROTATING_TO_SETTING,))
        audit.record("stock.key_reset", subject="stock", before={"stock_key": recorded, "lines": counts},
                     after={"stock_key": new.id},
                     detail="stock key lost: unsold lines deleted, sold lines kept unreadable")
    # After the commit: a crash here leaves a database that names a key nobody
    # has, with nothing sealed by it, and running this again starts over.
    write_key_file(db.stock_key_file, text)
    pending_key_file(db.stock_key_file).unlink(missing_ok=True)
    log.warning("stock key %s declared lost; new stock key %s", recorded, new.id)
    return (f"reset-stock-key: deleted {counts.get('available', 0):,} available and {counts.get('reserved', 0):,} "
            f"reserved stock lines sealed with the lost key {recorded}; kept {counts.get('sold', 0):,} sold lines "
            f"(their text cannot be shown again). New stock key {new.id} in {db.stock_key_file}: keep a copy of "
            f"it apart from your backups, then re-import your stock with /addstock.")


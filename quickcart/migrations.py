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
from quickcart.stockcrypt import StockKey

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
# Frozen at the shape schema version 4 gave it: later steps change it with steps of their own.
_SEALED_STOCK_LINE_TABLE = (
    'CREATE TABLE "stock_line" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, '
    '"sealed" BLOB NOT NULL, "digest" BLOB NOT NULL, "state" VARCHAR(16) NOT NULL '
    "CHECK (state IN ('available', 'reserved', 'sold')), \"order_id\" INTEGER, \"created_at\" DATETIME NOT NULL, "
    '"sold_at" DATETIME, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE RESTRICT)')
_SEALED_STOCK_LINE_INDEXES = (
    'CREATE INDEX "stock_line_product_id" ON "stock_line" ("product_id")',
    'CREATE INDEX "stock_line_order_id" ON "stock_line" ("order_id")',
    'CREATE UNIQUE INDEX "stock_line_product_id_digest" ON "stock_line" ("product_id", "digest")',
    'CREATE INDEX "stock_line_product_id_state_id" ON "stock_line" ("product_id", "state", "id")',
)
_CLEAR_TEXT_INDEXES = ("stock_line_product_id", "stock_line_order_id", "stock_line_product_id_content",
                       "stock_line_product_id_state_id")
SEAL_BATCH = 5000


def _seal_stock_lines(db: SqliteDatabase) -> None:
    """Replace every clear-text stock line by its sealed form and keyed hash, in place.

    The table is rebuilt (SQLite cannot drop the old NOT NULL column
    everywhere we run), copying the lines in batches so a million of them
    never sit in memory at once. ``secure_delete`` makes SQLite overwrite the
    dropped clear text with zeros instead of leaving it in free pages, where
    a copy of the file would still show it.
    """
    from quickcart import stock_key

    key = stock_key.current()
    zeroing = db.execute_sql("PRAGMA secure_delete").fetchone()[0]
    db.execute_sql("PRAGMA secure_delete = ON")
    try:
        _rebuild_stock_lines_sealed(db, key)
    finally:
        db.execute_sql(f"PRAGMA secure_delete = {int(zeroing)}")
    stock_key.record_key(key)


def _rebuild_stock_lines_sealed(db: SqliteDatabase, key: StockKey) -> None:
    for index in _CLEAR_TEXT_INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
    db.execute_sql('ALTER TABLE "stock_line" RENAME TO "stock_line_clear_text"')
    db.execute_sql(_SEALED_STOCK_LINE_TABLE)
    after = 0
    while True:
        rows = db.execute_sql('SELECT id, product_id, content, state, order_id, created_at, sold_at '
                              'FROM "stock_line_clear_text" WHERE id > ? ORDER BY id LIMIT ?',
                              (after, SEAL_BATCH)).fetchall()
        if not rows:
            break
        after = rows[-1][0]
        db.cursor().executemany(
            'INSERT INTO "stock_line" (id, product_id, sealed, digest, state, order_id, created_at, sold_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(line_id, product_id, key.seal(product_id, content), key.digest(product_id, content), state, order_id,
              created_at, sold_at)
             for line_id, product_id, content, state, order_id, created_at, sold_at in rows])
    db.execute_sql('DROP TABLE "stock_line_clear_text"')
    for statement in _SEALED_STOCK_LINE_INDEXES:
        db.execute_sql(statement)


def _order_table_gateway_neutral(db: SqliteDatabase) -> None:
    """Rebuild ``order`` without the CHECK that allowed only qris/balance, with gateway columns.

    SQLite cannot drop a CHECK constraint in place: the table is made again
    from its own definition (so this step does not depend on today's
    model), the rows are copied, and its indexes are made again.
    """
    definition = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'order'").fetchone()[0]
    indexes = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'order' AND sql IS NOT NULL")]
    old_columns = [column.name for column in db.get_columns("order")]
    new_definition = (definition
                      .replace('CREATE TABLE "order"', 'CREATE TABLE "order_v5"', 1)
                      .replace(" CHECK (payment_method IN ('qris', 'balance'))", "", 1)
                      .replace('"payment_method" VARCHAR(16) NOT NULL,',
                               '"payment_method" VARCHAR(16) NOT NULL, "gateway" VARCHAR(32),', 1)
                      .replace('"pakasir_fee" INTEGER', '"gateway_fee" INTEGER', 1))
    if new_definition.count('"gateway"') != 1 or '"gateway_fee"' not in new_definition:
        raise SchemaError("step 5: the order table does not have the shape version 4 gave it; not applied")
    db.execute_sql(new_definition)
    targets = ['"gateway_fee"' if name == "pakasir_fee" else f'"{name}"' for name in old_columns]
    sources = [f'"{name}"' for name in old_columns]
    db.execute_sql(f'INSERT INTO "order_v5" ({", ".join(targets)}, "gateway") '
                   f'SELECT {", ".join(sources)}, CASE WHEN payment_number IS NOT NULL '
                   f"OR payment_method = 'qris' THEN 'pakasir' END FROM \"order\"")
    db.execute_sql('DROP TABLE "order"')
    db.execute_sql('ALTER TABLE "order_v5" RENAME TO "order"')
    for sql in indexes:
        db.execute_sql(sql)


def _product_presentation_and_line_removal(db: SqliteDatabase) -> None:
    """Products get a photo, a sort order, terms and a deleted mark; stock lines a ``removed`` state.

    Descriptions become formatted text (Telegram HTML): what they held was
    plain text, so its ``&``, ``<`` and ``>`` are escaped to show as before.
    The stock line table is rebuilt from its own definition (SQLite cannot
    change a CHECK in place), rows copied as they are.
    """
    columns = {column.name for column in db.get_columns("product")}
    for name, definition in (("photo_file_id", "TEXT"), ("sort_order", "INTEGER NOT NULL DEFAULT 0"),
                             ("terms", "TEXT NOT NULL DEFAULT ''"), ("deleted_at", "DATETIME")):
        if name not in columns:
            db.execute_sql(f'ALTER TABLE "product" ADD COLUMN "{name}" {definition}')
    db.execute_sql("UPDATE \"product\" SET description = "
                   "replace(replace(replace(description, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')")
    definition = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'stock_line'").fetchone()[0]
    old_check = "CHECK (state IN ('available', 'reserved', 'sold'))"
    if definition.count(old_check) != 1:
        raise SchemaError("step 6: the stock_line table does not have the shape version 5 gave it; not applied")
    indexes = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stock_line' AND sql IS NOT NULL")]
    names = ", ".join(f'"{column.name}"' for column in db.get_columns("stock_line"))
    db.execute_sql(definition.replace('CREATE TABLE "stock_line"', 'CREATE TABLE "stock_line_v6"', 1)
                   .replace(old_check, "CHECK (state IN ('available', 'reserved', 'sold', 'removed'))"))
    db.execute_sql(f'INSERT INTO "stock_line_v6" ({names}) SELECT {names} FROM "stock_line"')
    db.execute_sql('DROP TABLE "stock_line"')
    db.execute_sql('ALTER TABLE "stock_line_v6" RENAME TO "stock_line"')
    for sql in indexes:
        db.execute_sql(sql)
def _add_languages(db: SqliteDatabase) -> None:
    """Each user's language; products' English name, description and terms (the name kept on order items);
    categories' English names.

    Existing users start in Indonesian, not yet chosen: their next message sets it from Telegram.
    """
    added = {
        "user": ("language VARCHAR(8) NOT NULL DEFAULT 'id'", "language_chosen INTEGER NOT NULL DEFAULT 0"),
        "product": ("name_en VARCHAR(100) NOT NULL DEFAULT ''", "description_en TEXT NOT NULL DEFAULT ''",
                    "terms_en TEXT NOT NULL DEFAULT ''"),
        "order_item": ("product_name_en VARCHAR(100) NOT NULL DEFAULT ''",),
    }
    for table, columns in added.items():
        present = {column.name for column in db.get_columns(table)}
        for column in columns:
            if column.split()[0] not in present:
                db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {column}')
    db.execute_sql('CREATE TABLE IF NOT EXISTS "category_name" ("category" VARCHAR(60) NOT NULL PRIMARY KEY, '
                   '"name_en" VARCHAR(60) NOT NULL, "updated_at" DATETIME NOT NULL)')


# Frozen at the shape schema version 8 gives them.
_CONTACT_MESSAGE = (
    'CREATE TABLE IF NOT EXISTS "contact_message" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, '
    '"order_id" INTEGER, "source_message_id" INTEGER NOT NULL, "admin_id" INTEGER NOT NULL, '
    '"admin_message_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX IF NOT EXISTS "contact_message_user_id" ON "contact_message" ("user_id")',
    'CREATE INDEX IF NOT EXISTS "contact_message_order_id" ON "contact_message" ("order_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "contact_message_admin_id_admin_message_id" '
    'ON "contact_message" ("admin_id", "admin_message_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "contact_message_user_id_source_message_id_admin_id" '
    'ON "contact_message" ("user_id", "source_message_id", "admin_id")',
)


def _contact_and_figures(db: SqliteDatabase) -> None:
    """The table that maps admins' copies of customer messages to customers; indexes for figures by period."""
    for statement in _CONTACT_MESSAGE:
        db.execute_sql(statement)
    db.execute_sql('CREATE INDEX IF NOT EXISTS "order_created_at_kind_status" '
                   'ON "order" ("created_at", "kind", "status")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "order_item_order_id_product_id_quantity_price_per_unit" '
                   'ON "order_item" ("order_id", "product_id", "quantity", "price_per_unit")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "user_created_at" ON "user" ("created_at")')


def _rebuild_from_own_definition(db: SqliteDatabase, table: str, changes: dict[str, str]) -> None:
    """Make ``table`` again from its own definition with each ``changes`` text replaced once.

    For a CHECK constraint SQLite cannot change in place: the new table is
    made from the old one's SQL (not from today's model), the rows are copied
    column by column, the old table dropped, the new one renamed, and its
    indexes made again. A definition that does not read as expected is left alone.
    """
    definition = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone()[0]
    indexes = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    staging = f"{table}_rebuilt"
    new_definition = definition.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{staging}"', 1)
    pending = {old: new for old, new in changes.items() if not (old not in definition and new in definition)}
    if not pending:
        return  # already in that shape (a database made by today's models and marked older)
    for old, new in pending.items():
        if new_definition.count(old) != 1:
            raise SchemaError(f"the {table} table does not have the shape expected ({old!r}); not applied")
        new_definition = new_definition.replace(old, new, 1)
    names = ", ".join(f'"{column.name}"' for column in db.get_columns(table))
    db.execute_sql(new_definition)
    db.execute_sql(f'INSERT INTO "{staging}" ({names}) SELECT {names} FROM "{table}"')
    db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
    for sql in indexes:
        db.execute_sql(sql)


def _add_columns(db: SqliteDatabase, table: str, columns: tuple[tuple[str, str], ...]) -> None:
    present = {column.name for column in db.get_columns(table)}
    for name, definition in columns:
        if name not in present:
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {definition}')


# Frozen at the shape schema version 9 gives them: later steps change them with steps of their own.
_PRODUCT_KIND_COLUMNS = (
    ("kind", "VARCHAR(16) NOT NULL DEFAULT 'stock'"),  # every product a shop had sells unique lines
    ("content", "TEXT"),
    ("file_id", "VARCHAR(256)"),
    ("file_name", "VARCHAR(256)"),
    ("fields_spec", "TEXT"),
    ("warranty_days", "INTEGER NOT NULL DEFAULT 0"),
    ("max_quantity", "INTEGER NOT NULL DEFAULT 1"),
)
_ORDER_ITEM_KIND_COLUMNS = (
    ("kind", "VARCHAR(16) NOT NULL DEFAULT 'stock'"),
    ("warranty_days", "INTEGER NOT NULL DEFAULT 0"),
)
_AFTERCARE_TABLES = (
    'CREATE TABLE IF NOT EXISTS "buyer_field_value" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, '
    '"position" INTEGER NOT NULL, "label" VARCHAR(64) NOT NULL, "value" VARCHAR(256) NOT NULL, '
    'FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "buyer_field_value_order_id" ON "buyer_field_value" ("order_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "buyer_field_value_order_id_position"'
    ' ON "buyer_field_value" ("order_id", "position")',
    'CREATE TABLE IF NOT EXISTS "manual_fulfilment" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, '
    '"state" VARCHAR(16) NOT NULL, "admin_id" INTEGER, "reply_text" TEXT, '
    '"reply_file_id" VARCHAR(256), "reply_file_kind" VARCHAR(16), "reason" TEXT, "refund_amount" INTEGER, '
    '"created_at" DATETIME NOT NULL, "decided_at" DATETIME, "reminded_at" DATETIME, "tell_claimed_at" DATETIME, '
    '"told_at" DATETIME, FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "manual_fulfilment_order_id" ON "manual_fulfilment" ("order_id")',
    'CREATE INDEX IF NOT EXISTS "manual_fulfilment_state_created_at" ON "manual_fulfilment" ("state", "created_at")',
    'CREATE INDEX IF NOT EXISTS "manual_fulfilment_told_at_decided_at"'
    ' ON "manual_fulfilment" ("told_at", "decided_at")',
    'CREATE TABLE IF NOT EXISTS "warranty_claim" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, '
    '"user_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "line_id" INTEGER NOT NULL, '
    '"description" TEXT NOT NULL, "state" VARCHAR(16) NOT NULL, "admin_id" INTEGER, '
    '"reason" TEXT, "replacement_line_id" INTEGER, "refund_amount" INTEGER, "created_at" DATETIME NOT NULL, '
    '"decided_at" DATETIME, "tell_claimed_at" DATETIME, "told_at" DATETIME, '
    'FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("line_id") REFERENCES "stock_line" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("replacement_line_id") REFERENCES "stock_line" ("id") ON DELETE RESTRICT)',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_order_id" ON "warranty_claim" ("order_id")',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_user_id" ON "warranty_claim" ("user_id")',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_product_id" ON "warranty_claim" ("product_id")',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_line_id" ON "warranty_claim" ("line_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "warranty_claim_replacement_line_id"'
    ' ON "warranty_claim" ("replacement_line_id")',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_state_id" ON "warranty_claim" ("state", "id")',
    'CREATE INDEX IF NOT EXISTS "warranty_claim_told_at_decided_at" ON "warranty_claim" ("told_at", "decided_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "warrantyclaim_one_open_per_line" ON "warranty_claim" ("line_id") '
    'WHERE ("state" = \'open\')',
    'CREATE TABLE IF NOT EXISTS "restock_subscription" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"product_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "restock_subscription_product_id" ON "restock_subscription" ("product_id")',
    'CREATE INDEX IF NOT EXISTS "restock_subscription_user_id" ON "restock_subscription" ("user_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "restock_subscription_product_id_user_id" ON "restock_subscription" '
    '("product_id", "user_id")',
)


def _product_kinds(db: SqliteDatabase) -> None:
    """Products of three kinds, free items, buyer fields, manual fulfilment, warranty claims, restock alerts.

    Existing products become ``stock`` (what they were). A price of 0 (a
    free item) needs the CHECKs on product prices and order amounts relaxed,
    which SQLite does only by rebuilding those tables.
    """
    _add_columns(db, "product", _PRODUCT_KIND_COLUMNS)
    _rebuild_from_own_definition(db, "product", {"CHECK (customer_price > 0)": "CHECK (customer_price >= 0)",
                                                 "CHECK (reseller_price > 0)": "CHECK (reseller_price >= 0)"})
    _rebuild_from_own_definition(db, "order", {"CHECK (subtotal > 0)": "CHECK (subtotal >= 0)",
                                               "CHECK (total_bill > 0)": "CHECK (total_bill >= 0)"})
    _add_columns(db, "order_item", _ORDER_ITEM_KIND_COLUMNS)
    _rebuild_from_own_definition(db, "order_item", {"CHECK (price_per_unit > 0)": "CHECK (price_per_unit >= 0)"})
    for statement in _AFTERCARE_TABLES:
        db.execute_sql(statement)


# Frozen at the shape schema version 10 gives them.
_PROMOTION_TABLES = (
    'CREATE TABLE IF NOT EXISTS "promo" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, '
    '"kind" VARCHAR(8) NOT NULL, "value" INTEGER NOT NULL, "min_spend" INTEGER NOT NULL, "max_discount" INTEGER, '
    '"product_id" INTEGER, "category" VARCHAR(60), "quota" INTEGER, "per_user" INTEGER, "starts_at" DATETIME, '
    '"ends_at" DATETIME, "resellers" INTEGER NOT NULL, "is_active" INTEGER NOT NULL, '
    '"held" INTEGER NOT NULL CHECK (held >= 0), "used" INTEGER NOT NULL CHECK (used >= 0), '
    '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "promo_code" ON "promo" ("code")',
    'CREATE INDEX IF NOT EXISTS "promo_product_id" ON "promo" ("product_id")',
    'CREATE TABLE IF NOT EXISTS "referral_reward" ("id" INTEGER NOT NULL PRIMARY KEY, "order_id" INTEGER NOT NULL, '
    '"referrer_id" INTEGER NOT NULL, "buyer_id" INTEGER NOT NULL, "amount" INTEGER NOT NULL CHECK (amount > 0), '
    '"created_at" DATETIME NOT NULL, "reversed_at" DATETIME, "reversed_amount" INTEGER NOT NULL, '
    'FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("referrer_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
    'FOREIGN KEY ("buyer_id") REFERENCES "user" ("id") ON DELETE RESTRICT)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "referral_reward_order_id" ON "referral_reward" ("order_id")',
    'CREATE INDEX IF NOT EXISTS "referral_reward_referrer_id" ON "referral_reward" ("referrer_id")',
    'CREATE INDEX IF NOT EXISTS "referral_reward_buyer_id" ON "referral_reward" ("buyer_id")',
    'CREATE INDEX IF NOT EXISTS "order_promo_id" ON "order" ("promo_id")',
    'CREATE INDEX IF NOT EXISTS "user_referred_by_id" ON "user" ("referred_by_id")',
)
_ORDER_PROMO_COLUMNS = (
    ("promo_id", 'INTEGER REFERENCES "promo" ("id") ON DELETE RESTRICT'),
    ("discount", "INTEGER NOT NULL DEFAULT 0"),
)
_USER_REFERRAL_COLUMNS = (
    ("referred_by_id", 'INTEGER REFERENCES "user" ("id") ON DELETE RESTRICT'),
    ("referred_at", "DATETIME"),
)


def _promotions(db: SqliteDatabase) -> None:
    """Promo codes and the orders that used them; who referred whom, their rewards, and the ledger reasons
    for them (the ledger is rebuilt: SQLite cannot change its CHECK on reasons in place)."""
    db.execute_sql(_PROMOTION_TABLES[0])
    _add_columns(db, "order", _ORDER_PROMO_COLUMNS)
    _add_columns(db, "user", _USER_REFERRAL_COLUMNS)
    for statement in _PROMOTION_TABLES[1:]:
        db.execute_sql(statement)
    _rebuild_from_own_definition(db, "ledger_entry", {
        "CHECK (reason IN ('topup', 'purchase', 'refund', 'late_credit', 'admin'))":
            "CHECK (reason IN ('topup', 'purchase', 'refund', 'late_credit', 'admin', 'referral', 'referral_reverse'))",
    })


STEPS: list[Step] = [
    (1, "initial schema", _create_all),
    (2, "index the orders the background jobs look for", _index_orders_for_background_jobs),
    (3, "remember payment mismatches on the order", _add_payment_mismatch_columns),
    (4, "seal the stock lines with the stock key", _seal_stock_lines),
    (5, "orders: any payment method, the gateway and its fee by neutral names", _order_table_gateway_neutral),
    (6, "products: photo, sort order, terms, deletion, formatted descriptions; stock lines can be removed",
     _product_presentation_and_line_removal),
    (7, "languages: each user's; products' and categories' English names", _add_languages),
    (8, "customers write to admins; figures and exports by period", _contact_and_figures),
    (9, "product kinds, free items, buyer fields, manual fulfilment, warranty claims, restock alerts",
     _product_kinds),
    (10, "promo codes and referrals", _promotions),
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
    if found < SCHEMA_VERSION:
        # What the old schema held (clear-text stock lines among it) must not
        # linger in the write-ahead log either.
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
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

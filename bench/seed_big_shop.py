"""Seed a shop database at scale: 1,000 products, 1,000,000 stock lines, 100,000 users, 500,000 orders.

Seeding is not what is measured: rows go in with ``executemany`` in big
transactions, with the journal off, straight into QuickCart's schema (made by
its own migration), and the file is switched to WAL at the end as the shop
expects. The shape is a busy shop's after a year:

- 20 categories of 50 products; product 1, "AAA Netflix Premium", heads the
  first category (the product customers buy during the stock import);
- 100,000 users with 5 orders each, created over the last 365 days: 90 % paid
  (one line sold to each), 7 % expired, 3 % cancelled; the users numbered
  :data:`HISTORY_USERS` have 40 orders each (five history pages);
- the other stock lines available, 550 a product, ~1,000,000 lines in all.

    .venv/bin/python bench/seed_big_shop.py --db /tmp/big/data/quickcart.db
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quickcart import stock, stock_key
from quickcart.db import close_database, database, open_database
from quickcart.migrations import migrate

PRODUCTS = 1_000
CATEGORIES = 20
USERS = 100_000
ORDERS_PER_USER = 5
HISTORY_ORDERS = 40
USER_BASE = 3_000_000  # Telegram ids of the seeded users: USER_BASE + 1 ... USER_BASE + USERS
HISTORY_USERS = [USER_BASE + n for n in range(1, 9)]  # bench customers browsing their history
TARGET_LINES = 1_000_000
FOCUS_PRODUCT = "AAA Netflix Premium"
FOCUS_CATEGORY = "Akun Premium"
FOCUS_STOCK = 5_000
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base36(number: int, width: int = 6) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def category_name(index: int) -> str:
    return FOCUS_CATEGORY if index == 0 else f"Kategori {index:02d}"


def seed(db_path: Path, seed_value: int = 8) -> dict[str, int]:
    rng = random.Random(seed_value)
    open_database(db_path)
    key = stock_key.unlock_beside(db_path)  # the key the shop will find next to its database
    migrate(database)
    close_database()
    db = sqlite3.connect(str(db_path), isolation_level=None)
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    now = datetime.utcnow().replace(microsecond=0)
    stamp = str(now)

    # Products
    products = []
    for n in range(PRODUCTS):
        category = n // (PRODUCTS // CATEGORIES)
        name = FOCUS_PRODUCT if n == 0 else f"Produk {category:02d}-{n:04d}"
        price = rng.choice((10_000, 15_000, 25_000, 50_000, 75_000, 120_000))
        products.append((n + 1, name, f"Deskripsi singkat {name}: akun premium bergaransi.", category_name(category),
                         price, price * 9 // 10, 0, 0, 1, stamp, stamp))
    db.execute("BEGIN")
    db.executemany("INSERT INTO product (id, name, description, category, customer_price, reseller_price, "
                   "sold_count, stock_count, is_active, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   products)
    db.execute("COMMIT")
    price_of = {p[0]: p[4] for p in products}

    # Users
    db.execute("BEGIN")
    db.executemany(
        'INSERT INTO "user" (id, name, username, member_status, bank_seq, bank_id, account_balance, is_banned, '
        "ban_notice_sent, blocked_bot, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        ((USER_BASE + n, f"Pelanggan {n}", f"pelanggan{n}", "reseller" if n % 20 == 0 else "customer", n,
          f"USR{n:06d}", 0, 0, 0, 0, stamp, stamp) for n in range(1, USERS + 1)))
    db.execute("COMMIT")

    # Orders, their items, and one sold line per paid order
    history_users = set(HISTORY_USERS)
    owners = [user for user in range(USER_BASE + 1, USER_BASE + USERS + 1)
              for _ in range(HISTORY_ORDERS if user in history_users else ORDERS_PER_USER)]
    owners = owners[:USERS * ORDERS_PER_USER]
    rng.shuffle(owners)
    orders, items, sold_lines = [], [], []
    sold_per_product = [0] * (PRODUCTS + 1)
    for order_id, user_id in enumerate(owners, start=1):
        created = now - timedelta(seconds=rng.randrange(1, 365 * 86400))
        product_id = rng.randrange(2, PRODUCTS + 1)
        price = price_of[product_id]
        fee = price * 70 // 10_000 + 310
        roll = rng.random()
        status = "paid" if roll < 0.90 else "expired" if roll < 0.97 else "cancelled"
        paid_at = str(created + timedelta(minutes=1)) if status == "paid" else None
        closed_at = None if status == "paid" else str(created + timedelta(minutes=10))
        invoice = f"TRX{created:%Y%m%d}{_base36(order_id)}"
        orders.append((order_id, invoice, user_id, "purchase", price, fee, price + fee, price + fee, "qris", status,
                       f"00020101021226610016ID.CO.QRIS{order_id:010d}", user_id,
                       str(created + timedelta(minutes=10)), paid_at, closed_at, paid_at,
                       paid_at, "delivered" if status == "paid" else None, str(created), str(created)))
        items.append((order_id, product_id, f"Produk {product_id}", 1, price))
        if status == "paid":
            sold_per_product[product_id] += 1
            text = f"seed-{product_id:04d}-sold-{order_id:07d} pass:{rng.getrandbits(40):x}"
            sold_lines.append((product_id, key.seal(product_id, text), key.digest(product_id, text),
                               "sold", order_id, str(created), paid_at))
    db.execute("BEGIN")
    db.executemany(
        'INSERT INTO "order" (id, invoice_id, user_id, kind, subtotal, fee, gateway_amount, total_bill, '
        "payment_method, status, payment_number, chat_id, expires_at, paid_at, closed_at, delivery_claimed_at, "
        "delivered_at, settlement, created_at, updated_at, paid_late, delivery_attempts) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)",
        orders)
    db.executemany("INSERT INTO order_item (order_id, product_id, product_name, quantity, price_per_unit) "
                   "VALUES (?,?,?,?,?)", items)
    db.execute("COMMIT")
    del orders, items

    # Stock: the sold lines, then available lines up to TARGET_LINES
    available_each = (TARGET_LINES - len(sold_lines) - FOCUS_STOCK) // (PRODUCTS - 1)
    sold_lines.sort()
    db.execute("BEGIN")
    db.execute("INSERT OR IGNORE INTO setting (key, value) VALUES (?, ?)", (stock_key.KEY_ID_SETTING, key.id))
    db.executemany("INSERT INTO stock_line (product_id, sealed, digest, state, order_id, created_at, sold_at) "
                   "VALUES (?,?,?,?,?,?,?)", sold_lines)
    remainder = TARGET_LINES - len(sold_lines) - FOCUS_STOCK - available_each * (PRODUCTS - 1)
    for product_id in range(1, PRODUCTS + 1):
        count = FOCUS_STOCK if product_id == 1 else available_each + (remainder if product_id == 2 else 0)
        texts = [f"seed-{product_id:04d}-{n:07d} email:u{n}@mail.test pass:{rng.getrandbits(40):x}"
                 for n in range(count)]
        db.executemany("INSERT INTO stock_line (product_id, sealed, digest, state, created_at) VALUES (?,?,?,?,?)",
                       (sealed + (stamp,) for sealed in stock.sealed_rows(product_id, texts)))
        db.execute("UPDATE product SET stock_count = ?, sold_count = ? WHERE id = ?",
                   (count, sold_per_product[product_id], product_id))
    db.execute("COMMIT")
    counts = {table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
              for table in ("product", "user", "order", "order_item", "stock_line")}
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Seed a QuickCart database at scale.")
    parser.add_argument("--db", required=True, type=Path)
    args = parser.parse_args()
    started = time.monotonic()
    found = seed(args.db)
    print(f"seeded {args.db} in {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{count:,} {table}" for table, count in found.items()), flush=True)

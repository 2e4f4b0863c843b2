"""The admins' stock-line tools at scale: the schema 6 upgrade, /clearstock and /lines on a big product.

    .venv/bin/python bench/stock_admin.py [--lines 1000000] [--clear 100000]

Seeds one product with ``--lines`` sealed lines in a schema 5 database (the
stock line table as version 5 left it), then prints:

- how long the upgrade to schema 6 takes (it copies the stock line table once);
- how long /lines takes for its first and its last page (every line is opened
  to show its two ends: only a page's worth);
- how long /clearstock takes to remove ``--clear`` lines, and the longest
  single write transaction it holds while customers may be checking out.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quickcart import migrations, stock, stock_key
from quickcart.db import close_database, database, open_database


def seed_version_5(path: Path, lines: int) -> int:
    """A schema 5 database: one product with ``lines`` available lines; returns the product id."""
    open_database(path)
    stock_key.unlock_beside(path)
    migrations.migrate(database)
    definition = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'stock_line'").fetchone()[0]
    indexes = [sql for (sql,) in database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stock_line' AND sql IS NOT NULL")]
    database.execute_sql('DROP TABLE "stock_line"')
    database.execute_sql(definition.replace(", 'removed'", ""))
    for sql in indexes:
        database.execute_sql(sql)
    database.execute_sql("INSERT INTO product (id, name, description, category, customer_price, reseller_price, "
                         "sold_count, stock_count, is_active, created_at, updated_at) VALUES "
                         "(1, 'Netflix', 'Akun & garansi', 'Streaming', 50000, 45000, 0, ?, 1, ?, ?)",
                         (lines, "2026-01-01 00:00:00", "2026-01-01 00:00:00"))
    batch = 50_000
    for start in range(0, lines, batch):
        rows = stock.sealed_rows(1, [f"akun{i}@mail.test:Sandi{i}" for i in range(start, min(lines, start + batch))])
        with database.atomic():
            database.cursor().executemany(
                "INSERT INTO stock_line (product_id, sealed, digest, state, created_at) VALUES (?, ?, ?, ?, ?)",
                [row + ("2026-01-01 00:00:00",) for row in rows])
    database.execute_sql("PRAGMA user_version = 5")
    close_database()
    return 1


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--clear", type=int, default=100_000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="quickcart-bench-")) / "quickcart.db"
    print(f"seeding {args.lines:,} lines in a schema 5 database…", flush=True)
    product_id = seed_version_5(path, args.lines)

    open_database(path)
    stock_key.unlock_beside(path)
    upgrade, _ = timed(lambda: migrations.migrate(database))
    first, _ = timed(lambda: stock.available_page(product_id, 0))
    last, page = timed(lambda: stock.available_page(product_id, 10**9))

    # /clearstock of the oldest --clear lines, as its confirmation does, timing each batch's write transaction.
    up_to = database.execute_sql("SELECT id FROM stock_line ORDER BY id LIMIT 1 OFFSET ?",
                                 (args.clear - 1,)).fetchone()[0]
    held: list[float] = []
    original = stock.immediate

    def timed_immediate():
        class Held:
            def __enter__(self):
                self.inner = original()
                self.started = time.perf_counter()
                return self.inner.__enter__()

            def __exit__(self, *exc):
                result = self.inner.__exit__(*exc)
                held.append(time.perf_counter() - self.started)
                return result
        return Held()

    stock.immediate = timed_immediate
    try:
        clear, removed = timed(lambda: stock.clear_available(product_id, 1, up_to_line_id=up_to))
    finally:
        stock.immediate = original
    problems = stock.verify_counts()
    close_database()

    print(f"schema 6 upgrade, {args.lines:,} stock lines: {upgrade:.1f} s")
    print(f"/lines first page: {first * 1000:.0f} ms; last page (page {page.page + 1:,}): {last * 1000:.0f} ms")
    print(f"/clearstock of {removed:,} lines: {clear:.1f} s; longest write transaction {max(held) * 1000:.0f} ms "
          f"({len(held)} batches)")
    print(f"stock counters: {problems if problems else 'ok'}")
    return 0 if removed == args.clear and not problems else 1


if __name__ == "__main__":
    sys.exit(main())

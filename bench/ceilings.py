"""What the machine allows, so the shop's figures read as fractions of it.

- SQLite: small write transactions a second (BEGIN IMMEDIATE; INSERT one row;
  UPDATE one row; COMMIT) on a file opened with QuickCart's own pragmas
  (WAL, synchronous=FULL: one fsync of the WAL per commit), one writer.
- The Telegram stand-in: sendMessage requests a second it answers, limits
  off, driven from a separate process by several threads each holding a
  keep-alive ``requests.Session``.

    .venv/bin/python bench/ceilings.py
"""
from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import sys
import threading
import time
from pathlib import Path

from common import Report, bench_command, new_workdir, print_report

from quickcart.db import BUSY_TIMEOUT_SECONDS, PRAGMAS
from quickcart.sandbox.telegram_server import TelegramStandIn

SECONDS = 3.0
CLIENT_THREADS = 6


def sqlite_transactions_per_second(path: Path, seconds: float = SECONDS) -> tuple[float, int]:
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    for name, value in PRAGMAS:
        connection.execute(f"PRAGMA {name} = {value}")
    connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, product INTEGER, content TEXT, created TEXT)")
    connection.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    connection.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
    done = 0
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO item (product, content, created) VALUES (?, ?, datetime('now'))",
                           (done % 10, f"line {done}"))
        connection.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        connection.execute("COMMIT")
        done += 1
    elapsed = time.monotonic() - started
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    sync = connection.execute("PRAGMA synchronous").fetchone()[0]
    connection.close()
    assert mode == "wal" and sync == 2, (mode, sync)  # 2 = FULL
    return done / elapsed, done


def _hammer(url: str, params: dict, seconds: float, threads: int, results) -> None:
    """Client side of the stand-in ceiling; runs in its own process."""
    import requests

    counts = [0] * threads
    failures = [0] * threads
    start_at = time.monotonic() + 0.3
    deadline = start_at + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while time.monotonic() < deadline:
            response = session.post(url, params=params, timeout=10)
            if response.status_code == 200:
                counts[index] += 1
            else:
                failures[index] += 1

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    results.put((sum(counts), sum(failures), seconds))


def standin_requests_per_second(seconds: float = SECONDS, threads: int = CLIENT_THREADS) -> tuple[float, int]:
    with TelegramStandIn(token="1:CEILING-token-abcdefghijklmnopqrstu") as telegram:
        telegram.mark_started([42], "Ceiling")
        url = f"{telegram.base_url}/bot1:CEILING-token-abcdefghijklmnopqrstu/sendMessage"
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        client = context.Process(target=_hammer, args=(url, {"chat_id": 42, "text": "ceiling"}, seconds,
                                                       threads, results))
        client.start()
        ok, failed, elapsed = results.get(timeout=seconds + 60)
        client.join()
    if failed:
        print(f"  stand-in ceiling: {failed} requests failed", flush=True)
    return ok / elapsed, ok


def run(report: Report) -> None:
    workdir = new_workdir("ceilings")
    try:
        rate, count = sqlite_transactions_per_second(workdir / "ceiling.db")
        report.add("ceilings", "SQLite write transactions/s (WAL, synchronous=FULL, QuickCart pragmas, 1 writer)",
                   f"{rate:,.0f}/s", note=f"{count:,} INSERT+UPDATE commits in {SECONDS:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rate, count = standin_requests_per_second()
    report.add("ceilings", "Telegram stand-in sendMessage requests/s (limits off)", f"{rate:,.0f}/s",
               note=f"{CLIENT_THREADS} client threads in another process, keep-alive; Telegram's own "
                    f"limit is 30/s, so the stand-in is {rate / 30:.0f}x above it")


if __name__ == "__main__":
    report = Report(bench_command("ceilings.py", *sys.argv[1:]))
    run(report)
    print_report(report, "ceilings")

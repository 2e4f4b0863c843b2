"""The owner's figures on the benchmark shop: /stats with its chart, and /export, at 500,000 orders.

The database is the big shop's (:mod:`seed_big_shop`: 1,000 products,
1,000,000 stock lines, 100,000 users, 500,000 orders over a year; seeding is
not timed). The real shop runs on it against the stand-ins (Telegram's limits
enforced), and the admin:

1. sends ``/stats 30d`` (and ``/stats 7d``, ``/stats <last month>``): from
   sending the command to the chart photo, with the figures in its caption,
   stored by the Telegram stand-in. The same figures and chart in-process too.
2. sends ``/export`` with no period: every order (500,000 rows, one per item)
   and the ledger, as CSV documents (the orders zipped: they are ~80 MB
   unzipped); from the command to the last document stored, with the shop's
   RSS sampled every 20 ms throughout.
3. reads ``GET /admin/export.csv`` (all 500,000 orders, streamed): time to the
   last byte, and the shop's peak RSS meanwhile.

    .venv/bin/python bench/owner_figures.py [--workdir DIR]   # DIR: an already seeded big shop, kept
"""
from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psutil
import requests
from common import Harness, Report, bench_command, ms, new_workdir, percentile, print_report, summarize, time_calls
from seed_big_shop import ORDERS_PER_USER, USERS

from quickcart import admin_views, charts, stats
from quickcart.db import database
from quickcart.i18n import speaker
from quickcart.timeutil import DayRange, jakarta_today

ORDERS = USERS * ORDERS_PER_USER
STATS_TARGET_S = 1.0
EXPORT_TARGET_S = 15.0
RSS_TARGET_MB = 150.0


class PeakRss:
    """The highest RSS of a process, sampled in a thread while a ``with`` block runs."""

    def __init__(self, pid: int, every: float = 0.02):
        self._process = psutil.Process(pid)
        self._every = every
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)
            time.sleep(self._every)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def stats_by_telegram(report: Report, harness: Harness) -> None:
    admin = harness.admin
    today = jakarta_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for period, runs in (("30d", 5), ("7d", 3), (last_month, 3)):
        samples = []
        for _ in range(runs):
            time.sleep(1.1)  # Telegram lets a bot send one message a second to a chat
            started = time.time()
            admin.send_text(f"/stats {period}")
            photo = admin.wait_for_message(lambda m: m.kind == "photo", timeout=30)
            record = next(r for r in reversed(harness.telegram.request_log) if r.method == "sendPhoto")
            samples.append(record.time - started)
            assert photo.photo.startswith(b"\x89PNG")
        target = f"< {STATS_TARGET_S:.0f} s" if period == "30d" else ""
        report.add("/stats", f"/stats {period} → chart photo with the figures (500,000 orders)",
                   f"{ms(percentile(samples, 50)):.0f} ms", target,
                   max(samples) < STATS_TARGET_S if target else None, summarize(samples))


def stats_in_process(report: Report) -> None:
    today = jakarta_today()
    period = DayRange(today - timedelta(days=29), today)
    say = speaker()
    figures_s = time_calls(lambda: stats.period_figures(period), 5)
    figures = stats.period_figures(period)
    chart_s = time_calls(lambda: charts.period_chart(admin_views.chart_words(say, "Toko", period),
                                                     admin_views.chart_days(say, figures),
                                                     admin_views.chart_products(figures), say.money, say.number), 5)
    report.add("/stats", "30 days' figures, in-process (5 queries)", f"{ms(percentile(figures_s, 50)):.0f} ms", "",
               None, f"{summarize(figures_s)}; {figures.paid_orders:,} paid orders, {figures.created:,} created")
    report.add("/stats", "30 days' chart drawn with Pillow, in-process", f"{ms(percentile(chart_s, 50)):.0f} ms",
               "", None, summarize(chart_s))


def export_by_telegram(report: Report, harness: Harness) -> None:
    admin, telegram = harness.admin, harness.telegram
    time.sleep(1.1)
    idle = harness.rss_mb()
    started = time.time()
    with PeakRss(harness.pid) as rss:
        admin.send_text("/export")
        orders_file = admin.wait_for_message(lambda m: m.kind == "document" and m.document_name.startswith("pesanan"),
                                             timeout=120)
        ledger_file = admin.wait_for_message(lambda m: m.kind == "document" and m.document_name.startswith("mutasi"),
                                             timeout=120, after=orders_file)
    documents = [r for r in telegram.request_log if r.method == "sendDocument" and r.time >= started]
    elapsed = max(r.time for r in documents) - started
    report.add("/export", f"/export, all {ORDERS:,} orders → both documents stored", f"{elapsed:.1f} s",
               f"< {EXPORT_TARGET_S:.0f} s", elapsed < EXPORT_TARGET_S,
               f"{orders_file.document_name} {len(orders_file.document) / 2**20:.1f} MB, "
               f"{ledger_file.document_name} {len(ledger_file.document) / 2**10:.0f} KB")
    report.add("/export", "shop RSS during /export (peak)", f"{rss.peak_mb:.1f} MB", f"< {RSS_TARGET_MB:.0f} MB",
               rss.peak_mb < RSS_TARGET_MB, f"idle before: {idle:.1f} MB; sampled every 20 ms")


def export_by_http(report: Report, harness: Harness) -> None:
    url = f"{harness.shop.web_url}/admin/export.csv"
    headers = {"Authorization": f"Bearer {harness.shop.admin_token}"}
    with PeakRss(harness.pid) as rss:
        started = time.monotonic()
        size = lines = 0
        with requests.get(url, headers=headers, stream=True, timeout=60) as response:
            response.raise_for_status()
            for piece in response.iter_content(chunk_size=256 * 1024):
                size += len(piece)
                lines += piece.count(b"\n")
        elapsed = time.monotonic() - started
    report.add("/export", f"GET /admin/export.csv, all {ORDERS:,} orders, streamed → last byte",
               f"{elapsed:.1f} s", f"< {EXPORT_TARGET_S:.0f} s", elapsed < EXPORT_TARGET_S,
               f"{size / 2**20:.0f} MB, {lines - 1:,} rows")
    report.add("/export", "shop RSS during GET /admin/export.csv (peak)", f"{rss.peak_mb:.1f} MB",
               f"< {RSS_TARGET_MB:.0f} MB", rss.peak_mb < RSS_TARGET_MB, "sampled every 20 ms")


def run(report: Report, workdir: Path | None = None) -> None:
    keep = workdir is not None
    workdir = workdir or new_workdir("owner")
    path = workdir / "data" / "quickcart.db"
    if not path.exists():
        print("  seeding the big shop (not timed) …", flush=True)
        from seed_big_shop import seed
        seed(path)
    harness = Harness("owner", workdir=workdir)
    try:
        harness.open_db()
        # A kept shop saw update ids that this run's new Telegram stand-in hands out again from 1.
        database.execute_sql("DELETE FROM processed_update")
        harness.start()
        harness.start_admin()
        stats_by_telegram(report, harness)
        stats_in_process(report)
        export_by_telegram(report, harness)
        export_by_http(report, harness)
    finally:
        harness.close(keep=keep)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, help="a big shop seeded before (its data/quickcart.db), kept")
    args = parser.parse_args()
    report = Report(bench_command("owner_figures.py", *sys.argv[1:]))
    run(report, args.workdir)
    print_report(report, "the owner's figures at 500,000 orders")

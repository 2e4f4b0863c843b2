"""Broadcast to 10,000 users with the Telegram stand-in enforcing Telegram's limits.

The stand-in reads the limits one way or the other (``--limits default|strict|both``;
see ``quickcart/sandbox/telegram_limits.py``).

The users are put in the shop's database in one transaction and marked as
having started the bot in the stand-in (no 10,000 updates). The admin sends
``/broadcast <text>`` in Telegram; the figure is the rate at which the
stand-in stored the broadcast message, from its first copy to its last, as a
fraction of Telegram's 30 messages a second (target ≥ 0.9), and the 429s
as a share of the messages sent (target ≤ 1 %, none ignored).

The shop keeps selling meanwhile, as it would during a promotion: 40
customers checked out before the broadcast pay, 2 a second, 30 s into it
(each sale also notifies the admin). The broadcast's rate inside that
window, and those customers' payment → goods latency, are reported apart.
A few new customers also send /start along the way.

    .venv/bin/python bench/broadcast.py [--users 10000] [--sales 40] [--limits default] [--profile]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import psutil
from common import (
    Harness,
    Profile,
    Report,
    bench_command,
    limit_models,
    mark_started,
    print_report,
    sent_records,
    summarize,
    text_of,
)
from customers import Driver, Journey, pay_at_rate, pending_orders, purchase_steps
from peewee import fn

from quickcart import catalogue, stock
from quickcart.db import database, immediate
from quickcart.models import User
from quickcart.sandbox.telegram_limits import DEFAULT_LIMITS, LimitModel
from quickcart.timeutil import utcnow

USER_BASE = 5_000_000
TEXT = "📣 Promo akhir tahun: semua akun premium diskon 20% sampai Minggu!"
PROBES = 3  # customers who /start during the broadcast
PRODUCT = "Spotify Premium 1 Bulan"
SALES_START = 30.0  # seconds into the broadcast
SALES_PER_SECOND = 2.0


def seed_users(harness: Harness, total: int) -> list[int]:
    """Bring the reachable users to ``total``; returns every user id, all started in Telegram."""
    have = User.select().count()
    seq = User.select(fn.MAX(User.bank_seq)).scalar() or 0
    stamp = str(utcnow())
    rows = [(USER_BASE + n, f"Pelanggan {n}", seq + n, f"USR{seq + n:03d}", stamp, stamp)
            for n in range(1, total - have + 1)]
    with immediate():
        database.cursor().executemany(
            'INSERT INTO "user" (id, name, member_status, bank_seq, bank_id, account_balance, is_banned, '
            "ban_notice_sent, blocked_bot, created_at, updated_at) VALUES (?, ?, 'customer', ?, ?, 0, 0, 0, 0, ?, ?)",
            rows)
    ids = [row[0] for row in User.select(User.id).tuples()]
    mark_started(harness.telegram, ids)
    return ids


def run(report: Report, users: int = 10_000, sales: int = 40, profile: bool = False,
        limits: LimitModel = DEFAULT_LIMITS) -> None:
    harness = Harness(f"broadcast-{limits.name}", limits=limits)
    try:
        harness.open_db()
        product = catalogue.add_product(0, PRODUCT, "Musik", 25_000, 22_000, "Akun family 1 bulan")
        stock.add_lines(product.id, (f"spotify{i}@mail.test:Rahasia-{i:05d}" for i in range(sales + 10)))
        harness.start()
        harness.start_admin()
        shoppers = [Journey(harness.telegram.user(USER_BASE - 100 - n, f"Pembeli {n}"), purchase_steps(PRODUCT))
                    for n in range(sales)]
        Driver(harness.telegram).run(shoppers, timeout=120)
        _broadcast(report, harness, users, profile, limits)
    finally:
        harness.close()


def _broadcast(report: Report, harness: Harness, users: int, profile: bool, limits: LimitModel) -> None:
    telegram, admin = harness.telegram, harness.admin
    recipients = len(seed_users(harness, users))
    pending = pending_orders()
    before_429, before_unhonoured = telegram.stats.responses_429, telegram.stats.unhonoured_429
    shop = psutil.Process(harness.pid)
    cpu_before = shop.cpu_times()
    since = time.time()
    started = time.monotonic()
    admin.send_text(f"/broadcast {TEXT}")
    admin.wait_for_message(contains="Broadcast berjalan", timeout=30)
    spy = Profile(f"broadcast-{limits.name}", harness.pid, profile)
    expected = recipients / 28
    sales: dict[str, object] = {}

    def sell() -> None:
        time.sleep(max(0.0, SALES_START - (time.monotonic() - started)))
        sales["start"] = time.time()
        sales["latencies"], _, sales["failures"] = pay_at_rate(harness, pending, SALES_PER_SECOND)
        sales["end"] = sales["start"] + len(pending) / SALES_PER_SECOND
    seller = threading.Thread(target=sell, daemon=True)
    seller.start()
    probe_times: list[float] = []
    for n in range(PROBES):
        time.sleep(expected / (PROBES + 1) if n else expected / (PROBES + 1) + SALES_START)
        customer = telegram.user(USER_BASE - 1 - n, f"Pembeli Baru {n}")
        sent = time.time()
        customer.send_text("/start")
        customer.wait_for_message(contains="Selamat datang", timeout=60)
        greeting = sent_records(telegram, "sendMessage", sent,
                                lambda r, chat=customer.id: r.chat_id == chat and "Selamat datang" in text_of(r))
        probe_times.append(greeting[0].time - sent)
    admin.wait_for_message(lambda m: not m.edited, contains="Broadcast selesai", timeout=expected + 180)
    spy.stop()
    seller.join(60)
    took = time.monotonic() - started
    cpu_after = shop.cpu_times()
    copies = sent_records(telegram, "sendMessage", since, lambda r: TEXT in text_of(r))
    span = copies[-1].time - copies[0].time
    rate = (len(copies) - 1) / span
    unhonoured = telegram.stats.unhonoured_429 - before_unhonoured
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / took
    refused = telegram.stats.responses_429 - before_429
    sends = len(sent_records(telegram, "sendMessage", since)) + len(sent_records(telegram, "sendPhoto", since))
    share = refused / max(1, sends)
    label = f"({limits.name} limits)"
    report.add("broadcast", f"{recipients:,} users: messages/s {label}", f"{rate:.2f}/s = {rate / 30:.3f} of 30",
               "≥ 0.9", rate / 30 >= 0.9, f"{len(copies):,} copies stored in {span:.0f} s; "
               f"shop CPU {100 * cpu:.0f}% of a core; {limits.describe()}")
    report.add("broadcast", f"  429 answers / unhonoured {label}",
               f"{refused} / {unhonoured} of {sends:,} sends = {100 * share:.2f} %", "≤ 1 %, 0 unhonoured",
               share <= 0.01 and unhonoured == 0,
               f"longest retry_after {telegram.flood.longest_retry_after} s; all sends during the broadcast counted")
    if "start" in sales:
        # From the first sale until the admin has had the last of their sale notices (1 a second per chat).
        notices = sent_records(telegram, "sendMessage", sales["start"],
                               lambda r: r.chat_id == admin.id and "Broadcast" not in text_of(r))
        window = (sales["start"], max([sales["end"]] + [r.time for r in notices]))
        inside = [r for r in copies if window[0] <= r.time <= window[1]]
        outside_span = span - (window[1] - window[0])
        outside_rate = (len(copies) - len(inside)) / outside_span if outside_span > 0 else float("nan")
        report.add("broadcast",
                   f"  while {len(pending)} sales come in ({SALES_PER_SECOND:g}/s) and are notified {label}",
                   f"{len(inside) / (window[1] - window[0]):.2f}/s", "", None,
                   f"{window[1] - window[0]:.0f} s from the first sale to the admin's last sale notice; "
                   f"the rest of the broadcast {outside_rate:.2f}/s")
        report.add("broadcast", f"  those sales: webhook → goods {label}", summarize(sales["latencies"]), "", None,
                   f"{sales['failures']} failed")
    report.add("broadcast", f"  /start → greeting during the broadcast {label}", summarize(probe_times))
    rss = harness.rss_mb()
    report.add("memory", f"RSS after the broadcast {label}", f"{rss:.1f} MB", "< 150 MB", rss < 150)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--sales", type=int, default=40, help="customers who pay during the broadcast")
    parser.add_argument("--limits", default="default", help="default, strict or both")
    parser.add_argument("--profile", action="store_true", help="py-spy the shop during the broadcast")
    args = parser.parse_args()
    report = Report(bench_command("broadcast.py", *sys.argv[1:]))
    for model in limit_models(args.limits):
        run(report, users=args.users, sales=args.sales, profile=args.profile, limits=model)
    print_report(report, "broadcast")

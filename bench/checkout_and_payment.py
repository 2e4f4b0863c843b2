"""Start-up, memory, checkout by 200 customers at once, and payment to delivery.

One shop, one product with 5,000 lines, an admin who started the bot (so
each sale also sends the admin a notice, as in a real shop), the Telegram
stand-in enforcing Telegram's flood limits.

1. Start-up: spawning ``python quickcart.py`` → its first ``getUpdates``.
2. Idle RSS, 5 s after the admin's /start.
3. Checkout: 200 customers begin together and each goes /start → Produk →
   product → Beli → QRIS. Figure: QRIS press → QR photo stored by the
   stand-in; every customer must get a QR, and the stand-in must answer no
   429. Then 100 more customers arriving 5 a second (20 messages a second,
   within Telegram's 30), which shows the shop's own latency. These take a
   second on each screen, as people do: each chat's first three messages
   (sticker, greeting, product list) use its burst, and a robot that pressed
   QRIS 60 ms after /start would wait a second for its chat's next slot —
   Telegram's per-chat limit as the pacer reads it, not the shop.
4. RSS right after the checkouts (and its peak, sampled every 0.2 s).
5. Payment to delivery, on those 300 pending orders: the chats are first left
   idle for 6 s (per-chat pacing, 1 message/s with a burst of 3, would
   otherwise hold back the success message of a customer who just got the
   QR). Then payments are completed at 1 a second, then 20 a second (open
   loop: a webhook is fired on schedule whether or not earlier ones have
   been answered). Figure: the webhook POST leaving → the stand-in storing
   that customer's "Pesanan berhasil!" message.

    .venv/bin/python bench/checkout_and_payment.py [--profile] [--customers 200]
"""
from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from datetime import datetime

from common import Harness, Profile, Report, bench_command, ms, percentile, print_report, summarize
from customers import Driver, Journey, answer_times, pay_at_rate, pending_orders, purchase_steps, step_latency

from quickcart import catalogue, stock
from quickcart.models import Order
from quickcart.sandbox.telegram_limits import DEFAULT_LIMITS, LIMIT_MODELS, LimitModel

PRODUCT = "Netflix Premium 1 Bulan"
CUSTOMER_BASE = 2_000_000
SLOW_PAYMENTS = 20  # at 1 a second
IDLE_BEFORE_PAYMENTS = 6.0
STEADY_THINK = 1.0  # seconds a customer arriving in the steady stream spends on each screen


class RssSampler:
    """Peak resident set size of a process, sampled in the background."""

    def __init__(self, harness: Harness, every: float = 0.2):
        self._harness = harness
        self._every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._harness.rss_mb())
            self._stop.wait(self._every)


def start_shop(report: Report, admin: bool = True, limits: LimitModel = DEFAULT_LIMITS) -> Harness:
    harness = Harness("shop", admin=admin, limits=limits)
    harness.open_db()
    product = catalogue.add_product(0, PRODUCT, "Streaming", 50_000, 45_000, "Akun sharing 1 bulan")
    stock.add_lines(product.id, (f"email:pembeli{i}@mail.test password:Rahasia-{i:05d}" for i in range(5_000)))
    first_poll = harness.start()
    report.add("start-up", "spawn → first getUpdates", f"{ms(first_poll):.0f} ms", "< 2 s", first_poll < 2.0,
               "empty database")
    if admin:
        harness.start_admin()
    time.sleep(5)
    idle = harness.rss_mb()
    report.add("memory", "RSS idle", f"{idle:.1f} MB", "< 80 MB", idle < 80, "5 s after start-up and one /start")
    return harness


_LOG_LINE = re.compile(r"^(\S+Z) \w+ \S+ \[(\S+)\] (.*)$")


def qr_breakdown(harness: Harness, journeys: list[Journey], records: dict[int, list]) -> dict[str, list[float]]:
    """Where the QRIS press → photo time went, from the shop's log (wall-clock ms, same clock as the stand-in's).

    - queued: press → the shop starts handling it (update delivered, then waiting in its lane);
    - checkout: → "order … awaiting QRIS payment" (order, reservation, Pakasir's QRIS);
    - photo: → photo stored (QR image, waiting for Telegram's pace, upload).
    """
    started: dict[str, float] = {}
    created: dict[str, tuple[float, str]] = {}
    for line in harness.shop.logs().splitlines():
        match = _LOG_LINE.match(line)
        if not match:
            continue
        stamp, cid, message = match.groups()
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        if message.startswith("press from user"):
            started[cid] = moment
        elif "awaiting QRIS payment" in message:
            created[cid] = (moment, message.split()[1])
    chat_of = dict(Order.select(Order.invoice_id, Order.chat_id).tuples())
    by_chat = {chat_of.get(invoice): (started.get(cid), moment) for cid, (moment, invoice) in created.items()}
    parts: dict[str, list[float]] = {"queued": [], "checkout": [], "photo": []}
    for journey in journeys:
        pressed = journey.acted_at.get("QRIS")
        handled, ordered = by_chat.get(journey.user.id, (None, None))
        photo = next((r.time for r in records.get(journey.user.id, []) if r.method == "sendPhoto"), None)
        if None in (pressed, handled, ordered, photo):
            continue
        parts["queued"].append(handled - pressed)
        parts["checkout"].append(ordered - handled)
        parts["photo"].append(photo - ordered)
    return parts


def checkout(report: Report, harness: Harness, customers: int, profile: bool, first_id: int = CUSTOMER_BASE,
             per_second: float | None = None, think: float = 0.0) -> RssSampler:
    """``customers`` check out, all at once or arriving ``per_second``, taking ``think`` s on each screen."""
    telegram = harness.telegram
    journeys = [Journey(telegram.user(first_id + n, f"Pembeli {n}"), purchase_steps(PRODUCT, think=think),
                        start_at=n / per_second if per_second else 0.0)
                for n in range(customers)]
    label = (f"{customers} customers, {per_second:g} arriving a second" if per_second
             else f"{customers} customers at once") + (f", {think:g} s a screen" if think else "")
    before_429, before_unhonoured = telegram.stats.responses_429, telegram.stats.unhonoured_429
    since = time.time()
    started = time.monotonic()
    spy = Profile("checkout-" + ("steady" if per_second else "burst"), harness.pid, profile)
    with RssSampler(harness) as rss:
        Driver(telegram).run(journeys, timeout=300)
    spy.stop()
    took = time.monotonic() - started
    got_qr = [j for j in journeys if j.succeeded]
    records = answer_times(telegram, since)
    qr = [lat for j in got_qr if (lat := step_latency(j, "QRIS", records)) is not None]
    sends = sum(1 for chat in records.values() for r in chat if r.method.startswith("send"))
    errors = [j.error for j in journeys if j.error]
    report.add("checkout", f"{label}: got a QR", f"{len(got_qr)}/{customers}",
               f"{customers}/{customers}", len(got_qr) == customers,
               f"all done in {took:.1f} s; {sends} messages sent = {sends / took:.1f}/s"
               + (f"; first error: {errors[0]}" if errors else ""))
    report.add("checkout", f"{label}: QRIS press → QR photo", summarize(qr), "p99 < 500 ms",
               bool(qr) and percentile(qr, 99) < 0.5)
    parts = qr_breakdown(harness, got_qr, records)
    report.add("checkout", "  of which queued before handling", summarize(parts["queued"]),
               note="press → the shop starts on it (its lane was busy with other customers' updates)")
    report.add("checkout", "  of which checkout (order, Pakasir)", summarize(parts["checkout"]))
    report.add("checkout", "  of which QR photo (render, pace, upload)", summarize(parts["photo"]))
    for name in ("/start", "Produk", "product", "Beli"):
        latencies = [lat for j in got_qr if (lat := step_latency(j, name, records)) is not None]
        report.add("checkout", f"  {name} → answer", summarize(latencies))
    report.add("checkout", "429 answers from the stand-in", str(telegram.stats.responses_429 - before_429), "0",
               telegram.stats.responses_429 == before_429,
               f"unhonoured: {telegram.stats.unhonoured_429 - before_unhonoured}")
    return rss


def checkouts(report: Report, harness: Harness, customers: int, profile: bool) -> None:
    burst = checkout(report, harness, customers, profile)
    steady = checkout(report, harness, customers // 2, profile, first_id=CUSTOMER_BASE + customers, per_second=5,
                      think=STEADY_THINK)
    loaded = harness.rss_mb()
    report.add("memory", "RSS after the checkouts", f"{loaded:.1f} MB", "< 150 MB", loaded < 150,
               f"peak during them {max(burst.peak_mb, steady.peak_mb):.1f} MB")


def payments(report: Report, harness: Harness, profile: bool) -> None:
    time.sleep(IDLE_BEFORE_PAYMENTS)
    pending = pending_orders()
    slow, fast = pending[:SLOW_PAYMENTS], pending[SLOW_PAYMENTS:]
    note = f"chats idle ≥ {IDLE_BEFORE_PAYMENTS:.0f} s first" + (
        "; 1 admin gets a sale notice per payment" if harness.admin else "; no admin")
    latencies, trips, failures = pay_at_rate(harness, slow, 1.0)
    report.add("payment", "webhook → success message, 1/s", summarize(latencies), "", None,
               f"webhook answered in p50 {ms(percentile(trips, 50)):.0f} ms; {failures} failed; " + note)
    time.sleep(2)
    spy = Profile("payment-20", harness.pid, profile)
    latencies, trips, failures = pay_at_rate(harness, fast, 20.0)
    spy.stop()
    met = bool(latencies) and percentile(latencies, 50) < 0.05 and percentile(latencies, 99) < 0.25 and not failures
    report.add("payment", "webhook → success message, 20/s", summarize(latencies), "p50 < 50, p99 < 250 ms", met,
               f"webhook answered in p50 {ms(percentile(trips, 50)):.0f} ms, p99 {ms(percentile(trips, 99)):.0f} ms; "
               f"{failures} failed")


def run(report: Report, customers: int = 200, profile: bool = False, admin: bool = True,
        limits: LimitModel = DEFAULT_LIMITS) -> None:
    harness = start_shop(report, admin, limits)
    try:
        checkouts(report, harness, customers, profile)
        payments(report, harness, profile)
    finally:
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--no-admin", action="store_true", help="no admin (so no sale notices), for diagnosis")
    parser.add_argument("--profile", action="store_true", help="py-spy the shop during checkout and payments")
    parser.add_argument("--limits", choices=list(LIMIT_MODELS), default=DEFAULT_LIMITS.name,
                        help="the Telegram stand-in's limit model")
    args = parser.parse_args()
    report = Report(bench_command("checkout_and_payment.py", *sys.argv[1:]))
    run(report, args.customers, args.profile, admin=not args.no_admin, limits=LIMIT_MODELS[args.limits])
    print_report(report, "checkout and payment")

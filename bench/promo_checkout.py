"""A checkout with a promo code: does it stay within today's QRIS press → QR photo figures?

The shop of ``checkout_and_payment.py`` (one product with 5,000 lines, an
admin who gets a sale notice per payment, the Telegram stand-in enforcing its
limits) with one promo code, 10 % off and a quota larger than the run. Each
customer goes /start → Produk → product → Beli → 🎟 Pakai Kode Promo → types
the code → QRIS on the summary with the discount; the code's use is held in
the order's transaction, so this is the path that takes the promo's counters.

1. 200 customers at once, with the code (as today's 200-at-once row);
2. 100 customers arriving 5 a second, 1 s a screen, with the code;
3. the same 100-customer stream without a code, in the same run, as the baseline.

Figures: QRIS press → QR photo (target: today's p99 < 500 ms) and where it
went (as ``checkout_and_payment.py`` splits it, from the shop's log), and
typing the code → the summary with its discount.

    .venv/bin/python bench/promo_checkout.py [--customers 200]
"""
from __future__ import annotations

import argparse
import sys
import time

from checkout_and_payment import PRODUCT, qr_breakdown, start_shop
from common import Harness, Report, bench_command, percentile, print_report, summarize
from customers import Driver, Journey, Step, answer_times, purchase_steps, step_latency

from quickcart import promotions
from quickcart.models import Order, Promo
from quickcart.sandbox.telegram_limits import DEFAULT_LIMITS, LIMIT_MODELS, LimitModel
from tests.words import button, fragment

CODE = "HEMAT10"
CUSTOMER_BASE = 3_000_000


def with_code(think: float) -> list[Step]:
    """The purchase steps with the code typed on the summary, before QRIS."""
    steps = purchase_steps(PRODUCT, think=think)
    qris = steps.pop()
    steps += [
        Step("Kode", lambda j: j.user.press(j.last, button("btn.promo")), lambda m, t: fragment("promo.ask") in t,
             "sendMessage", think=think),
        Step("code typed", lambda j: j.user.send_text(CODE.lower()),
             lambda m, t: fragment("checkout.summary_discount") in t, "sendMessage", think=think,
             answer_text=CODE),
        qris,
    ]
    return steps


def run_customers(report: Report, harness: Harness, customers: int, first_id: int, code: bool,
                  per_second: float | None = None, think: float = 0.0) -> None:
    telegram = harness.telegram
    steps = (lambda: with_code(think)) if code else (lambda: purchase_steps(PRODUCT, think=think))
    journeys = [Journey(telegram.user(first_id + n, f"Pembeli {n}"), steps(),
                        start_at=n / per_second if per_second else 0.0) for n in range(customers)]
    label = ((f"{customers} customers, {per_second:g} arriving a second, {think:g} s a screen" if per_second
              else f"{customers} customers at once") + (", with a code" if code else ", no code"))
    since = time.time()
    started = time.monotonic()
    Driver(telegram).run(journeys, timeout=300)
    took = time.monotonic() - started
    got_qr = [j for j in journeys if j.succeeded]
    records = answer_times(telegram, since)
    errors = [j.error for j in journeys if j.error]
    report.add("promo", f"{label}: got a QR", f"{len(got_qr)}/{customers}", f"{customers}/{customers}",
               len(got_qr) == customers,
               f"all done in {took:.1f} s" + (f"; first error: {errors[0]}" if errors else ""))
    qr = [lat for j in got_qr if (lat := step_latency(j, "QRIS", records)) is not None]
    report.add("promo", f"{label}: QRIS press → QR photo", summarize(qr), "p99 < 500 ms",
               bool(qr) and percentile(qr, 99) < 0.5)
    parts = qr_breakdown(harness, got_qr, records)
    report.add("promo", "  of which queued before handling", summarize(parts["queued"]))
    report.add("promo", "  of which checkout (order, the code's use, Pakasir)", summarize(parts["checkout"]))
    report.add("promo", "  of which QR photo (render, pace, upload)", summarize(parts["photo"]),
               note="waits for the chat's turn: with a code, the prompt and the new summary were sent just before")
    if code:
        typed = [lat for j in got_qr if (lat := step_latency(j, "code typed", records)) is not None]
        report.add("promo", "  code typed → summary with the discount", summarize(typed))
        discounted = Order.select().where(Order.promo.is_null(False) & (Order.chat_id >= first_id)
                                          & (Order.chat_id < first_id + customers)).count()
        report.add("promo", "  orders made with the code", f"{discounted}/{len(got_qr)}", "all",
                   discounted == len(got_qr))


def run(report: Report, customers: int = 200, limits: LimitModel = DEFAULT_LIMITS) -> None:
    harness = start_shop(Report(""), limits=limits)
    try:
        promotions.add(0, CODE, "percent", 10, {"quota": customers * 10})
        run_customers(report, harness, customers, CUSTOMER_BASE, code=True)
        steady = customers // 2
        run_customers(report, harness, steady, CUSTOMER_BASE + customers, code=True, per_second=5, think=1.0)
        run_customers(report, harness, steady, CUSTOMER_BASE + customers + steady, code=False, per_second=5,
                      think=1.0)
        promo = Promo.get(Promo.code == CODE)
        report.add("promo", "uses held by the unpaid orders", str(promo.held), str(customers + steady),
                   promo.held == customers + steady)
    finally:
        harness.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--limits", choices=list(LIMIT_MODELS), default=DEFAULT_LIMITS.name,
                        help="the Telegram stand-in's limit model")
    args = parser.parse_args()
    report = Report(bench_command("promo_checkout.py", *sys.argv[1:]))
    run(report, args.customers, LIMIT_MODELS[args.limits])
    print_report(report, "checkout with a promo code")

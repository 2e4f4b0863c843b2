"""The web port under attack: malformed webhooks, slow clients, a connection flood, token guessing.

The real shop against the stand-ins; the attacker is this process, on 127.0.0.1
(no proxy in front: the worst case, the port reached directly).

1. fuzz: 1,000 malformed webhook requests (``quickcart.sandbox.hostile``:
   deep nesting, 4,401-digit numbers, odd encodings, forged signatures, bad
   headers, chunked garbage, ...), one connection each: the answers by status
   class, and the log lines they produced (counted from the shop's log).
2. slowloris: 200 connections each trickling a header line every 0.5 s
   (reopened when the shop closes them); while they hold, ``GET /health``
   20 times and one real payment: its webhook's answer time and the goods.
3. flood: 2,000 slow connections, twice the shop's connection limit; the
   same measurements, and the shop's RSS while they hold.
4. token guessing: ``GET /admin/stats`` with wrong tokens from one address
   for 10 s: how many guesses reached the token check.

    .venv/bin/python bench/web_edge.py
"""
from __future__ import annotations

import re
import threading
import time
from collections import Counter

import requests
from common import Harness, Report, bench_command, ms, percentile, print_report
from customers import Driver, Journey, invoice_of, purchase_steps

from quickcart import catalogue, stock
from quickcart.sandbox.hostile import Slowloris, malformed_webhooks, raw_request

SECRET = "rahasia-webhook-bench"
PRODUCT = "Voucher Bench"
FUZZ_REQUESTS = 1000
GUESS_SECONDS = 10.0


def fuzz(harness: Harness, report: Report) -> None:
    shop = harness.shop
    lines_before = len(shop.logs().splitlines())
    classes: Counter[str] = Counter()
    started = time.monotonic()
    for _kind, data in malformed_webhooks(FUZZ_REQUESTS, harness.pakasir.project, SECRET):
        status = raw_request(shop.port, data).status
        classes["no answer" if status is None else f"{status // 100}xx"] += 1
    elapsed = time.monotonic() - started
    written = shop.logs().splitlines()[lines_before:]
    # Each source refused writes one line at once and, as more followed, one counted summary
    # when its minute is over (or at shutdown): one more line for every line written so far.
    first_lines = sum(": 1 rejected (" in line for line in written)
    lines = len(written) + first_lines
    report.add("web edge", f"fuzz: {FUZZ_REQUESTS:,} malformed webhooks, answers",
               ", ".join(f"{name} {count}" for name, count in sorted(classes.items())),
               "all 4xx", set(classes) == {"4xx"}, f"{FUZZ_REQUESTS / elapsed:,.0f} requests/s")
    report.add("web edge", "fuzz: log lines they produce", str(lines), "< 20", lines < 20,
               f"{len(written)} at once, {first_lines} counted summaries within the minute")


def pending_invoice(harness: Harness, user_id: int) -> str:
    journey = Journey(harness.telegram.user(user_id, f"Pembeli {user_id}"), purchase_steps(PRODUCT))
    Driver(harness.telegram).run([journey], timeout=60)
    assert journey.succeeded, journey.error
    return invoice_of(journey.last)


def under_attack(harness: Harness, report: Report, connections: int, user_id: int) -> None:
    invoice = pending_invoice(harness, user_id)
    label = f"{connections:,} slow connections"
    with Slowloris(harness.shop.port, count=connections) as attacker:
        harness.telegram.wait_until(lambda: attacker.rounds >= 3, timeout=120, what=label)
        health = []
        for _ in range(20):
            started = time.monotonic()
            try:
                ok = requests.get(f"{harness.shop.web_url}/health", timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            health.append(time.monotonic() - started if ok else float("inf"))
        harness.pakasir.complete(invoice)
        webhook = harness.pakasir.webhook_log[-1]
        rss = harness.rss_mb()
        held = attacker.open_now
    delivered = harness.telegram.wait_until(
        lambda: any("Pesanan berhasil" in (m.plain_text() or "") for m in harness.telegram.chat(user_id).messages),
        timeout=30, what="the goods")
    report.add("web edge", f"{label}: GET /health (20 while they hold)",
               f"p50 {ms(percentile(health, 50)):.0f} ms, max {ms(max(health)):.0f} ms", "max < 2 s",
               max(health) < 2, f"{held:,} connections open on the attacker's side")
    report.add("web edge", f"{label}: a real payment's webhook answered", f"{ms(webhook.elapsed):.0f} ms "
               f"(HTTP {webhook.status_code})", "< 2 s, 2xx", webhook.ok and webhook.elapsed < 2,
               "goods delivered" if delivered else "goods NOT delivered")
    report.add("web edge", f"{label}: shop RSS while they hold", f"{rss:.1f} MB", "< 150 MB", rss < 150)


def token_guessing(harness: Harness, report: Report) -> None:
    session = requests.Session()
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + GUESS_SECONDS
    guess = 0
    while time.monotonic() < deadline:
        guess += 1
        response = session.get(f"{harness.shop.web_url}/admin/stats",
                               headers={"Authorization": f"Bearer guess-{guess:08d}-abcdef"}, timeout=10)
        statuses[response.status_code] += 1
    report.add("web edge", f"token guessing for {GUESS_SECONDS:.0f} s from one address",
               f"{statuses[401]} of {sum(statuses.values()):,} guesses checked", "<= 6", statuses[401] <= 6,
               f"the rest answered 429 ({sum(statuses.values()) / GUESS_SECONDS:,.0f} requests/s)")


def main() -> Report:
    report = Report(bench_command("web_edge.py"))
    with Harness("web-edge", overrides={"pakasir": {"webhook_secret": SECRET}}) as harness:
        harness.pakasir.webhook_secret = SECRET
        harness.open_db()
        product = catalogue.add_product(0, PRODUCT, "Voucher", 10_000, 9_000, "Kode voucher")
        stock.add_lines(product.id, [f"kode-bench-{n:04d}" for n in range(10)])
        harness.start()
        fuzz(harness, report)
        under_attack(harness, report, 200, user_id=7_700_001)
        under_attack(harness, report, 2_000, user_id=7_700_002)
        token_guessing(harness, report)
        harness.shop.stop()
        summaries = [line for line in harness.shop.logs().splitlines() if "rejected" in line]
        refused = sum(int(n) for line in summaries for n in re.findall(r": (\d+) rejected", line))
        report.add("web edge", "refusals in the log (counted lines)", f"{refused:,} in {len(summaries)} lines",
                   note="every refused request is counted; one line per source a minute")
    return report


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    print_report(main(), "the web port under attack")

"""The web port against strangers: slow clients, floods of garbage, token guessing."""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict

from quickcart.models import PAID, Order
from quickcart.sandbox.hostile import Slowloris, malformed_webhooks, raw_request
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import says

LINES = ["kode-voucher-SLOW-0001"]


def test_two_hundred_slow_clients_leave_the_webhook_answering_a_real_payment_within_two_seconds(
        shop, telegram, pakasir):
    product = shop.add_product(name="Voucher Game", lines=LINES)
    customer = telegram.user(8301, "Sari")
    start(customer)
    invoice = invoice_of(pay_by_qris(customer, product.name))
    with Slowloris(shop.port, count=200) as attacker:
        telegram.wait_until(lambda: attacker.rounds >= 3 and attacker.open_now == 200, timeout=20,
                            what="200 slow connections held for a few trickles")
        started = time.monotonic()
        health = shop.get("/health")
        health_seconds = time.monotonic() - started
        pakasir.complete(invoice)
        webhook = pakasir.webhook_log[-1]
        assert attacker.open_now == 200, "the attack was still on while the payment came in"
    assert health.status_code == 200 and health_seconds < 2, health_seconds
    assert webhook.ok and webhook.elapsed < 2, webhook
    customer.wait_for_message(contains=says("delivery.title"))
    assert Order.get(Order.invoice_id == invoice).status == PAID
    print(f"slowloris 200: /health {health_seconds * 1000:.0f} ms, webhook {webhook.elapsed * 1000:.0f} ms")


SECRET = "rahasia-webhook-fuzz"


def test_a_thousand_malformed_webhooks_get_4xx_no_traceback_and_fewer_than_twenty_log_lines(
        make_shop, telegram, pakasir):
    pakasir.webhook_secret = SECRET
    shop = make_shop(overrides={"pakasir": {"webhook_secret": SECRET}})
    product = shop.add_product(name="Voucher Game", lines=["kode-voucher-FUZZ-0001"])
    customer = telegram.user(8302, "Tono")
    start(customer)
    invoice = invoice_of(pay_by_qris(customer, product.name))
    lines_before = len(shop.logs().splitlines())

    answers: dict[str, Counter] = defaultdict(Counter)
    for kind, data in malformed_webhooks(1000, pakasir.project, SECRET):
        response = raw_request(shop.port, data)
        answers[kind][response.status] += 1
        assert response.status is not None and 400 <= response.status < 500, (kind, response)
        assert set(response.json()) <= {"error", "code", "details", "timestamp"}, (kind, response)
    lines_during = len(shop.logs().splitlines()) - lines_before

    pakasir.complete(invoice)
    customer.wait_for_message(contains=says("delivery.title"))
    assert Order.get(Order.invoice_id == invoice).status == PAID, "the shop still takes real payments"
    shop.stop()

    logs = shop.logs()
    summaries = [line for line in logs.splitlines() if "rejected in the last minute" in line]
    produced = lines_during + len(summaries)
    refused = [int(number) for number in re.findall(r": (\d+) rejected", logs)]
    assert sum(refused) == 1000, "every refusal counted, in the immediate lines and the summaries"
    assert "Traceback" not in logs and " ERROR " not in logs
    assert produced < 20, logs.splitlines()[lines_before:]
    print(f"fuzz: 1000 malformed webhooks -> {produced} log lines; answers by kind: "
          + "; ".join(f"{kind} {dict(codes)}" for kind, codes in sorted(answers.items())))


def test_token_guessing_on_the_real_shop_is_locked_out_and_logged_as_counts(shop):
    guesses = [shop.get("/admin/stats", headers={"Authorization": f"Bearer guess-{n:04d}-0123456789"})
               for n in range(200)]
    statuses = Counter(response.status_code for response in guesses)
    assert statuses == {401: 5, 429: 195}, statuses
    right = shop.get("/admin/stats", headers={"Authorization": f"Bearer {shop.admin_token}"})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0, "locked out even with the right token"
    shop.stop()
    lines = [line for line in shop.logs().splitlines() if "admin/stats:" in line]
    assert lines[0].endswith("admin/stats: 1 rejected (missing or invalid admin token)")
    assert lines[1].endswith("admin/stats: 200 rejected in the last minute "
                             "(too many failed attempts 196, missing or invalid admin token 4)")
    assert len(lines) == 2

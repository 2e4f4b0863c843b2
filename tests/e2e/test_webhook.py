"""Pakasir's webhook is a hint: confirmed with transactiondetail, hardened against garbage."""
from __future__ import annotations

import hashlib
import hmac
import json

from quickcart.models import PAID, PENDING, SOLD, AuditLog, Order, StockLine
from quickcart.money import format_rupiah
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import fragment, says

LINES = ["kode-voucher-AAAA-1111", "kode-voucher-BBBB-2222"]


def body_for(order: Order, **changes) -> dict:
    body = {"amount": order.gateway_amount, "order_id": order.invoice_id, "project": "toko-e2e",
            "status": "completed", "payment_method": "qris", "completed_at": "2026-11-27T08:07:02.819+07:00"}
    body.update(changes)
    return body


def pending_order(shop, telegram, user_id=8001):
    product = shop.add_product(name="Voucher Game", lines=LINES)
    customer = telegram.user(user_id, "Citra")
    start(customer)
    qr = pay_by_qris(customer, product.name)
    return customer, Order.get(Order.invoice_id == invoice_of(qr))


def test_a_webhook_for_an_order_pakasir_still_calls_pending_delivers_nothing(shop, telegram, pakasir):
    customer, order = pending_order(shop, telegram)
    response = shop.post("/webhooks/pakasir", json=body_for(order))
    assert response.status_code == 200
    assert response.json()["status"] == "not_confirmed"
    assert Order.get_by_id(order.id).status == PENDING
    assert StockLine.select().where(StockLine.state == SOLD).count() == 0
    assert pakasir.requests_for("detail", order.invoice_id), "the webhook was checked with transactiondetail"


def test_malformed_unknown_and_oversize_webhooks_get_the_seed_error_codes(shop, telegram, pakasir):
    customer, order = pending_order(shop, telegram)
    cases = [
        (dict(data=b"{not json", headers={"Content-Type": "application/json"}), 400),
        (dict(json={"order_id": order.invoice_id}), 400),
        (dict(json=body_for(order, amount="banyak")), 400),
        (dict(json=[1, 2, 3]), 400),
        (dict(json=body_for(order, order_id="TRX20990101NOSUCH")), 404),
        (dict(json=body_for(order, project="toko-orang-lain")), 400),
        (dict(data=b"{" + b" " * (70 * 1024) + b"}", headers={"Content-Type": "application/json"}), 413),
    ]
    for kwargs, expected in cases:
        response = shop.post("/webhooks/pakasir", **kwargs)
        assert response.status_code == expected, (kwargs.get("json"), response.text)
        body = response.json()
        assert body["code"] == expected and body["error"] and body["timestamp"].endswith("Z")
    assert Order.get_by_id(order.id).status == PENDING


def test_a_forged_wrong_amount_is_refused_without_revealing_ours_and_alerts_nobody(shop, telegram, pakasir):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    customer, order = pending_order(shop, telegram)
    response = shop.post("/webhooks/pakasir", json=body_for(order, amount=order.gateway_amount - 1000))
    assert response.status_code == 409
    assert str(order.gateway_amount) not in response.text, "our amount is not told to a stranger"
    assert Order.get_by_id(order.id).status == PENDING and Order.get_by_id(order.id).mismatch is None
    assert AuditLog.select().where(AuditLog.action == "payment.mismatch").count() == 0
    # The real payment still goes through, and nobody was told of a mismatch.
    pakasir.complete(order.invoice_id)
    customer.wait_for_message(contains=says("delivery.title"))
    assert not [m for m in telegram.chat(admin.id).bot_messages() if fragment("notice.mismatch") in m.plain_text()]


def test_a_mismatch_pakasir_confirms_is_never_delivered_and_alerts_the_admins_once(shop, telegram, pakasir):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    customer, order = pending_order(shop, telegram)
    pakasir.complete(order.invoice_id, webhook=False)
    pakasir.misreport(order.invoice_id, amount=order.gateway_amount - 1000)
    for _ in range(3):
        assert shop.post("/webhooks/pakasir", json=body_for(order)).status_code == 200
    alert = admin.wait_for_message(contains=fragment("notice.mismatch"))
    assert order.invoice_id in alert.plain_text() and format_rupiah(order.gateway_amount - 1000) in alert.plain_text()
    assert Order.get_by_id(order.id).status == PENDING and Order.get_by_id(order.id).mismatch
    assert AuditLog.select().where(AuditLog.action == "payment.mismatch").count() == 1
    alerts = [m for m in telegram.chat(admin.id).bot_messages() if fragment("notice.mismatch") in m.plain_text()]
    assert len(alerts) == 1


def test_with_a_secret_a_bad_or_missing_signature_is_401_and_a_good_one_pays(make_shop, telegram, pakasir):
    pakasir.webhook_secret = "rahasia-webhook-123"
    shop = make_shop(overrides={"pakasir": {"webhook_secret": "rahasia-webhook-123"}})
    customer, order = pending_order(shop, telegram)
    pakasir.complete(order.invoice_id, webhook=False)
    raw = json.dumps(body_for(order)).encode()
    for signature in (None, "00" * 32, "not-hex"):
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["X-Pakasir-Signature"] = signature
        assert shop.post("/webhooks/pakasir", data=raw, headers=headers).status_code == 401
    assert Order.get_by_id(order.id).status == PENDING
    good = hmac.new(b"rahasia-webhook-123", raw, hashlib.sha256).hexdigest()
    response = shop.post("/webhooks/pakasir", data=raw,
                         headers={"Content-Type": "application/json", "X-Pakasir-Signature": good})
    assert response.status_code == 200 and response.json()["status"] == "paid"
    customer.wait_for_message(contains=says("delivery.title"))


def test_duplicate_webhooks_answer_200_and_change_nothing(shop, telegram, pakasir):
    customer, order = pending_order(shop, telegram)
    results = pakasir.complete(order.invoice_id, webhook_times=1) and pakasir.send_webhook(order.invoice_id, times=3)
    customer.wait_for_message(contains=says("delivery.title"))
    assert [result.status_code for result in results] == [200, 200, 200]
    order = Order.get_by_id(order.id)
    assert order.status == PAID
    assert StockLine.select().where(StockLine.state == SOLD).count() == 1
    assert AuditLog.select().where(AuditLog.action == "payment.paid").count() == 1


def test_a_flood_of_forged_webhooks_is_not_amplified_onto_pakasir(shop, telegram, pakasir):
    customer, order = pending_order(shop, telegram)
    statuses = [shop.post("/webhooks/pakasir", json=body_for(order)).status_code for _ in range(15)]
    assert statuses.count(200) == 10 and statuses.count(429) == 5
    assert len(pakasir.requests_for("detail", order.invoice_id)) <= 11  # ten webhooks, maybe one poll
    assert Order.get_by_id(order.id).status == PENDING

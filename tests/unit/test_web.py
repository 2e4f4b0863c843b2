"""Every HTTP endpoint answers bad input in the seed's error format, counts refusals, and
locks out token guessers."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from quickcart import exports
from quickcart.gateways.pakasir import PakasirGateway
from quickcart.lockout import FailureLockout
from quickcart.rejections import RejectLogs
from quickcart.web import WebHandlers, create_app
from quickcart.webhook import WebhookHandler
from tests.unit.test_rejections import FakeTimers, lines

TOKEN = "admin-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

# What the webhook needs of Pakasir: our project, and where its body keeps the fields.
PAKASIR_TOKO = SimpleNamespace(account="toko", webhook_fields=PakasirGateway.webhook_fields)


@pytest.fixture
def timers():
    return FakeTimers()


@pytest.fixture
def client(db, timers):
    handlers = WebHandlers(health=lambda: ({"status": "healthy"}, 200),
                           webhook=WebhookHandler(payments=None, gateway=PAKASIR_TOKO, secret=""),
                           stats=lambda: {"total_users": 0}, export=exports.stream, admin_token=TOKEN)
    app = create_app(handlers, rejects=RejectLogs(schedule=timers), lockout=FailureLockout(first_lock=10))
    return app.test_client()


def assert_seed_error(response, code: int) -> dict:
    assert response.status_code == code, response.data[:300]
    body = response.get_json()
    assert set(body) <= {"error", "code", "details", "timestamp"} and body["code"] == code
    assert body["error"] and body["timestamp"].endswith("Z")
    return body


@pytest.mark.parametrize("content_type, data", [
    ("application/x-www-form-urlencoded", b"order_id=TRX1&amount=5"),
    ("multipart/form-data; boundary=xx", b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xx--\r\n"),
    ("text/plain", b"hello"),
    ("application/json; charset=utf-16", "{}".encode("utf-16")),
    ("application/xml", b"<order/>"),
    (None, b""),
])
def test_webhook_bodies_of_any_content_type_that_are_not_the_json_object_get_a_400(client, content_type, data):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_seed_error(client.post("/webhooks/pakasir", data=data, headers=headers), 400)


def test_a_webhook_body_that_parses_but_names_no_order_we_know_is_a_404(client):
    body = {"order_id": "TRX20990101NOSUCH", "amount": 5, "project": "toko", "status": "completed"}
    assert_seed_error(client.post("/webhooks/pakasir", json=body), 404)


def test_a_non_ascii_signature_header_is_a_401_not_a_crash(db, timers):
    handlers = WebHandlers(health=lambda: ({}, 200), webhook=WebhookHandler(None, PAKASIR_TOKO, "rahasia"))
    client = create_app(handlers, rejects=RejectLogs(schedule=timers)).test_client()
    response = client.post("/webhooks/pakasir", data=b"{}", headers={"X-Pakasir-Signature": "é" * 64})
    assert_seed_error(response, 401)


@pytest.mark.parametrize("method, path, code", [
    ("get", "/webhooks/pakasir", 405),
    ("put", "/health", 405),
    ("get", "/wp-login.php", 404),
    ("get", "/%ff%fe", 404),
    ("post", "/admin/stats", 405),
])
def test_wrong_paths_and_methods_answer_in_the_seed_format(client, method, path, code):
    assert_seed_error(getattr(client, method)(path), code)


def test_an_oversize_webhook_is_a_413(client):
    assert_seed_error(client.post("/webhooks/pakasir", data=b"{" + b" " * 70_000 + b"}"), 413)


def test_refusals_are_counted_into_one_line_per_source_not_one_line_each(client, timers, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(50):
        client.post("/webhooks/pakasir", data=b"{not json")
    for _ in range(20):
        client.get("/nope")
    timers.minute_passes()
    assert lines(caplog) == [
        "webhook: 1 rejected (malformed JSON)",
        "http: 1 rejected (not found)",
        "webhook: 49 rejected in the last minute (malformed JSON 49)",
        "http: 19 rejected in the last minute (not found 19)",
    ]
    assert not [r for r in caplog.records if r.name != "quickcart.rejections" and r.levelno >= logging.WARNING]


def stats(client, headers=None, address="203.0.113.7"):
    return client.get("/admin/stats", headers=headers or {}, environ_base={"REMOTE_ADDR": address})


def test_token_guessing_is_locked_out_after_five_failures_even_for_the_right_token(client):
    for guess in range(4):
        assert_seed_error(stats(client, {"Authorization": f"Bearer guess-{guess}"}), 401)
    assert_seed_error(stats(client, {"Authorization": "Bearer guess-5"}), 401)
    locked = stats(client, BEARER)
    body = assert_seed_error(locked, 429)
    assert locked.headers["Retry-After"] == "10" and body["details"]["retry_after_seconds"] == 10
    assert stats(client, BEARER, address="198.51.100.1").status_code == 200, "other clients are not locked out"


def test_the_owner_mistyping_a_few_times_is_not_locked_out(client):
    for _ in range(4):
        assert stats(client, {"Authorization": "Bearer typo"}).status_code == 401
    assert stats(client, BEARER).status_code == 200
    for _ in range(4):
        assert stats(client, {"Authorization": "Bearer typo"}).status_code == 401
    assert stats(client, BEARER).status_code == 200, "a success forgot the earlier failures"


def test_failed_token_attempts_are_logged_as_counts(client, timers, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(30):
        stats(client, {"Authorization": "Bearer guess"})
    timers.minute_passes()
    assert lines(caplog) == [
        "admin/stats: 1 rejected (missing or invalid admin token)",
        "admin/stats: 29 rejected in the last minute (too many failed attempts 25, "
        "missing or invalid admin token 4)",
    ]


def test_the_export_needs_the_token_shares_its_lock_out_and_refuses_bad_dates(client):
    assert_seed_error(client.get("/admin/export.csv"), 401)
    for guess in range(5):
        client.get("/admin/export.csv", headers={"Authorization": f"Bearer guess-{guess}"},
                   environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert_seed_error(stats(client, BEARER, address="203.0.113.9"), 429)
    assert_seed_error(client.get("/admin/export.csv?from=2026-13-01", headers=BEARER), 400)
    assert_seed_error(client.get("/admin/export.csv?from=2026-11-05&to=2026-11-01", headers=BEARER), 400)
    assert_seed_error(client.get("/admin/export.csv?data=users", headers=BEARER), 400)


def test_the_export_streams_csv_as_an_attachment(client):
    response = client.get("/admin/export.csv?from=2026-11-01&to=2026-11-30", headers=BEARER)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="orders-2026-11-01_2026-11-30.csv"'
    assert response.get_data(as_text=True).splitlines() == [",".join(exports.ORDER_COLUMNS)]

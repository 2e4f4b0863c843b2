"""The Pakasir stand-in: API shapes, state rules, webhooks, QRIS payloads, outages and faults."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

import pytest
import qrcode
import requests
import zxingcpp
from PIL import Image

from quickcart.sandbox.pakasir_server import PakasirStandIn, TransactionStateError, default_fee
from quickcart.sandbox.qris import build_qris, crc16_ccitt, is_valid_qris, parse_tlv

pytestmark = pytest.mark.timeout(30)

PROJECT = "quickcart-demo"
API_KEY = "pk_test_123"
WEBHOOK_KEYS = ["amount", "order_id", "project", "status", "payment_method", "completed_at", "is_sandbox"]
WIB_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$")


# --------------------------------------------------------------------------- helpers


class WebhookReceiver:
    """A throwaway HTTP server that records every POST it gets."""

    def __init__(self) -> None:
        self.hits: list[tuple[Message, bytes]] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._cond:
                    receiver.hits.append((self.headers, body))
                    receiver._cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhook/pakasir"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01})
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[Message, bytes]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.hits) >= count, timeout):
                raise AssertionError(f"expected {count} webhooks within {timeout}s, got {len(self.hits)}")
            return list(self.hits)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class Api:
    """A Pakasir client as thin as possible, on a keep-alive session."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.session = requests.Session()

    def params(self, order_id: str, amount: Any, **override: Any) -> dict[str, Any]:
        return {"project": PROJECT, "order_id": order_id, "amount": amount, "api_key": API_KEY, **override}

    def create(self, order_id: str, amount: Any, **override: Any) -> requests.Response:
        return self.session.post(
            f"{self.base}/api/transactioncreate/qris", json=self.params(order_id, amount, **override), timeout=5
        )

    def detail(self, order_id: str, amount: Any, **override: Any) -> requests.Response:
        return self.session.get(
            f"{self.base}/api/transactiondetail", params=self.params(order_id, amount, **override), timeout=5
        )

    def cancel(self, order_id: str, amount: Any, **override: Any) -> requests.Response:
        return self.session.post(
            f"{self.base}/api/transactioncancel", json=self.params(order_id, amount, **override), timeout=5
        )

    def simulate(self, order_id: str, amount: Any) -> requests.Response:
        return self.session.post(
            f"{self.base}/api/paymentsimulation", json=self.params(order_id, amount), timeout=5
        )

    def status(self, order_id: str, amount: int) -> str:
        response = self.detail(order_id, amount)
        assert response.status_code == 200, response.text
        return response.json()["transaction"]["status"]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def standin(receiver: WebhookReceiver) -> Iterator[PakasirStandIn]:
    with PakasirStandIn(webhook_url=receiver.url) as server:
        yield server


@pytest.fixture
def api(standin: PakasirStandIn) -> Iterator[Api]:
    client = Api(standin.base_url)
    yield client
    client.session.close()


def decode_qr(text: str) -> str:
    png = BytesIO()
    qrcode.make(text).save(png, format="PNG")
    png.seek(0)
    barcodes = zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(barcodes) == 1
    return barcodes[0].text


# --------------------------------------------------------------------------- QRIS


def test_crc16_ccitt_false_matches_the_standard_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1
    assert crc16_ccitt(b"") == 0xFFFF


def test_built_qris_is_well_formed_dynamic_and_carries_amount_order_and_crc() -> None:
    payload = build_qris(100003, "TRX20241228ABC123", nonce="N1")
    tags = parse_tlv(payload)
    assert is_valid_qris(payload)
    assert payload.startswith("000201010212")
    assert list(tags) == ["00", "01", "26", "51", "52", "53", "54", "58", "59", "60", "61", "62", "63"]
    assert (tags["53"], tags["54"], tags["58"], tags["59"], tags["60"]) == (
        "360", "100003", "ID", "QuickCart Demo", "JAKARTA")
    assert parse_tlv(tags["51"])["00"] == "ID.CO.QRIS.WWW"
    assert parse_tlv(tags["62"])["01"] == "TRX20241228ABC123"
    assert parse_tlv(tags["62"])["05"] == "N1"
    assert tags["63"] == f"{crc16_ccitt(payload[:-4].encode()):04X}"


def test_qris_cuts_long_fields_and_differs_per_transaction() -> None:
    long_payload = build_qris(5, "X" * 40, merchant_name="M" * 40, city="C" * 40)
    tags = parse_tlv(long_payload)
    assert is_valid_qris(long_payload)
    assert (len(tags["59"]), len(tags["60"]), parse_tlv(tags["62"])["01"]) == (25, 15, "X" * 25)
    assert build_qris(1000, "TRX1") != build_qris(1000, "TRX1")
    with pytest.raises(ValueError):
        build_qris(0, "TRX1")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"),  # wrong CRC
        lambda p: p[:-4] + p[-4:].lower(),  # CRC must be upper-case hex
        lambda p: p.replace("5406100003", "5406100004"),  # amount changed after signing
        lambda p: p[:-10],  # truncated
        lambda p: p.replace("5802ID", "5803ID"),  # length runs into the next tag
        lambda p: "",
    ],
    ids=["crc", "lowercase-crc", "tampered-amount", "truncated", "bad-length", "empty"],
)
def test_is_valid_qris_rejects_broken_payloads(mutate: Any) -> None:
    payload = build_qris(100003, "TRX1", nonce="N1")
    assert is_valid_qris(payload) and payload.endswith("23AA")  # a CRC with letters, for lowercase-crc
    assert not is_valid_qris(mutate(payload))


# --------------------------------------------------------------------------- happy path + webhooks


def test_create_detail_complete_sends_exact_unsigned_webhook(
    standin: PakasirStandIn, api: Api, receiver: WebhookReceiver
) -> None:
    created = api.create("TRX20241228ABC123", 30520)
    assert created.status_code == 200
    payment = created.json()["payment"]
    assert list(payment) == [
        "project", "order_id", "amount", "fee", "total_payment", "payment_method", "payment_number", "expired_at",
        "is_sandbox"]
    assert payment["project"] == PROJECT and payment["payment_method"] == "qris"
    # Pakasir writes expired_at in UTC with nanoseconds.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", payment["expired_at"])

    pending = api.detail("TRX20241228ABC123", 30520).json()
    assert pending == {"transaction": {
        "amount": 30520, "order_id": "TRX20241228ABC123", "project": PROJECT, "status": "pending",
        "payment_method": "qris", "completed_at": None, "is_sandbox": True}}

    tx = standin.complete("TRX20241228ABC123")
    assert tx.status == "completed" and tx.completed_at is not None
    detail = api.detail("TRX20241228ABC123", 30520).json()["transaction"]
    assert detail["status"] == "completed" and WIB_TIMESTAMP.match(detail["completed_at"])

    ((headers, body),) = receiver.wait_for(1)
    webhook = json.loads(body)
    assert list(webhook) == WEBHOOK_KEYS
    assert webhook == detail
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Pakasir-Signature"] is None


def test_webhook_is_signed_with_hmac_of_raw_body_when_secret_set(
    standin: PakasirStandIn, api: Api, receiver: WebhookReceiver
) -> None:
    standin.webhook_secret = "whsec_demo"
    api.create("TRX-SIGNED", 15000)
    standin.complete("TRX-SIGNED")
    ((headers, body),) = receiver.wait_for(1)
    expected = hmac.new(b"whsec_demo", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Pakasir-Signature"], expected)
    assert json.loads(body)["status"] == "completed"


def test_webhook_times_delivers_that_many(standin: PakasirStandIn, api: Api, receiver: WebhookReceiver) -> None:
    api.create("TRX-DUP", 10000)
    standin.complete("TRX-DUP", webhook_times=3)
    hits = receiver.wait_for(3)
    assert len(hits) == 3 and len({body for _, body in hits}) == 1
    assert standin.stats.webhooks_sent == 3 and all(r.ok for r in standin.webhook_log)


def test_complete_without_webhook_sends_nothing(standin: PakasirStandIn, api: Api, receiver: WebhookReceiver) -> None:
    api.create("TRX-QUIET", 10000)
    standin.complete("TRX-QUIET", webhook=False)
    assert receiver.hits == [] and standin.stats.webhooks_sent == 0


def test_payment_simulation_completes_and_sends_webhook(
    standin: PakasirStandIn, api: Api, receiver: WebhookReceiver
) -> None:
    api.create("TRX-SIM", 22000)
    response = api.simulate("TRX-SIM", 22000)
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response.json()["transaction"]["status"] == "completed"
    ((_, body),) = receiver.wait_for(1)
    assert json.loads(body)["order_id"] == "TRX-SIM"
    again = api.simulate("TRX-SIM", 22000)
    assert again.status_code == 400 and again.json()["code"] == 400


def test_send_webhook_can_forge_omit_replace_body_and_fire_concurrently(
    standin: PakasirStandIn, api: Api, receiver: WebhookReceiver
) -> None:
    standin.webhook_secret = "s3cret"
    api.create("TRX-FORGE", 5000)
    standin.complete("TRX-FORGE", webhook=False)
    standin.send_webhook("TRX-FORGE", signature="deadbeef")
    standin.send_webhook("TRX-FORGE", signature=None)
    standin.send_webhook("TRX-FORGE", body=b"not json")
    results = standin.send_webhook("TRX-FORGE", times=5, concurrent=True)
    hits = receiver.wait_for(8)
    assert hits[0][0]["X-Pakasir-Signature"] == "deadbeef"
    assert hits[1][0]["X-Pakasir-Signature"] is None
    assert hits[2][1] == b"not json"
    assert len(results) == 5 and all(r.status_code == 200 and r.body_text == "ok" for r in results)


def test_webhook_network_error_is_recorded_not_raised(standin: PakasirStandIn, api: Api) -> None:
    with socket_that_refuses() as url:
        standin.webhook_url = url
        api.create("TRX-NOWHERE", 5000)
        standin.complete("TRX-NOWHERE")
    (result,) = standin.webhook_log
    assert result.status_code is None and result.error and not result.ok
    assert standin.stats.webhooks_failed == 1


class socket_that_refuses:
    """A localhost URL on which nothing listens."""

    def __enter__(self) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        port = server.server_address[1]
        server.server_close()
        return f"http://127.0.0.1:{port}/hook"

    def __exit__(self, *exc: object) -> None:
        pass


# --------------------------------------------------------------------------- QRIS from the API


def test_payment_number_is_valid_unique_scannable_qris(standin: PakasirStandIn, api: Api) -> None:
    numbers = []
    for order_id in ("TRX-QR-1", "TRX-QR-2"):
        payment = api.create(order_id, 99000).json()["payment"]
        number = payment["payment_number"]
        assert is_valid_qris(number)
        assert parse_tlv(number)["54"] == str(payment["total_payment"])
        assert parse_tlv(parse_tlv(number)["62"])["01"] == order_id
        assert decode_qr(number) == number
        numbers.append(number)
    assert numbers[0] != numbers[1]


def test_fee_modes(receiver: WebhookReceiver) -> None:
    with PakasirStandIn() as merchant, PakasirStandIn(fee_mode="customer") as customer, \
            PakasirStandIn(fee_fn=lambda amount: 0) as free:
        paid_by_merchant = Api(merchant.base_url).create("TRX-FEE", 99000).json()["payment"]
        paid_by_customer = Api(customer.base_url).create("TRX-FEE", 99000).json()["payment"]
        no_fee = Api(free.base_url).create("TRX-FEE", 99000).json()["payment"]
    assert default_fee(99000) == 1003
    assert (paid_by_merchant["fee"], paid_by_merchant["total_payment"]) == (1003, 99000)
    assert (paid_by_customer["fee"], paid_by_customer["total_payment"]) == (1003, 100003)
    assert (no_fee["fee"], no_fee["total_payment"]) == (0, 99000)
    assert parse_tlv(paid_by_customer["payment_number"])["54"] == "100003"
    with pytest.raises(ValueError):
        PakasirStandIn(fee_mode="shared")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("override", "status", "message"),
    [
        ({"api_key": "pk_wrong"}, 401, "invalid api_key"),
        ({"api_key": None}, 401, "invalid api_key"),
        ({"project": "someone-else"}, 400, "project not found"),
        ({"project": None}, 400, "project is required"),
        ({"amount": 30521}, 400, "amount does not match the transaction"),
        ({"order_id": "TRX-UNKNOWN"}, 404, "transaction not found"),
        ({"order_id": None}, 400, "order_id is required"),
        ({"order_id": "has space"}, 400, None),
        ({"amount": "abc"}, 400, "amount must be an integer"),
        ({"amount": 1.5}, 400, "amount must be an integer"),
        ({"amount": True}, 400, "amount must be an integer"),
        ({"amount": 0}, 400, "amount must be greater than 0"),
        ({"amount": -5}, 400, None),
    ],
)
def test_detail_and_cancel_errors(
    standin: PakasirStandIn, api: Api, override: dict[str, Any], status: int, message: str | None
) -> None:
    api.create("TRX-ERR", 30520)
    params = {k: v for k, v in {**api.params("TRX-ERR", 30520), **override}.items() if v is not None}
    for response in (
        api.session.post(f"{api.base}/api/transactioncancel", json=params, timeout=5),
        api.session.post(f"{api.base}/api/paymentsimulation", json=params, timeout=5),
    ):
        assert response.status_code == status
        assert response.json()["code"] == status
        assert message is None or response.json()["message"] == message
    if not isinstance(params["amount"], (float, bool)):  # a query string has no JSON types
        query = api.session.get(f"{api.base}/api/transactiondetail", params=params, timeout=5)
        assert (query.status_code, query.json()["code"]) == (status, status)
    assert standin.transaction("TRX-ERR").status == "pending"


def test_unknown_order_body_is_exact(api: Api) -> None:
    response = api.detail("TRX-NOPE", 1000)
    assert response.status_code == 404
    assert response.json() == {"message": "transaction not found", "code": 404}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_malformed_json_is_400(standin: PakasirStandIn, api: Api, body: bytes) -> None:
    response = api.session.post(
        f"{api.base}/api/transactioncreate/qris", data=body, headers={"Content-Type": "application/json"}, timeout=5
    )
    assert response.status_code == 400 and response.json()["code"] == 400
    assert standin.transactions == {}


def test_create_validates_like_the_others(standin: PakasirStandIn, api: Api) -> None:
    assert api.create("TRX-V", 1000, api_key="nope").status_code == 401
    assert api.create("TRX-V", 1000, project="other").status_code == 400
    assert api.create("TRX-V", "1000").status_code == 400  # JSON amounts are numbers
    assert api.create("TRX-V", -1).status_code == 400
    assert api.create("TRX-V", 10**12).status_code == 400
    assert api.create("X" * 65, 1000).status_code == 400
    other_method = api.session.post(f"{api.base}/api/transactioncreate/bni_va", json=api.params("TRX-V", 1000))
    assert other_method.json() == {"message": "unsupported payment method", "code": 400}
    assert standin.transactions == {}


def test_form_encoded_bodies_are_accepted(standin: PakasirStandIn, api: Api) -> None:
    response = api.session.post(f"{api.base}/api/transactioncreate/qris", data=api.params("TRX-FORM", 12000), timeout=5)
    assert response.status_code == 200 and response.json()["payment"]["amount"] == 12000
    cancel = api.session.post(f"{api.base}/api/transactioncancel", data=api.params("TRX-FORM", 12000), timeout=5)
    assert cancel.status_code == 200 and cancel.json()["success"] is True


def test_routing_errors(api: Api) -> None:
    assert api.session.get(f"{api.base}/api/nothing", timeout=5).json() == {"message": "not found", "code": 404}
    wrong_method = api.session.get(f"{api.base}/api/transactioncancel", timeout=5)
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")


def test_request_log_never_holds_the_api_key(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-LOG", 1000)
    api.detail("TRX-LOG", 1000, api_key="pk_wrong")
    api.session.post(f"{api.base}/api/transactioncancel", data=api.params("TRX-LOG", 1000), timeout=5)
    log = standin.request_log
    assert [(r.endpoint, r.api_key_ok, r.status) for r in log] == [
        ("create", True, 200), ("detail", False, 401), ("cancel", True, 200)]
    assert API_KEY not in repr(log) and "pk_wrong" not in repr(log)
    assert [r.params["amount"] for r in standin.requests_for("detail", "TRX-LOG")] == ["1000"]
    assert standin.stats.requests == {"create": 1, "detail": 1, "cancel": 1}


# --------------------------------------------------------------------------- state rules


def test_create_is_idempotent_for_same_order_and_amount(standin: PakasirStandIn, api: Api) -> None:
    first = api.create("TRX-IDEM", 30520).json()
    assert api.create("TRX-IDEM", 30520).json() == first
    assert len(standin.transactions) == 1
    assert api.create("TRX-IDEM", 30000).json() == {"message": "duplicate order_id", "code": 400}
    api.cancel("TRX-IDEM", 30520)
    assert api.create("TRX-IDEM", 30520).json() == {"message": "duplicate order_id", "code": 400}


def test_cancel_and_complete_rules(standin: PakasirStandIn, api: Api, receiver: WebhookReceiver) -> None:
    api.create("TRX-CANCEL", 20000)
    canceled = api.cancel("TRX-CANCEL", 20000)
    assert canceled.status_code == 200 and canceled.json()["success"] is True
    assert api.status("TRX-CANCEL", 20000) == "canceled"
    assert api.cancel("TRX-CANCEL", 20000).status_code == 200  # idempotent
    assert standin.transaction("TRX-CANCEL").cancelled_at is not None

    with pytest.raises(TransactionStateError):
        standin.complete("TRX-CANCEL")
    assert api.status("TRX-CANCEL", 20000) == "canceled"
    late = standin.complete("TRX-CANCEL", force=True)
    assert late.status == "completed" and late.cancelled_at is not None
    assert json.loads(receiver.wait_for(1)[0][1])["status"] == "completed"

    refused = api.cancel("TRX-CANCEL", 20000)
    assert refused.json() == {"message": "transaction already completed", "code": 400}
    with pytest.raises(KeyError):
        standin.complete("TRX-NEVER")


def test_expiry_is_reported_lazily() -> None:
    with PakasirStandIn(expiry_minutes=0.4 / 60) as standin:
        api = Api(standin.base_url)
        payment = api.create("TRX-EXP", 8000).json()["payment"]
        assert standin.transactions["TRX-EXP"].status == "pending"
        created = standin.transactions["TRX-EXP"].created_at
        expires = datetime.fromisoformat(payment["expired_at"].replace("Z", "+00:00"))
        assert 0.3 < (expires - created).total_seconds() < 0.5
        standin.wait_until(lambda: api.status("TRX-EXP", 8000) == "expired", timeout=5, what="lazy expiry")
        assert api.cancel("TRX-EXP", 8000).json() == {"message": "transaction already expired", "code": 400}
        assert api.simulate("TRX-EXP", 8000).status_code == 400
        assert api.create("TRX-EXP", 8000).json()["message"] == "duplicate order_id"
        with pytest.raises(TransactionStateError):
            standin.complete("TRX-EXP")
        assert standin.complete("TRX-EXP", force=True).status == "completed"


def test_expire_now(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-EXP-NOW", 8000)
    assert standin.expire("TRX-EXP-NOW").status == "expired"
    assert api.status("TRX-EXP-NOW", 8000) == "expired"
    with pytest.raises(TransactionStateError):
        standin.expire("TRX-EXP-NOW")


def test_wait_until_times_out_with_what_and_summary(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-WAIT", 1000)
    with pytest.raises(AssertionError, match=r"the payment.*TRX-WAIT amount=1000 pending"):
        standin.wait_until(lambda: standin.transaction("TRX-WAIT").status == "completed",
                           timeout=0.2, what="the payment")


def test_wait_until_wakes_on_state_change(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-WAKE", 1000)
    timer = threading.Timer(0.05, standin.complete, args=("TRX-WAKE",), kwargs={"webhook": False})
    timer.start()
    tx = standin.wait_until(lambda: (t := standin.transaction("TRX-WAKE")).status == "completed" and t, timeout=5)
    assert tx.order_id == "TRX-WAKE"
    timer.join()


# --------------------------------------------------------------------------- pages


def test_home_and_checkout_pages_need_no_api_key(standin: PakasirStandIn, api: Api) -> None:
    home = api.session.get(f"{api.base}/", timeout=5)
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    api.create("TRX-PAGE", 30520)
    page = api.session.get(f"{api.base}/pay/{PROJECT}/30520", params={"order_id": "TRX-PAGE"}, timeout=5)
    assert page.status_code == 200 and "Rp 30.520" in page.text and "TRX-PAGE" in page.text
    assert "<svg" in page.text  # the QR of the pending payment
    assert api.session.get(f"{api.base}/pay/other/30520?order_id=X", timeout=5).status_code == 404
    assert api.session.get(f"{api.base}/pay/{PROJECT}/abc?order_id=X", timeout=5).status_code == 400


# --------------------------------------------------------------------------- outages


def test_go_down_503_and_come_up(standin: PakasirStandIn, api: Api) -> None:
    standin.go_down("503")
    for response in (api.session.get(f"{api.base}/", timeout=5), api.create("TRX-DOWN", 1000)):
        assert response.status_code == 503
        assert response.json() == {"message": "service unavailable", "code": 503}
    assert standin.transactions == {}
    standin.come_up()
    assert api.create("TRX-DOWN", 1000).status_code == 200


def test_go_down_refuse_and_come_up_on_the_same_port(standin: PakasirStandIn, api: Api) -> None:
    base = standin.base_url
    assert api.session.get(f"{base}/", timeout=5).status_code == 200  # a pooled keep-alive connection
    standin.go_down("refuse")
    with pytest.raises(requests.ConnectionError):
        api.session.get(f"{base}/", timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/", timeout=5)
    standin.come_up()
    assert standin.base_url == base
    assert requests.get(f"{base}/", timeout=5).status_code == 200
    assert api.create("TRX-BACK", 1000).status_code == 200


def test_go_down_timeout_holds_then_504(standin: PakasirStandIn, api: Api) -> None:
    standin.hang_seconds = 0.3
    standin.go_down("timeout")
    started = time.monotonic()
    response = requests.get(f"{api.base}/", timeout=5)
    assert response.status_code == 504 and response.json()["code"] == 504
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{api.base}/", timeout=0.1)
    standin.come_up()
    assert requests.get(f"{api.base}/", timeout=5).status_code == 200


# --------------------------------------------------------------------------- faults


def test_fault_before_processing_creates_nothing(standin: PakasirStandIn, api: Api) -> None:
    standin.faults.add("create", status=500)
    failed = api.create("TRX-F1", 1000)
    assert failed.status_code == 500 and failed.json()["code"] == 500
    assert standin.transaction("TRX-F1") is None
    assert api.create("TRX-F1", 1000).status_code == 200
    assert standin.stats.faults_fired == 1


def test_fault_after_processing_creates_the_transaction(standin: PakasirStandIn, api: Api) -> None:
    standin.faults.add("create", status=500, after_processing=True)
    assert api.create("TRX-F2", 1000).status_code == 500
    tx = standin.transaction("TRX-F2")
    assert tx is not None and tx.status == "pending"
    retry = api.create("TRX-F2", 1000)  # the idempotent create recovers the same payment
    assert retry.status_code == 200 and retry.json()["payment"]["payment_number"] == tx.payment_number


def test_each_fault_fires_exactly_times(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-F3", 1000)
    standin.faults.add("detail", status=503, times=2)
    standin.faults.add(None, status=429)
    codes = [api.detail("TRX-F3", 1000).status_code for _ in range(4)]
    assert codes == [503, 503, 429, 200]
    assert standin.faults.pending == 0 and standin.stats.faults_fired == 3
    assert [r.status for r in standin.requests_for("detail", "TRX-F3")] == codes


def test_drop_fault_before_and_after_processing(standin: PakasirStandIn, api: Api) -> None:
    standin.faults.add("create", drop=True)
    with pytest.raises(requests.ConnectionError):
        api.create("TRX-F4", 1000)
    assert standin.transaction("TRX-F4") is None
    standin.faults.add("cancel", drop=True, after_processing=True)
    api.create("TRX-F4", 1000)
    with pytest.raises(requests.ConnectionError):
        api.cancel("TRX-F4", 1000)
    assert standin.transaction("TRX-F4").status == "canceled"
    assert [r.status for r in standin.request_log] == [None, 200, None]


def test_delay_fault_then_normal_answer(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-F5", 1000)
    standin.faults.add("detail", delay=0.3, times=3)
    with pytest.raises(requests.ReadTimeout):
        api.session.get(f"{api.base}/api/transactiondetail", params=api.params("TRX-F5", 1000), timeout=0.1)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(Api(api.base).status("TRX-F5", 1000) == "pending"))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True, True]
    assert standin.stats.max_concurrent >= 2


def test_fault_arguments_are_checked(standin: PakasirStandIn) -> None:
    for kwargs in ({}, {"status": 500, "drop": True}, {"status": 200}, {"status": 500, "times": 0}):
        with pytest.raises(ValueError):
            standin.faults.add("create", **kwargs)
    with pytest.raises(ValueError):
        standin.faults.add("refund", status=500)


def test_create_below_the_minimum_amount_is_refused(api: Api) -> None:
    refused = api.create("TRX-TINY", 499)
    assert refused.status_code == 400
    assert refused.json() == {"message": "minimum amount is 500", "code": 400}
    assert api.create("TRX-SMALLEST", 500).status_code == 200


def test_a_hook_runs_just_before_the_next_request_of_its_endpoint(standin: PakasirStandIn, api: Api) -> None:
    api.create("TRX-RACE", 20000)
    standin.before_next("cancel", lambda: standin.complete("TRX-RACE", webhook=False))
    refused = api.cancel("TRX-RACE", 20000)
    assert refused.json() == {"message": "transaction already completed", "code": 400}
    assert standin.transaction("TRX-RACE").status == "completed"
    api.create("TRX-RACE2", 20000)
    assert api.cancel("TRX-RACE2", 20000).status_code == 200  # the hook ran once

"""A local stand-in for the Pakasir payment gateway (QRIS), for tests, the demo and benchmarks.

It is a real HTTP server (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive, a
``Content-Length`` on every response) that answers Pakasir's API in Pakasir's shapes,
keeps its transactions in memory, sends the payment webhook, and lets a test break it
in controlled ways: planned faults per endpoint, outages, delays and dropped connections.

API (``{base}`` is :attr:`PakasirStandIn.base_url`)::

    POST {base}/api/transactioncreate/qris  {project, order_id, amount, api_key}
         200 {"payment": {project, order_id, amount, fee, total_payment, payment_method,
                          payment_number, expired_at}}
    GET  {base}/api/transactiondetail?project=&amount=&order_id=&api_key=
         200 {"transaction": {amount, order_id, project, status, payment_method, completed_at}}
    POST {base}/api/transactioncancel       {project, order_id, amount, api_key}
         200 {"success": true, "transaction": {...same as detail...}}
    POST {base}/api/paymentsimulation       {project, order_id, amount, api_key}
         200 {"success": true, "transaction": {...same as detail...}}; the webhook is then
         sent from a background thread, as the real gateway does.
    GET  {base}/                            200 small HTML page (health probe)
    GET  {base}/pay/{project}/{amount}?order_id=...   200 HTML checkout page

POST bodies are JSON, or form-encoded when ``Content-Type`` says
``application/x-www-form-urlencoded``. Every API endpoint checks, in this order:

    project missing / not a string               400 "project is required" / "project must be a string"
    project is not this stand-in's project       400 "project not found"
    api_key missing or wrong                     401 "invalid api_key"
    order_id missing / not 1-64 printable ASCII characters without spaces   400
    amount missing / not an integer / <= 0 / > 999999999999                 400
        (JSON needs an integer number; form and query values need decimal digits)
    no transaction with that order_id            404 "transaction not found"
    amount differs from the transaction's        400 "amount does not match the transaction"

and in the body: malformed JSON or a JSON value that is not an object -> 400, a form body
that is not ASCII -> 400, a chunked body -> 411, a body over 1 MiB -> 413. Unknown paths
-> 404, a wrong HTTP method -> 405 (with ``Allow``). Every error is
``{"message": "<message>", "code": <status>}`` with that HTTP status.

State rules:

* create with an existing order_id: the same amount and still pending -> 200 with the same
  payment again (idempotent); otherwise 400 "duplicate order_id". A payment method other
  than ``qris`` -> 400 "unsupported payment method".
* cancel: pending -> canceled, 200; already canceled -> 200 again (idempotent);
  completed -> 400 "transaction already completed"; expired -> 400 "transaction already expired".
* simulation: pending -> completed, 200, webhook; any other status -> 400
  "transaction is not pending (status: <status>)".
* a pending transaction past ``expired_at`` reports "expired" (decided lazily, on read).

Times: ``expired_at`` is UTC with nine fractional digits and a ``Z`` (``2025-09-19T01:18:49.678622000Z``);
``completed_at`` is Jakarta time with milliseconds (``2024-09-10T08:07:02.819+07:00``).

The webhook is ``POST <webhook_url>`` with the detail shape as a compact JSON body; when
``webhook_secret`` is set it carries ``X-Pakasir-Signature: hex(HMAC-SHA256(secret, body))``
(the real Pakasir does not sign; the app accepts an optional secret).

The server never writes requests to stderr, and the api_key never appears in
:attr:`PakasirStandIn.request_log` (each record says only whether the key was right).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import qrcode
import qrcode.image.svg
import requests

from .qris import build_qris
from .waiting import wait_for

__all__ = [
    "AUTO",
    "DOWN_MODES",
    "ENDPOINTS",
    "FaultInjector",
    "Fault",
    "PakasirStandIn",
    "RequestRecord",
    "Stats",
    "Transaction",
    "TransactionStateError",
    "WebhookResult",
    "default_fee",
]

#: API endpoint names used by faults, the request log and the stats.
ENDPOINTS: Final = ("create", "detail", "cancel", "simulation")
#: Outage modes accepted by :meth:`PakasirStandIn.go_down`.
DOWN_MODES: Final = ("503", "timeout", "refuse")
FEE_MODES: Final = ("merchant", "customer")

MAX_BODY_BYTES: Final = 1 << 20
MAX_ORDER_ID_LENGTH: Final = 64
MAX_AMOUNT: Final = 999_999_999_999
MIN_AMOUNT: Final = 500  # Pakasir refuses transactions below Rp500
REQUEST_LOG_SIZE: Final = 10_000
WEBHOOK_LOG_SIZE: Final = 10_000
SIGNATURE_HEADER: Final = "X-Pakasir-Signature"

#: Western Indonesia Time, the zone of Pakasir's ``completed_at``.
WIB: Final = timezone(timedelta(hours=7), "WIB")

_T = TypeVar("_T")


def default_fee(amount: int) -> int:
    """Pakasir's QRIS fee: 0.7% of the amount (rounded down) plus Rp310."""
    return amount * 7 // 1000 + 310


def _iso_utc(moment: datetime) -> str:
    """UTC with nine fractional digits, as Pakasir writes ``expired_at``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _iso_wib(moment: datetime) -> str:
    return moment.astimezone(WIB).isoformat(timespec="milliseconds")


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class TransactionStateError(ValueError):
    """A Python-side action (complete, expire) is not allowed in the transaction's status."""


@dataclass(frozen=True)
class Transaction:
    """One transaction as the gateway holds it. Immutable: every change stores a new one."""

    project: str
    order_id: str
    amount: int
    fee: int
    total_payment: int
    payment_method: str
    payment_number: str
    status: str  # "pending", "completed", "canceled" or "expired"
    created_at: datetime
    expired_at: datetime
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None

    def payment_json(self) -> dict[str, Any]:
        """The ``payment`` object of the create response."""
        return {
            "project": self.project,
            "order_id": self.order_id,
            "amount": self.amount,
            "fee": self.fee,
            "total_payment": self.total_payment,
            "payment_method": self.payment_method,
            "payment_number": self.payment_number,
            "expired_at": _iso_utc(self.expired_at),
            "is_sandbox": True,
        }

    def detail_json(self) -> dict[str, Any]:
        """The ``transaction`` object of the detail response; also the webhook body."""
        return {
            "amount": self.amount,
            "order_id": self.order_id,
            "project": self.project,
            "status": self.status,
            "payment_method": self.payment_method,
            "completed_at": _iso_wib(self.completed_at) if self.completed_at else None,
            "is_sandbox": True,
        }


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (or dropped). ``params`` never holds the api_key."""

    time: float  # wall-clock arrival, time.time()
    endpoint: str  # one of ENDPOINTS, or "home", "checkout", "unknown"
    method: str
    params: Mapping[str, Any]
    api_key_ok: bool
    status: int | None  # None: the connection was dropped without a response

    @property
    def order_id(self) -> Any:
        return self.params.get("order_id")


@dataclass(frozen=True)
class WebhookResult:
    """The outcome of one webhook delivery; ``status_code`` is None after a network error."""

    status_code: int | None
    body_text: str
    elapsed: float
    error: str | None = None
    order_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Stats:
    """A snapshot of the server's counters."""

    requests: Mapping[str, int]  # requests answered (or dropped) per endpoint name
    in_flight: int
    max_concurrent: int  # most requests being handled at the same moment
    faults_fired: int
    webhooks_sent: int
    webhooks_failed: int  # network error or a non-2xx answer

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


#: ``send_webhook(signature=AUTO)``: sign when ``webhook_secret`` is set.
AUTO: Final = _Auto()


@dataclass(frozen=True)
class Fault:
    """A planned misbehaviour of one endpoint (or any API endpoint when ``endpoint`` is None).

    Before processing (default) the server sleeps ``delay``, then answers ``status`` with an
    error body, or drops the connection (``drop``), or, with neither, processes normally.
    With ``after_processing`` it does the real work first (e.g. the transaction IS created),
    then sleeps ``delay`` and answers ``status`` / drops / answers normally.
    """

    endpoint: str | None
    status: int | None
    drop: bool
    delay: float
    after_processing: bool
    times: int


@dataclass
class _PlannedFault:
    fault: Fault
    left: int  # firings left


class FaultInjector:
    """Faults planned for the stand-in's API endpoints; each fires exactly ``times`` times.

    A request takes the oldest planned fault that matches its endpoint and still has
    firings left.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[_PlannedFault] = []
        self._fired = 0

    def add(
        self,
        endpoint: str | None,
        *,
        status: int | None = None,
        drop: bool = False,
        delay: float = 0.0,
        after_processing: bool = False,
        times: int = 1,
    ) -> Fault:
        """Plan a fault; see :class:`Fault`. Raises ValueError for an unknown endpoint, both
        ``status`` and ``drop``, no effect at all, a status outside 400-599, or ``times < 1``."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS} or None")
        if status is not None and drop:
            raise ValueError("a fault either answers a status or drops the connection, not both")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("a fault status must be an error status (400-599)")
        if delay < 0:
            raise ValueError("delay must not be negative")
        if status is None and not drop and delay == 0:
            raise ValueError("a fault needs a status, drop=True or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(endpoint, status, drop, float(delay), after_processing, times)
        with self._lock:
            self._planned.append(_PlannedFault(fault, times))
        return fault

    def clear(self) -> None:
        """Forget every planned fault (the fired count stays)."""
        with self._lock:
            self._planned.clear()

    @property
    def pending(self) -> int:
        """Firings still planned, over all faults."""
        with self._lock:
            return sum(planned.left for planned in self._planned)

    @property
    def fired(self) -> int:
        with self._lock:
            return self._fired

    def _take(self, endpoint: str) -> Fault | None:
        with self._lock:
            for planned in self._planned:
                if planned.fault.endpoint in (None, endpoint):
                    planned.left -= 1
                    if not planned.left:
                        self._planned.remove(planned)
                    self._fired += 1
                    return planned.fault
        return None


class _ApiError(Exception):
    """An error answer: ``{"message": message, "code": status}`` with HTTP ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.status}


def _route(path: str) -> tuple[str, str, tuple[str, ...]]:
    """``(endpoint, allowed method, path arguments)``; endpoint "unknown" for no match."""
    if path == "/":
        return "home", "GET", ()
    if path == "/api/transactiondetail":
        return "detail", "GET", ()
    if path == "/api/transactioncancel":
        return "cancel", "POST", ()
    if path == "/api/paymentsimulation":
        return "simulation", "POST", ()
    parts = path.split("/")
    if len(parts) == 4 and parts[1:3] == ["api", "transactioncreate"] and parts[3]:
        return "create", "POST", (unquote(parts[3]),)
    if len(parts) == 4 and parts[1] == "pay" and parts[2] and parts[3]:
        return "checkout", "GET", (unquote(parts[2]), unquote(parts[3]))
    return "unknown", "", ()


def _form_params(text: str) -> dict[str, Any]:
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def _parse_params(method: str, query: str, body: bytes, content_type: str) -> tuple[dict[str, Any], bool]:
    """The request's parameters: the query string for GET, the JSON or form body for POST;
    and whether they are text (query or form) rather than typed JSON values."""
    if method == "GET":
        return _form_params(query), True
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            return _form_params(body.decode("ascii")), True
        except UnicodeDecodeError:
            raise _ApiError(400, "invalid form body") from None
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _ApiError(400, "invalid JSON body") from None
    if not isinstance(params, dict):
        raise _ApiError(400, "JSON body must be an object")
    return params, False


def _required_str(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise _ApiError(400, f"{name} is required")
    if not isinstance(value, str):
        raise _ApiError(400, f"{name} must be a string")
    return value


def _order_id(params: Mapping[str, Any]) -> str:
    value = _required_str(params, "order_id")
    if len(value) > MAX_ORDER_ID_LENGTH or not all("!" <= ch <= "~" for ch in value):
        raise _ApiError(
            400, f"order_id must be 1-{MAX_ORDER_ID_LENGTH} printable ASCII characters without spaces"
        )
    return value


def _amount(params: Mapping[str, Any], *, textual: bool) -> int:
    """The amount: a JSON integer, or decimal digits when the parameters are ``textual``."""
    value = params.get("amount")
    if value is None or value == "":
        raise _ApiError(400, "amount is required")
    if textual and isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ApiError(400, "amount must be an integer")
    if value <= 0:
        raise _ApiError(400, "amount must be greater than 0")
    if value > MAX_AMOUNT:
        raise _ApiError(400, "amount is too large")
    return value


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], standin: PakasirStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-exchange (reset, broken pipe, timeout) is routine here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "PakasirStandIn/1.0"
    disable_nagle_algorithm = True

    # What the request log needs about the request being handled.
    _arrived: float
    _endpoint: str
    _params: dict[str, Any]
    _api_key_ok: bool
    _recorded: bool

    def setup(self) -> None:
        super().setup()
        self.server.standin._track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track_connection(self.connection, open_=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: request lines carry the api_key in detail queries."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        standin = self.server.standin
        standin._request_started()
        self._arrived, self._recorded = time.time(), False
        self._endpoint, self._params, self._api_key_ok = "unknown", {}, False
        try:
            self._serve(standin)
        finally:
            if not self._recorded:
                self._record(None)
            standin._request_finished()

    def _record(self, status: int | None) -> None:
        """Log the request just before its answer (or drop) leaves, so a client that has
        seen the answer also sees the record. ``status`` None: dropped / never answered."""
        self._recorded = True
        params = {key: value for key, value in self._params.items() if key != "api_key"}
        self.server.standin._log_request(
            RequestRecord(self._arrived, self._endpoint, self.command, params, self._api_key_ok, status)
        )

    def _serve(self, standin: PakasirStandIn) -> None:
        """Answer (or drop) one request, noting on self what the request log needs."""
        url = urlsplit(self.path)
        self._endpoint, allowed_method, path_args = _route(url.path)
        try:
            body = self._read_body()
        except _ApiError as exc:
            self.close_connection = True  # the unread body would corrupt the next request
            self._send_error(exc)
            return

        down = standin.down_mode
        if down == "refuse":  # accepted just before the listener closed
            self._drop()
            return
        if down == "503":
            self._send_error(_ApiError(503, "service unavailable"))
            return
        if down == "timeout":
            standin._hang_release.wait(standin.hang_seconds)
            self._send_error(_ApiError(504, "gateway timeout"))
            return

        if self._endpoint == "unknown":
            self._send_error(_ApiError(404, "not found"))
            return
        if self.command != allowed_method:
            self._send_error(_ApiError(405, "method not allowed"), allow=allowed_method)
            return
        if self._endpoint == "home":
            self._send(200, standin._home_page(), "text/html; charset=utf-8")
            return
        if self._endpoint == "checkout":
            self._params = {**_form_params(url.query), "project": path_args[0], "amount": path_args[1]}
            code, page = standin._checkout_page(self._params)
            self._send(code, page, "text/html; charset=utf-8")
            return

        fault = standin.faults._take(self._endpoint)
        parse_error: _ApiError | None = None
        textual = True
        try:
            self._params, textual = _parse_params(
                self.command, url.query, body, self.headers.get("Content-Type", "")
            )
        except _ApiError as exc:
            parse_error = exc
        self._api_key_ok = standin._api_key_ok(self._params)
        if fault is not None and not fault.after_processing and self._apply_fault(standin, fault):
            return
        standin._run_hook(self._endpoint)
        if parse_error is not None:
            code, answer = parse_error.status, parse_error.body()
        else:
            try:
                code, answer = standin._api(self._endpoint, self._params, path_args, textual=textual)
            except Exception:
                self.close_connection = True
                self._send_error(_ApiError(500, "internal server error"))
                raise  # a bug in the stand-in: socketserver prints the traceback
        if fault is not None and fault.after_processing and self._apply_fault(standin, fault):
            return
        self._send(code, _json_bytes(answer), "application/json")

    def _apply_fault(self, standin: PakasirStandIn, fault: Fault) -> bool:
        """Sleep the fault's delay, then answer its status or drop. True if it answered/dropped."""
        if fault.delay:
            standin._stopping.wait(fault.delay)
        if fault.drop:
            self._drop()
            return True
        if fault.status is not None:
            try:
                message = HTTPStatus(fault.status).phrase.lower()
            except ValueError:
                message = "injected fault"
            self._send_error(_ApiError(fault.status, message))
            return True
        return False

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise _ApiError(411, "length required")
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        if not raw_length.strip().isdigit():
            raise _ApiError(400, "invalid Content-Length")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            raise _ApiError(413, "request body too large")
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str, allow: str = "") -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if allow:
            self.send_header("Allow", allow)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, error: _ApiError, allow: str = "") -> None:
        self._send(error.status, _json_bytes(error.body()), "application/json", allow)

    def _drop(self) -> None:
        """Close the TCP connection without answering."""
        self._record(None)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class PakasirStandIn:
    """The Pakasir stand-in server. Use as a context manager or call start() / stop().

    Thread-safe: HTTP handler threads and the test thread share one lock; every state
    change (transaction, request log entry, webhook delivery, outage) notifies a condition
    that :meth:`wait_until` waits on.
    """

    def __init__(
        self,
        project: str = "quickcart-demo",
        api_key: str = "pk_test_123",
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str = "",
        fee_mode: str = "merchant",
        expiry_minutes: float = 60,
        merchant_name: str = "QuickCart Demo",
        fee_fn: Callable[[int], int] = default_fee,
    ) -> None:
        """``fee_mode`` "merchant": the merchant bears the fee (total_payment == amount);
        "customer": total_payment = amount + fee. The fee is reported either way.
        ``expiry_minutes`` may be fractional (tests use a fraction of a second)."""
        if fee_mode not in FEE_MODES:
            raise ValueError(f"fee_mode must be one of {FEE_MODES}")
        self.project = project
        self.api_key = api_key
        self.host = host
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.fee_mode = fee_mode
        self.expiry_minutes = expiry_minutes
        self.merchant_name = merchant_name
        self.fee_fn = fee_fn
        #: How long each request is held in go_down("timeout") before its 504.
        self.hang_seconds: float = 30.0
        #: Timeout of one webhook delivery, in seconds.
        self.webhook_timeout: float = 10.0
        self.faults = FaultInjector()
        self._hooks: dict[str, deque[Callable[[], object]]] = {}
        self._misreports: dict[str, dict[str, Any]] = {}

        self._port = port
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._version = 0  # bumped on every state change
        self._transactions: dict[str, Transaction] = {}
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._webhook_log: deque[WebhookResult] = deque(maxlen=WEBHOOK_LOG_SIZE)
        self._request_counts: dict[str, int] = {}
        self._in_flight = 0
        self._max_concurrent = 0
        self._webhooks_sent = 0
        self._webhooks_failed = 0
        self._down_mode: str | None = None
        self._hang_release = threading.Event()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._running = False
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> PakasirStandIn:
        """Start listening (on an ephemeral port unless one was given). Returns self."""
        with self._lock:
            if self._running:
                raise RuntimeError("the stand-in is already running")
            self._running = True
            self._stopping.clear()
            self._down_mode = None
        self._listen()
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection. Safe to call twice."""
        with self._lock:
            self._running = False
        self._stopping.set()
        self._hang_release.set()
        self._stop_listening()

    def __enter__(self) -> PakasirStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port, fixed at the first start(); RuntimeError before that."""
        if not self._port:
            raise RuntimeError("the stand-in has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; the port stays the same across go_down/come_up."""
        return f"http://{self.host}:{self.port}"

    def _listen(self) -> None:
        server = _Server((self.host, self._port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # also bounds how long stop() waits
            name=f"pakasir-standin-{server.server_address[1]}",
            daemon=True,
        )
        with self._lock:
            self._server, self._serve_thread = server, thread
            self._port = server.server_address[1]
        thread.start()

    def _stop_listening(self) -> None:
        with self._lock:
            server, thread = self._server, self._serve_thread
            self._server = self._serve_thread = None
            connections = list(self._connections)
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _track_connection(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # ----------------------------------------------------------------- hooks

    def before_next(self, endpoint: str, action: Callable[[], object]) -> None:
        """Run ``action`` just before the next ``endpoint`` request is processed.

        For races that depend on timing, made exact: ``before_next("cancel",
        lambda: standin.complete(order_id, webhook=False))`` is a customer
        whose payment lands while the shop is cancelling.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}")
        with self._lock:
            self._hooks.setdefault(endpoint, deque()).append(action)

    def misreport(self, order_id: str, **fields: Any) -> None:
        """Make ``transactiondetail`` for ``order_id`` report other values (``amount``, ``project``,
        ``order_id``, ``status``): a gateway whose answer does not match the order."""
        with self._lock:
            self._misreports[order_id] = dict(fields)

    def _run_hook(self, endpoint: str) -> None:
        with self._lock:
            queue = self._hooks.get(endpoint)
            action = queue.popleft() if queue else None
        if action is not None:
            action()

    # ----------------------------------------------------------------- outages

    def go_down(self, mode: str = "503") -> None:
        """Simulate an outage until :meth:`come_up`.

        "503": every request (including ``GET /``) gets 503 ``{"message": "service unavailable"}``.
        "timeout": every request is held ``hang_seconds`` (or until come_up/stop), then 504.
        "refuse": the listener closes and open connections are shut: connection refused.
        """
        if mode not in DOWN_MODES:
            raise ValueError(f"mode must be one of {DOWN_MODES}")
        with self._lock:
            self._require_running()
            previous = self._down_mode
            if mode == "timeout" and previous != "timeout":
                self._hang_release = threading.Event()
            self._down_mode = mode
            self._changed()
        if previous == "timeout" and mode != "timeout":
            self._hang_release.set()
        if mode == "refuse" and previous != "refuse":
            self._stop_listening()
        elif mode != "refuse" and previous == "refuse":
            self._listen()

    def come_up(self) -> None:
        """End an outage; after "refuse" the server listens again on the same port."""
        with self._lock:
            self._require_running()
            previous = self._down_mode
            self._down_mode = None
            self._changed()
        self._hang_release.set()
        if previous == "refuse":
            self._listen()

    @property
    def down_mode(self) -> str | None:
        """The current outage mode, or None while up."""
        return self._down_mode

    def _require_running(self) -> None:
        if not self._running:
            raise RuntimeError("the stand-in is not running")

    # ----------------------------------------------------------------- state

    @property
    def transactions(self) -> dict[str, Transaction]:
        """A snapshot of all transactions by order_id, with expiry applied."""
        with self._lock:
            for order_id in list(self._transactions):
                self._current(order_id)
            return dict(self._transactions)

    def transaction(self, order_id: str) -> Transaction | None:
        """The transaction as it is now (expiry applied), or None."""
        with self._lock:
            return self._current(order_id)

    def complete(
        self, order_id: str, *, webhook: bool = True, webhook_times: int = 1, force: bool = False
    ) -> Transaction:
        """Mark the transaction paid, as if the customer scanned the QR and paid.

        A completed one stays as it is. A canceled or expired one needs ``force=True`` (a
        late payment the gateway still took), else TransactionStateError. KeyError for an
        unknown order. Then, if ``webhook`` and a webhook_url is set, sends the webhook
        ``webhook_times`` times, one after another, before returning.
        """
        if webhook_times < 1:
            raise ValueError("webhook_times must be at least 1")
        with self._lock:
            tx = self._require(order_id)
            if tx.status != "completed":
                if tx.status != "pending" and not force:
                    raise TransactionStateError(
                        f"transaction {order_id} is {tx.status}; pass force=True for a late payment"
                    )
                tx = self._store(replace(tx, status="completed", completed_at=self._now()))
        if webhook and self.webhook_url:
            self.send_webhook(order_id, times=webhook_times)
        return tx

    def expire(self, order_id: str) -> Transaction:
        """The gateway's own expiry of a pending transaction, now. TransactionStateError if
        it is not pending; KeyError for an unknown order."""
        with self._lock:
            tx = self._require(order_id)
            if tx.status != "pending":
                raise TransactionStateError(f"transaction {order_id} is {tx.status}, not pending")
            return self._store(replace(tx, status="expired", expired_at=self._now()))

    # ----------------------------------------------------------------- webhooks

    def send_webhook(
        self,
        order_id: str,
        *,
        times: int = 1,
        body: Mapping[str, Any] | bytes | None = None,
        signature: str | None | _Auto = AUTO,
        concurrent: bool = False,
    ) -> list[WebhookResult]:
        """POST the webhook ``times`` times and return the results in order.

        ``body`` None: the transaction's detail as it is now (KeyError for an unknown order);
        a dict: that, as JSON; bytes: sent as they are. ``signature`` AUTO signs when
        ``webhook_secret`` is set, None sends no signature header, a string is sent as the
        header value (to forge one). ``concurrent`` fires all deliveries at once from
        threads. Network errors are recorded in the results, not raised.
        RuntimeError when no webhook_url is set.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        url, raw, headers = self._prepare_webhook(order_id, body, signature)
        if not concurrent:
            return [self._deliver(url, raw, headers, order_id) for _ in range(times)]
        results: list[WebhookResult | None] = [None] * times
        barrier = threading.Barrier(times)

        def fire(index: int) -> None:
            barrier.wait()
            results[index] = self._deliver(url, raw, headers, order_id)

        threads = [threading.Thread(target=fire, args=(i,), daemon=True) for i in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [result for result in results if result is not None]

    @property
    def webhook_log(self) -> list[WebhookResult]:
        """Every webhook delivery so far (bounded), oldest first."""
        with self._lock:
            return list(self._webhook_log)

    def _prepare_webhook(
        self, order_id: str, body: Mapping[str, Any] | bytes | None, signature: str | None | _Auto
    ) -> tuple[str, bytes, dict[str, str]]:
        """The URL, raw body and headers of a webhook delivery (see send_webhook)."""
        url = self.webhook_url
        if not url:
            raise RuntimeError("no webhook_url is set")
        if body is None:
            raw = _json_bytes(self._require_snapshot(order_id).detail_json())
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = _json_bytes(body)
        headers = {"Content-Type": "application/json", "User-Agent": "Pakasir-StandIn/1.0"}
        if isinstance(signature, _Auto):
            if self.webhook_secret:
                headers[SIGNATURE_HEADER] = hmac.new(
                    self.webhook_secret.encode(), raw, hashlib.sha256
                ).hexdigest()
        elif signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return url, raw, headers

    def _deliver(self, url: str, raw: bytes, headers: Mapping[str, str], order_id: str) -> WebhookResult:
        started = time.monotonic()
        try:
            response = requests.post(url, data=raw, headers=headers, timeout=self.webhook_timeout)
            result = WebhookResult(response.status_code, response.text, time.monotonic() - started,
                                   order_id=order_id)
        except requests.RequestException as exc:
            result = WebhookResult(None, "", time.monotonic() - started, error=repr(exc), order_id=order_id)
        with self._lock:
            self._webhooks_sent += 1
            self._webhooks_failed += not result.ok
            self._webhook_log.append(result)
            self._changed()
        return result

    def _deliver_in_background(self, order_id: str) -> None:
        """Send the webhook from a thread, as the gateway does after a payment."""
        if not self.webhook_url:
            return
        url, raw, headers = self._prepare_webhook(order_id, None, AUTO)
        threading.Thread(
            target=self._deliver, args=(url, raw, headers, order_id), name=f"pakasir-webhook-{order_id}",
            daemon=True,
        ).start()

    # ----------------------------------------------------------------- observation

    @property
    def request_log(self) -> list[RequestRecord]:
        """The most recent requests (bounded), oldest first."""
        with self._lock:
            return list(self._log)

    def requests_for(self, endpoint: str, order_id: str | None = None) -> list[RequestRecord]:
        """Logged requests to ``endpoint``, optionally only those naming ``order_id``."""
        return [
            record
            for record in self.request_log
            if record.endpoint == endpoint and (order_id is None or record.order_id == order_id)
        ]

    @property
    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                requests=dict(self._request_counts),
                in_flight=self._in_flight,
                max_concurrent=self._max_concurrent,
                faults_fired=self.faults.fired,
                webhooks_sent=self._webhooks_sent,
                webhooks_failed=self._webhooks_failed,
            )

    def wait_until(self, predicate: Callable[[], _T], timeout: float = 10.0, what: str = "") -> _T:
        """Return the first truthy value of ``predicate()``, re-evaluated on every state
        change (and at least every 50 ms, for time-based conditions such as expiry).
        AssertionError after ``timeout`` seconds, naming ``what`` and the transactions."""
        def report() -> str:
            return (f"timed out after {timeout}s waiting for "
                    f"{what or getattr(predicate, '__name__', 'predicate')}; transactions: {self._summary()}")
        return wait_for(self._cond, lambda: self._version, predicate, timeout, report)

    def _summary(self) -> str:
        transactions = self.transactions.values()
        return "; ".join(f"{t.order_id} amount={t.amount} {t.status}" for t in transactions) or "none"

    # ----------------------------------------------------------------- internals (lock-aware)

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _changed(self) -> None:
        """Record a state change; the caller holds the lock."""
        self._version += 1
        self._cond.notify_all()

    def _store(self, tx: Transaction) -> Transaction:
        self._transactions[tx.order_id] = tx
        self._changed()
        return tx

    def _current(self, order_id: str) -> Transaction | None:
        """The transaction with lazy expiry applied; the caller holds the lock."""
        tx = self._transactions.get(order_id)
        if tx is not None and tx.status == "pending" and self._now() >= tx.expired_at:
            tx = self._store(replace(tx, status="expired"))
        return tx

    def _require(self, order_id: str) -> Transaction:
        tx = self._current(order_id)
        if tx is None:
            raise KeyError(f"no transaction with order_id {order_id!r}")
        return tx

    def _require_snapshot(self, order_id: str) -> Transaction:
        with self._lock:
            return self._require(order_id)

    def _request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_concurrent = max(self._max_concurrent, self._in_flight)

    def _log_request(self, record: RequestRecord) -> None:
        with self._lock:
            self._request_counts[record.endpoint] = self._request_counts.get(record.endpoint, 0) + 1
            self._log.append(record)
            self._changed()

    def _request_finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _api_key_ok(self, params: Mapping[str, Any]) -> bool:
        key = params.get("api_key")
        return isinstance(key, str) and hmac.compare_digest(key.encode(), self.api_key.encode())

    # ----------------------------------------------------------------- API

    def _api(
        self, endpoint: str, params: Mapping[str, Any], path_args: tuple[str, ...], *, textual: bool
    ) -> tuple[int, dict[str, Any]]:
        """Answer an API call: ``(HTTP status, JSON body)``. ``textual``: see _parse_params."""
        try:
            project = _required_str(params, "project")
            if project != self.project:
                raise _ApiError(400, "project not found")
            if not self._api_key_ok(params):
                raise _ApiError(401, "invalid api_key")
            order_id, amount = _order_id(params), _amount(params, textual=textual)
            if endpoint == "create":
                return 200, {"payment": self._create(path_args[0], order_id, amount).payment_json()}
            with self._lock:
                tx = self._current(order_id)
                if tx is None:
                    raise _ApiError(404, "transaction not found")
                if tx.amount != amount:
                    raise _ApiError(400, "amount does not match the transaction")
                if endpoint == "detail":
                    return 200, {"transaction": {**tx.detail_json(), **self._misreports.get(order_id, {})}}
                tx = self._cancel(tx) if endpoint == "cancel" else self._simulate(tx)
            if endpoint == "simulation":
                self._deliver_in_background(order_id)
            return 200, {"success": True, "transaction": tx.detail_json()}
        except _ApiError as exc:
            return exc.status, exc.body()

    def _create(self, payment_method: str, order_id: str, amount: int) -> Transaction:
        if payment_method != "qris":
            raise _ApiError(400, "unsupported payment method")
        if amount < MIN_AMOUNT:
            raise _ApiError(400, f"minimum amount is {MIN_AMOUNT}")
        with self._lock:
            existing = self._current(order_id)
            if existing is not None:
                if existing.amount == amount and existing.status == "pending":
                    return existing
                raise _ApiError(400, "duplicate order_id")
            fee = self.fee_fn(amount)
            total = amount + fee if self.fee_mode == "customer" else amount
            now = self._now()
            return self._store(
                Transaction(
                    project=self.project,
                    order_id=order_id,
                    amount=amount,
                    fee=fee,
                    total_payment=total,
                    payment_method=payment_method,
                    payment_number=build_qris(total, order_id, self.merchant_name),
                    status="pending",
                    created_at=now,
                    expired_at=now + timedelta(minutes=self.expiry_minutes),
                )
            )

    def _cancel(self, tx: Transaction) -> Transaction:
        """The caller holds the lock."""
        if tx.status == "pending":
            return self._store(replace(tx, status="canceled", cancelled_at=self._now()))
        if tx.status == "canceled":
            return tx
        raise _ApiError(400, f"transaction already {tx.status}")

    def _simulate(self, tx: Transaction) -> Transaction:
        """The caller holds the lock."""
        if tx.status != "pending":
            raise _ApiError(400, f"transaction is not pending (status: {tx.status})")
        return self._store(replace(tx, status="completed", completed_at=self._now()))

    # ----------------------------------------------------------------- HTML pages

    def _home_page(self) -> bytes:
        return _page(
            "Pakasir stand-in",
            f"<h1>Pakasir stand-in</h1><p>Project <b>{html.escape(self.project)}</b> is up.</p>",
        )

    def _checkout_page(self, params: Mapping[str, Any]) -> tuple[int, bytes]:
        """The hosted checkout page for ``/pay/{project}/{amount}?order_id=...``."""
        if params["project"] != self.project:
            return 404, _page("Not found", "<h1>Project not found</h1>")
        try:
            amount, order_id = _amount(params, textual=True), _order_id(params)
        except _ApiError as exc:
            return 400, _page("Bad request", f"<h1>Bad request</h1><p>{html.escape(exc.message)}</p>")
        parts = [
            f"<h1>{html.escape(self.merchant_name)}</h1>",
            f"<p>Order <code>{html.escape(order_id)}</code></p>",
            f"<p class=\"amount\">Total: <b>{_rupiah(amount)}</b></p>",
        ]
        tx = self.transaction(order_id)
        if tx is not None and tx.amount == amount:
            parts.append(f"<p>Status: <b>{tx.status}</b></p>")
            if tx.status == "pending":
                qr = qrcode.make(tx.payment_number, image_factory=qrcode.image.svg.SvgPathImage)
                parts.append(f"<p>Pay {_rupiah(tx.total_payment)} with any QRIS app:</p>")
                parts.append(qr.to_string(encoding="unicode"))
        return 200, _page(f"Checkout {order_id}", "".join(parts))

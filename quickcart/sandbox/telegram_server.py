"""A local stand-in for the Telegram Bot API, for tests, the demo and the benchmarks.

It is a real HTTP server, so the real bot runs against it unchanged::

    with TelegramStandIn() as telegram:
        apihelper.API_URL, apihelper.FILE_URL = telegram.api_url, telegram.file_url
        budi = telegram.user(1001, "Budi")
        budi.send_text("/start")
        menu = budi.wait_for_message(contains="Produk")
        budi.press(menu, "Produk")

Requests are answered the way Telegram answers them, including its validation (HTML
entities, keyboard rules, length limits, edits that change nothing), its flood limits
(``enforce_limits``, read as ``limits``: :data:`~quickcart.sandbox.telegram_limits.DEFAULT_LIMITS`
or the stricter :data:`~quickcart.sandbox.telegram_limits.STRICT_LIMITS`, or any
:class:`~quickcart.sandbox.telegram_limits.LimitModel`) and long polling with redelivery of
unconfirmed updates. Faults can be injected per method and chat
(:class:`~quickcart.sandbox.telegram_limits.FaultInjector`).

This module is the HTTP side; the state and the Bot API methods are in ``telegram_api``,
the simulated users in ``telegram_users``, Telegram's text and keyboard rules in
``telegram_format``, flood control and faults in ``telegram_limits``.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from quickcart.sandbox.telegram_api import Params, TelegramBackend, Upload
from quickcart.sandbox.telegram_format import ApiError, bad_request
from quickcart.sandbox.telegram_limits import (
    DEFAULT_LIMITS,
    SEND_METHODS,
    FaultInjector,
    FiredFault,
    FloodControl,
    LimitModel,
    RequestRecord,
    StandInStats,
    too_many_requests,
)
from quickcart.sandbox.telegram_model import CallbackAnswer, Chat, Message
from quickcart.sandbox.telegram_users import FakeUser

__all__ = ["TelegramStandIn", "FakeUser", "Message", "Chat", "CallbackAnswer", "FaultInjector", "LimitModel",
           "RequestRecord", "StandInStats"]

T = TypeVar("T")

REQUEST_LOG_SIZE = 100_000
_API_PATH = re.compile(r"/bot([^/]+)/([^/]*)")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)")
_UNAUTHORIZED = ApiError(401, "Unauthorized")
_NOT_FOUND = ApiError(404, "Not Found")


class TelegramStandIn:
    """The Telegram Bot API for one bot token, served on 127.0.0.1, plus the users who talk to it."""

    def __init__(self, token: str = "123456:TEST-TOKEN", host: str = "127.0.0.1", port: int = 0,
                 bot_id: int = 123456, bot_username: str = "quickcart_test_bot", enforce_limits: bool = False,
                 limits: LimitModel = DEFAULT_LIMITS, bot_name: str = "QuickCart") -> None:
        self.token = token
        self.enforce_limits = enforce_limits  # Telegram's flood limits on sends; may be toggled while running
        self.stats = StandInStats()
        self.faults = FaultInjector()
        self.flood = FloodControl(limits)
        self.request_log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._backend = TelegramBackend(bot_id, bot_username, bot_name, self.stats)
        self.faults.on_outage = self._backend.interrupt_polls
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> TelegramStandIn:
        """Serve in a background thread. After :meth:`stop` it may start again, on the same port
        and with all state kept, which is how a Telegram outage is simulated."""
        if self._server is not None:
            raise RuntimeError("the Telegram stand-in is already running")
        self._server = _Server(self._address, self)
        self._address = self._server.server_address[:2]
        self._backend.set_serving(True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="telegram-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: waiting getUpdates calls return empty and open connections are closed."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._backend.set_serving(False)
        server.shutdown()  # returns within one poll_interval; tests stop a server after every test
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> TelegramStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Telegram stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """Format string for ``telebot.apihelper.API_URL``."""
        return self.base_url + "/bot{0}/{1}"

    @property
    def file_url(self) -> str:
        """Format string for ``telebot.apihelper.FILE_URL``."""
        return self.base_url + "/file/bot{0}/{1}"

    # --- test-facing API ------------------------------------------------------------------

    @property
    def limits(self) -> LimitModel:
        """How the flood limits are read (enforced only while ``enforce_limits`` is on)."""
        return self.flood.model

    @limits.setter
    def limits(self, model: LimitModel) -> None:
        """Switch to another reading of the limits, starting afresh (announced windows are forgotten)."""
        with self._backend.cond:
            self.flood = FloodControl(model)

    def user(self, user_id: int, first_name: str = "Budi", username: str | None = None, last_name: str | None = None,
             language_code: str | None = "id") -> FakeUser:
        """The user with this id, created on first use (later calls return the same object)."""
        return self._backend.user(user_id, first_name, username, last_name, language_code)

    def chat(self, chat_id: int) -> Chat:
        """The private chat with user ``chat_id``."""
        return self._backend.chat(chat_id)

    def wait_until(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
        """Return the first truthy value of ``predicate``, re-evaluated on every change.

        On timeout raises AssertionError naming ``what`` and showing the recently active chats.
        """
        return self._backend.wait_until(predicate, timeout, what)

    def mark_started(self, user_ids: Iterable[int], name: str = "Pelanggan") -> None:
        """Users who have already pressed Start (so the bot may message them),
        without queueing an update for each — for broadcasts to thousands."""
        for user_id in user_ids:
            self.user(user_id, f"{name} {user_id}").has_started = True

    def replay_last_updates(self, count: int) -> list[int]:
        """Deliver the last ``count`` updates again with their original ids, as Telegram
        does after a restart when the bot had not confirmed them."""
        return self._backend.replay_last_updates(count)

    def render_transcript(self, chat_id: int) -> str:
        return self._backend.render_transcript(chat_id)

    def advance_clock(self, seconds: float) -> None:
        """Move Telegram's clock forward (message dates, callback query expiry); flood limits keep real time."""
        self._backend.advance_clock(seconds)

    def my_commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """Commands the bot registered with setMyCommands for that scope and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        with self._backend.cond:
            return list(self._backend.commands.get(key, []))

    # --- request handling -----------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        body = _read_body(handler)
        file_match = _FILE_PATH.fullmatch(url.path)
        if file_match:
            self._serve_file(handler, *file_match.groups())
            return
        api_match = _API_PATH.fullmatch(url.path)
        if api_match is None:
            _send_json(handler, _NOT_FOUND.status, _NOT_FOUND.payload())
            return
        token, requested = api_match.groups()
        method = self._backend.resolve(requested)
        if token != self.token:
            error = _UNAUTHORIZED
        elif method is None:
            error = _NOT_FOUND
        else:
            try:
                params = _parse_params(url.query, handler.headers.get("Content-Type", ""), body)
            except ApiError as exc:
                error = exc
            else:
                self._serve_api(handler, method, params)
                return
        self._record(method or requested, None, error.status, {})
        _send_json(handler, error.status, error.payload())

    def _serve_api(self, handler: _Handler, method: str, params: Params) -> None:
        chat_id = params.chat_id_hint()
        counted = method != "getUpdates"  # a long poll is always pending; counting it would hide real concurrency
        with self._backend.cond:
            self.stats.requests[method] += 1
            if counted:
                self.stats.in_flight += 1
                self.stats.max_concurrent = max(self.stats.max_concurrent, self.stats.in_flight)
        status, payload = 0, None
        try:
            try:
                status, payload = self._answer(method, params, chat_id)
            finally:
                # Recorded before answering, so a client that got its answer finds it in the log.
                self._record(method, chat_id, status if payload is not None else 0, params.loggable())
            if payload is None:
                handler.close_connection = True  # the response-less close a dropped request gets
            else:
                _send_json(handler, status, payload)
        finally:
            if counted:
                with self._backend.cond:
                    self.stats.in_flight -= 1

    def _answer(self, method: str, params: Params, chat_id: int | None) -> tuple[int, dict[str, Any] | None]:
        """Status and body for one API call; body None means drop the connection instead."""
        fault = self.faults.take(method, chat_id)
        if fault is not None:
            with self._backend.cond:
                self.stats.faults_fired.append(FiredFault(time.time(), method, chat_id, fault))
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                return 0, None
            if fault.status is not None:
                if fault.status == 429:
                    with self._backend.cond:
                        self.stats.responses_429 += 1
                        if method in SEND_METHODS:
                            self.flood.open_window(chat_id, fault.retry_after, time.monotonic())
                return fault.status, fault.response()
        if method in SEND_METHODS:
            with self._backend.cond:
                now = time.monotonic()
                retry_after = self.flood.window_retry_after(chat_id, now)
                if retry_after:
                    self.stats.unhonoured_429 += 1
                elif self.enforce_limits:
                    retry_after = self.flood.admit(chat_id, now)
                if retry_after:
                    self.stats.responses_429 += 1
            if retry_after:
                return 429, too_many_requests(retry_after)
        try:
            return 200, {"ok": True, "result": self._backend.call(method, params)}
        except ApiError as exc:
            return exc.status, exc.payload()

    def _serve_file(self, handler: _Handler, token: str, file_path: str) -> None:
        data = self._backend.file_at(unquote(file_path)) if token == self.token else None
        if data is None:
            error = _UNAUTHORIZED if token != self.token else _NOT_FOUND
            _send_json(handler, error.status, error.payload())
            return
        _send(handler, 200, "application/octet-stream", data)

    def _record(self, method: str, chat_id: int | None, status: int, params: dict[str, Any]) -> None:
        with self._backend.cond:
            if status:
                self.stats.responses_by_status[status] += 1
            self.request_log.append(RequestRecord(time.time(), method, chat_id, status, params))


# --- HTTP plumbing ------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so requests' connection pool reuses connections
    disable_nagle_algorithm = True  # small JSON answers must not wait for delayed ACKs
    server: _Server

    def do_GET(self) -> None:
        self.server.standin._serve(self)

    do_POST = do_GET

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, opened=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: ``request_log`` and ``stats`` record every request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], standin: TelegramStandIn) -> None:
        self.standin = standin
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, opened: bool) -> None:
        with self._connections_lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or drop pooled connections are normal here, not errors.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def _send_json(handler: _Handler, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _send(handler, status, "application/json", body)


def _send(handler: _Handler, status: int, content_type: str, body: bytes) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:  # the client gave up (e.g. its read timeout fired during a delay fault)
        handler.close_connection = True


def _read_body(handler: _Handler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(handler.rfile)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _read_chunked(stream: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):  # trailer fields
                pass
            return b"".join(chunks)
        chunks.append(stream.read(size))
        stream.readline()


def _parse_params(query: str, content_type: str, body: bytes) -> Params:
    """Merge the query string with a urlencoded, JSON or multipart body (pyTelegramBotAPI puts
    every parameter in the query string, even on POST, and only files in the body)."""
    values: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    uploads: dict[str, Upload] = {}
    mime, options = _header_value(content_type)
    if not body:
        return Params(values, uploads)
    try:
        if mime == "application/x-www-form-urlencoded":
            values.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        elif mime == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise bad_request("JSON body must be an object")
            values.update(decoded)
        elif mime == "multipart/form-data":
            fields, uploads = _parse_multipart(body, options.get("boundary", ""))
            values.update(fields)
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"can't parse request body: {exc}") from None
    return Params(values, uploads)


def _header_value(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type; name=value; ...`` leniently: pyTelegramBotAPI sends file names unquoted and raw UTF-8."""
    main, _, rest = value.partition(";")
    options: dict[str, str] = {}
    for match in re.finditer(r'\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))', rest):
        name, quoted, bare = match.groups()
        options[name.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare.strip()
    if "filename*" in options:  # RFC 5987: charset'language'percent-encoded
        charset, _, encoded = options["filename*"].partition("'")
        options["filename"] = unquote(encoded.partition("'")[2], encoding=charset or "utf-8")
    return main.strip().lower(), options


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, Upload]]:
    """multipart/form-data, with each file's bytes kept exactly (they end right before CRLF--boundary)."""
    if not boundary:
        raise bad_request("multipart boundary is missing")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise bad_request("malformed multipart body")
    fields: dict[str, str] = {}
    uploads: dict[str, Upload] = {}
    for chunk in chunks[1:-1]:
        part = chunk[chunk.find(b"\r\n") + 2:]  # skip the rest of the delimiter line
        if part.startswith(b"\r\n"):  # a part without headers
            head, content = b"", part[2:]
        else:
            head, separator, content = part.partition(b"\r\n\r\n")
            if not separator:
                raise bad_request("malformed multipart body")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        _, disposition = _header_value(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            uploads[name] = Upload(disposition["filename"], headers.get("content-type"), content)
        else:
            fields[name] = content.decode("utf-8")
    return fields, uploads

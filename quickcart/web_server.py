"""waitress, run in a background thread and hardened against slow and flooding clients.

waitress reads requests on one asyncore loop and hands only complete ones
to its worker threads, so a slow client costs a connection, not a thread.
Connections are what an attacker exhausts: out of the box waitress stops
accepting at 100 open ones, and a client that sends one header byte every
few seconds is never "inactive", so about a hundred half-sent requests
(slowloris) kept /health and the webhook dark for as long as they lasted.
Here:

- a request must arrive whole within ``REQUEST_SECONDS`` of its first byte,
  however it trickles, and a connection that sends nothing for
  ``IDLE_SECONDS`` is closed (waitress's ``channel_timeout``); both are
  checked every second (``cleanup_interval``);
- up to ``MAX_CONNECTIONS`` are open at once (poll(), not select(), which
  stops at file descriptor 1024; fewer when the process may open fewer
  files); when they are all taken, the longest-waiting connections that are
  not being answered are closed to make room, so a flood of idle or slow
  connections cannot keep a real one out;
- headers are limited to 16 KiB and bodies to the webhook's 64 KiB, so a
  thousand connections hold at most about 80 MB;
- errors waitress answers itself (a malformed request line or header, a
  Content-Length of thousands of digits, a bad chunked body, too large) use the seed's JSON error format and are counted
  like the app's, never logged one by one; a Transfer-Encoding other than
  chunked is refused as 400, not waitress's 501, since it is the client's
  fault.
"""
from __future__ import annotations

import json
import logging
import resource
import threading
import time

from flask import Flask
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import (
    InternalServerError,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    ServerNotImplemented,
)
from waitress.wasyncore import close_all

from quickcart.rejections import RejectLogs
from quickcart.web import MAX_WEBHOOK_BYTES, REJECT_LOGS, error_body

log = logging.getLogger(__name__)

REQUEST_SECONDS = 10.0
IDLE_SECONDS = 10
MAX_CONNECTIONS = 1000
FILES_KEPT_FOR_THE_REST = 100  # database, log, Telegram and Pakasir sockets, ...
MAX_HEADER_BYTES = 16 * 1024
SHED_FRACTION = 10  # when full, close 1/10 of the waiting connections at a time


def connection_limit(max_connections: int = MAX_CONNECTIONS) -> int:
    """As many connections as the open-files limit leaves room for, up to ``max_connections``.

    Accepting past that limit would fail with EMFILE over and over.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return max(20, min(max_connections, soft - FILES_KEPT_FOR_THE_REST))


def _error_message(error: object) -> tuple[int, str]:
    if isinstance(error, RequestEntityTooLarge):
        return 413, "request body too large"
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return 431, "request headers too large"
    if isinstance(error, ServerNotImplemented):
        return 400, "unsupported transfer encoding"
    if isinstance(error, InternalServerError):
        return 500, "internal error"
    return 400, "malformed request"


class _JsonErrorTask(ErrorTask):
    """waitress's own error answers, in the seed's format and counted."""

    def execute(self) -> None:
        error = self.request.error
        code, message = _error_message(error)
        if code < 500:
            self.channel.server.rejects.count("http", message)
        body = json.dumps(error_body(code, message, {"detail": str(error.body)[:200]})).encode()
        reason = {400: "Bad Request", 413: "Content Too Large", 431: "Request Header Fields Too Large"}
        self.status = f"{code} {reason.get(code, 'Internal Server Error')}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Parser(HTTPRequestParser):
    def parse_header(self, header_plus: bytes) -> None:
        try:
            super().parse_header(header_plus)
        except ValueError:
            # waitress calls int() on a Content-Length of digits only; past Python's
            # 4,300-digit limit that raises, which waitress does not expect: it
            # logged an error and dropped the connection without an answer.
            raise ParsingError("Content-Length is invalid") from None


class _GuardedChannel(HTTPChannel):
    """A connection that remembers when the request it is still receiving began."""

    parser_class = _Parser
    error_task_class = _JsonErrorTask
    request_began: float | None = None  # time.time(), like waitress's last_activity

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.time()
        result = super().received(data)
        if self.request is None:
            self.request_began = None
        return result

    def waiting_since(self) -> float:
        return self.request_began if self.request_began is not None else self.last_activity

    def closable(self) -> bool:
        """Not being answered and not already closing: closing it loses nobody an answer."""
        return not (self.requests or self.will_close or self.close_when_flushed or self.total_outbufs_len)


class _GuardedServer(TcpWSGIServer):
    channel_class = _GuardedChannel
    rejects: RejectLogs
    request_seconds: float = REQUEST_SECONDS

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # closes connections idle for channel_timeout
        cutoff = now - self.request_seconds
        for channel in list(self.active_channels.values()):
            began = getattr(channel, "request_began", None)
            if began is not None and began < cutoff and channel.closable():
                channel.will_close = True
                self.rejects.count("http", "request not sent in time")

    def readable(self) -> bool:
        if self.accepting and len(self._map) >= self.adj.connection_limit:
            self._make_room()
        return super().readable()

    def _make_room(self) -> None:
        waiting = [channel for channel in self.active_channels.values()
                   if isinstance(channel, _GuardedChannel) and channel.closable()]
        waiting.sort(key=_GuardedChannel.waiting_since)
        for channel in waiting[:max(1, len(waiting) // SHED_FRACTION)]:
            channel.will_close = True
            self.rejects.count("http", "closed to make room")


class WebServer:
    """The app on waitress, in a background thread, stoppable."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = 4,
                 max_connections: int = MAX_CONNECTIONS, request_seconds: float = REQUEST_SECONDS,
                 idle_seconds: int = IDLE_SECONDS):
        self._rejects: RejectLogs = app.extensions.get(REJECT_LOGS) or RejectLogs()
        self._sockets: dict = {}  # waitress's socket map, ours so stop() can close every connection
        adjustments = Adjustments(
            host=host, port=port, threads=threads, ident="quickcart", clear_untrusted_proxy_headers=True,
            connection_limit=connection_limit(max_connections), channel_timeout=idle_seconds,
            cleanup_interval=1, asyncore_use_poll=True, log_socket_errors=False,
            max_request_header_size=MAX_HEADER_BYTES,
            # waitress refuses a body of max_request_body_size bytes or more.
            max_request_body_size=MAX_WEBHOOK_BYTES + 1)
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(threads)
        self._listeners: list[_GuardedServer] = []
        try:
            for sockinfo in adjustments.listen:
                listener = _GuardedServer(app, self._sockets, dispatcher=self._dispatcher, adj=adjustments,
                                          sockinfo=sockinfo)
                listener.rejects = self._rejects
                listener.request_seconds = request_seconds
                self._listeners.append(listener)
        except OSError:
            self._dispatcher.shutdown(timeout=1)
            close_all(self._sockets, ignore_all=True)
            raise
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)

    @property
    def port(self) -> int:
        return int(self._listeners[0].effective_port)

    @property
    def connection_limit(self) -> int:
        return self._listeners[0].adj.connection_limit

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._listeners[0].run()  # one loop serves every listener: they share the socket map
        except OSError:
            pass  # closed by stop()

    def stop(self) -> None:
        # Let requests in flight finish first: a worker that completes a
        # response after the close would write to a closed wake-up pipe.
        # Then close the listener and every idle keep-alive connection too,
        # or the serving loop would wait on them.
        self._dispatcher.shutdown(cancel_pending=True, timeout=5)
        close_all(self._sockets, ignore_all=True)
        self._thread.join(5)
        self._rejects.flush()

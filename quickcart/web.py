"""The HTTP side: Pakasir's webhook, /health and /admin/stats (Flask on waitress).

Errors use the seed's shape ``{"error", "code", "details", "timestamp"}``.
A request never gets a traceback: one handler turns every error into that
shape, and unexpected ones are logged with the request's correlation id.
"""
from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from waitress.server import create_server
from waitress.wasyncore import close_all
from werkzeug.exceptions import HTTPException

from quickcart.logging_setup import correlation, new_correlation_id
from quickcart.timeutil import iso_utc, utcnow

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 64 * 1024


class ApiError(Exception):
    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def error_body(code: int, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message, "code": code}
    if details:
        body["details"] = details
    body["timestamp"] = iso_utc(utcnow())
    return body


@dataclass
class WebHandlers:
    """What the web app calls into; each returns (JSON body, HTTP status)."""
    health: Callable[[], tuple[dict, int]]
    webhook: Callable[[bytes, str | None], tuple[dict, int]] | None = None
    stats: Callable[[], dict] | None = None
    admin_token: str = ""


def create_app(handlers: WebHandlers) -> Flask:
    app = Flask("quickcart")
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response, int]:
        return jsonify(error_body(exc.code, exc.message, exc.details)), exc.code

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        message = "request body too large" if code == 413 else (exc.name or "error").lower()
        return jsonify(error_body(code, message)), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error_body(500, "internal error")), 500

    @app.get("/health")
    def health() -> tuple[Response, int]:
        body, status = handlers.health()
        return jsonify(body), status

    @app.post("/webhooks/pakasir")
    def pakasir_webhook() -> tuple[Response, int]:
        if handlers.webhook is None:
            raise ApiError(404, "not found")
        with correlation(new_correlation_id("whk")):
            length = request.content_length
            if length is not None and length > MAX_WEBHOOK_BYTES:
                raise ApiError(413, "request body too large", {"limit_bytes": MAX_WEBHOOK_BYTES})
            raw = request.get_data(cache=False)
            if len(raw) > MAX_WEBHOOK_BYTES:
                raise ApiError(413, "request body too large", {"limit_bytes": MAX_WEBHOOK_BYTES})
            body, status = handlers.webhook(raw, request.headers.get("X-Pakasir-Signature"))
            return jsonify(body), status

    @app.get("/admin/stats")
    def admin_stats() -> tuple[Response, int]:
        if handlers.stats is None or not handlers.admin_token:
            raise ApiError(404, "not found")
        supplied = request.headers.get("Authorization", "")
        expected = f"Bearer {handlers.admin_token}"
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            raise ApiError(401, "missing or invalid admin token")
        return jsonify(handlers.stats()), 200

    return app


class WebServer:
    """waitress in a background thread, stoppable."""

    def __init__(self, app: Flask, host: str, port: int, threads: int = 4):
        self._sockets: dict = {}  # waitress's socket map, ours so stop() can close every connection
        self._server = create_server(app, map=self._sockets, host=host, port=port, threads=threads,
                                     ident="quickcart", clear_untrusted_proxy_headers=True,
                                     max_request_body_size=MAX_WEBHOOK_BYTES * 4)
        self._thread = threading.Thread(target=self._serve, name="web", daemon=True)

    @property
    def port(self) -> int:
        return self._server.effective_port

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            pass  # closed by stop()

    def stop(self) -> None:
        # Let requests in flight finish first: a worker that completes a
        # response after the close would write to a closed wake-up pipe.
        # Then close the listener and every idle keep-alive connection too,
        # or the serving loop would wait on them.
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        close_all(self._sockets, ignore_all=True)
        self._thread.join(5)

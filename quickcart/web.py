"""The HTTP side: Pakasir's webhook, /health, /admin/stats and /admin/export.csv (a Flask app).

Errors use the seed's shape ``{"error", "code", "details", "timestamp"}``.
A request never gets a traceback: one handler turns every error into that
shape, and unexpected ones are logged with the request's correlation id.
Refused requests (every 4xx) are counted, not logged one by one
(:mod:`quickcart.rejections`): the port is open to anyone who finds it.

The server that runs this app, hardened against slow and flooding
clients, is :mod:`quickcart.web_server`.
"""
from __future__ import annotations

import hmac
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from quickcart.lockout import FailureLockout
from quickcart.logging_setup import correlation, new_correlation_id
from quickcart.rejections import RejectLogs
from quickcart.timeutil import DayRange, iso_utc, jakarta_today, utcnow

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 64 * 1024
WEBHOOKS = "/webhooks/"  # + the gateway's name
STATS_PATH = "/admin/stats"
EXPORT_PATH = "/admin/export.csv"
EXPORTS = ("orders", "ledger")  # ?data=; orders (with their items) by default
REJECT_LOGS = "quickcart.rejects"  # the app's RejectLogs, in app.extensions


class ApiError(Exception):
    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_body(code: int, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message, "code": code}
    if details:
        body["details"] = details
    body["timestamp"] = iso_utc(utcnow())
    return body


def reject_source(path: str) -> str:
    """The name refusals on ``path`` are counted under in the log."""
    if path.startswith(WEBHOOKS):
        return "webhook"
    if path == STATS_PATH:
        return "admin/stats"
    if path == EXPORT_PATH:
        return "admin/export"
    return "http"


@dataclass
class WebHandlers:
    """What the web app calls into; each returns (JSON body, HTTP status)."""
    health: Callable[[], tuple[dict, int]]
    # The gateway's webhook: POST /webhooks/<gateway> with (raw body, request headers).
    webhook: Callable[[bytes, Mapping[str, str]], tuple[dict, int]] | None = None
    gateway: str = "pakasir"
    stats: Callable[[], dict] | None = None
    # An export as CSV text in pieces: (what, Jakarta days or None for everything).
    export: Callable[[str, DayRange | None], Iterator[str]] | None = None
    admin_token: str = ""


def export_period(first: str | None, last: str | None, today: date) -> DayRange | None:
    """``?from=&to=`` (``YYYY-MM-DD``, Jakarta days, both optional) as a range; ApiError 400 if malformed."""
    if not first and not last:
        return None
    try:
        start = date.fromisoformat(first) if first else date(2000, 1, 1)
        end = date.fromisoformat(last) if last else today
    except ValueError:
        raise ApiError(400, "from and to must be dates as YYYY-MM-DD") from None
    if start > end:
        raise ApiError(400, "from must not be after to")
    return DayRange(start, end)


def create_app(handlers: WebHandlers, rejects: RejectLogs | None = None,
               lockout: FailureLockout | None = None) -> Flask:
    app = Flask("quickcart")
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    rejects = rejects or RejectLogs()
    lockout = lockout or FailureLockout()
    app.extensions[REJECT_LOGS] = rejects

    def refused(code: int, message: str, details: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> tuple[Response, int]:
        if code < 500:
            rejects.count(reject_source(request.path), message)
        response = jsonify(error_body(code, message, details))
        response.headers.update(headers or {})
        return response, code

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response, int]:
        return refused(exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        code = exc.code or 500
        message = "request body too large" if code == 413 else (exc.name or "error").lower()
        return refused(code, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error_body(500, "internal error")), 500

    @app.get("/health")
    def health() -> tuple[Response, int]:
        body, status = handlers.health()
        return jsonify(body), status

    @app.post(WEBHOOKS + handlers.gateway)
    def pakasir_webhook() -> tuple[Response, int]:
        if handlers.webhook is None:
            raise ApiError(404, "not found")
        with correlation(new_correlation_id("whk")):
            length = request.content_length
            if length is not None and length > MAX_WEBHOOK_BYTES:
                raise ApiError(413, "request body too large", {"limit_bytes": MAX_WEBHOOK_BYTES})
            # The body is read as JSON whatever its Content-Type says: Pakasir's
            # documentation does not promise one, and a wrong one fails the parse anyway.
            raw = request.get_data(cache=False)
            if len(raw) > MAX_WEBHOOK_BYTES:
                raise ApiError(413, "request body too large", {"limit_bytes": MAX_WEBHOOK_BYTES})
            body, status = handlers.webhook(raw, request.headers)
            return jsonify(body), status

    def authorised(enabled: bool) -> None:
        """The admin token, with the lock-out after repeated misses; raises ApiError otherwise."""
        if not enabled or not handlers.admin_token:
            raise ApiError(404, "not found")
        client = request.remote_addr or "-"
        wait = lockout.locked_for(client)
        if wait > 0:
            # Not even checked while locked out, so a guess made now tells nothing.
            seconds = math.ceil(wait)
            raise ApiError(429, "too many failed attempts", {"retry_after_seconds": seconds},
                           {"Retry-After": str(seconds)})
        supplied = request.headers.get("Authorization", "")
        expected = f"Bearer {handlers.admin_token}"
        if not hmac.compare_digest(supplied.encode("utf-8", "replace"), expected.encode()):
            lockout.failed(client)
            raise ApiError(401, "missing or invalid admin token")
        lockout.succeeded(client)

    @app.get(STATS_PATH)
    def admin_stats() -> tuple[Response, int]:
        authorised(handlers.stats is not None)
        return jsonify(handlers.stats()), 200

    @app.get(EXPORT_PATH)
    def admin_export() -> Response:
        authorised(handlers.export is not None)
        what = request.args.get("data", "orders")
        if what not in EXPORTS:
            raise ApiError(400, "data must be orders or ledger")
        period = export_period(request.args.get("from"), request.args.get("to"), jakarta_today())
        span = f"{period.first}_{period.last}" if period else "all"
        # Streamed: the rows are read and written as the client takes them, never all held at once.
        return Response(handlers.export(what, period), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{what}-{span}.csv"'})

    return app

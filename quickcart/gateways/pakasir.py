"""Pakasir, the QRIS gateway: create, look up and cancel transactions.

The model implementation of :class:`quickcart.gateways.base.PaymentGateway`.

Every call has a timeout. Lookups and cancels are idempotent and are retried
with exponential backoff and jitter. Creating a transaction is not retried
blindly: when a create fails in a way that leaves us unsure (a timeout, a
dropped connection, a 5xx), we ask ``transactiondetail`` for that order id.
Not there → the create is tried once more; there → it is cancelled and the
checkout fails cleanly (its QR string is only returned by create, so it
cannot be shown).

``transactiondetail`` carries the api_key in its query string: URLs are
never logged here, and the HTTP libraries' loggers are kept quiet (see
:mod:`quickcart.logging_setup`).
"""
from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote

import requests

from quickcart.gateways.base import (
    COMPLETED,
    GatewayError,
    GatewayHealth,
    GatewayRejected,
    GatewayUnavailable,
    Payment,
    SettingSpec,
    TransactionNotFound,
    TransactionStatus,
    WebhookFields,
)
from quickcart.validation import http_url, non_empty

log = logging.getLogger(__name__)

MINIMUM_AMOUNT = 500  # Pakasir refuses transactions below Rp500
QUICK_TIMEOUT = 4.0  # for calls made by jobs, webhooks and button presses
PROBE_TIMEOUT = 3.0
PROBE_AGAIN_AFTER = 2.0  # while down, callers probe at most this often
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _project(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(f"must be the Pakasir project slug (letters, digits, - and _), got {value!r}")
    return value


# The [pakasir] section's own keys; quickcart.config adds the shared ones.
SETTINGS = {
    "project": SettingSpec(None, _project),
    "api_key": SettingSpec(None, non_empty, secret=True),
    "base_url": SettingSpec("https://app.pakasir.com", http_url),
}


_TIME_RE = re.compile(r"(?P<head>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})"
                      r"(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d{2}:?\d{2})?\Z")


def parse_time(value: object) -> datetime | None:
    """A Pakasir timestamp as naive UTC, or None if it is not one.

    Pakasir writes ``completed_at`` in Jakarta time with milliseconds
    (``2024-09-10T08:07:02.819+07:00``) and ``expired_at`` in UTC with
    nanoseconds (``2025-09-19T01:18:49.678622123Z``); Python takes at most
    microseconds, so the fraction is cut to six digits before parsing, and
    the zone is kept apart so that it is never mistaken for more digits.
    """
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"] or ""
    if zone == "Z":
        zone = "+00:00"
    elif zone and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        parsed = datetime.fromisoformat(f"{match['head'].replace(' ', 'T')}.{fraction}{zone}")
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise GatewayUnavailable(f"unexpected {name} in Pakasir answer")
    try:
        number = float(value)
    except ValueError:
        raise GatewayUnavailable(f"unexpected {name} in Pakasir answer") from None
    if number != int(number):
        raise GatewayUnavailable(f"non-integer {name} in Pakasir answer")
    return int(number)


def _error_text(body: object) -> str:
    """What Pakasir says went wrong: its errors carry ``message`` (some ``error``)."""
    if not isinstance(body, dict):
        return ""
    for key in ("message", "error"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key][:200]
    return ""


class PakasirGateway:
    """Pakasir (app.pakasir.com): QRIS transactions for one project."""

    name = "pakasir"
    title = "Pakasir"
    minimum_amount = MINIMUM_AMOUNT
    credential_names = ("project", "api_key")
    # Pakasir's webhook body is its transactiondetail shape.
    webhook_fields = WebhookFields(order_id="order_id", amount="amount", account="project", status="status",
                                   signature_header="X-Pakasir-Signature")

    def __init__(self, config, session: requests.Session | None = None, attempts: int = 3,
                 base_backoff: float = 0.3):
        """``config`` is the shop's payment configuration (``quickcart.config.PaymentConfig``)."""
        self._project = config.settings["project"]
        self._api_key = config.settings["api_key"]
        self._base = config.settings["base_url"].rstrip("/")
        self._timeout = config.timeout_seconds
        self._attempts = attempts
        self._base_backoff = base_backoff
        self._session = session or requests.Session()
        self.health = GatewayHealth("pakasir")

    @property
    def account(self) -> str:
        return self._project

    @property
    def location(self) -> str:
        return self._base

    def checkout_url(self, order_id: str, amount: int) -> str:
        """Pakasir's hosted payment page for this order (the "Checkout Page" button)."""
        return (f"{self._base}/pay/{quote(self._project)}/{amount}"
                f"?order_id={quote(order_id)}&qris_only=1")

    # --- low level --------------------------------------------------------

    def _send(self, method: str, endpoint: str, *, json_body: dict | None = None,
              params: dict | None = None, timeout: float | None = None) -> dict:
        """One HTTP call; returns the JSON body of a 2xx, raises our errors."""
        url = f"{self._base}/api/{endpoint}"
        try:
            response = self._session.request(method, url, json=json_body, params=params,
                                             timeout=timeout or self._timeout)
        except requests.exceptions.RequestException as exc:
            self.health.record(False)
            raise GatewayUnavailable(f"{endpoint}: {exc.__class__.__name__}") from None
        if response.status_code >= 500:
            self.health.record(False)
            raise GatewayUnavailable(f"{endpoint}: HTTP {response.status_code}")
        self.health.record(True)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = f"{endpoint}: HTTP {response.status_code}: {_error_text(body) or response.reason}"
            if response.status_code == 404:
                raise TransactionNotFound(message, 404)
            raise GatewayRejected(message, response.status_code)
        if not isinstance(body, dict):
            raise GatewayUnavailable(f"{endpoint}: answer is not a JSON object")
        return body

    def _with_retries(self, call: Callable[[], dict], what: str, attempts: int | None = None) -> dict:
        attempts = attempts or self._attempts
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except GatewayUnavailable as exc:
                if attempt == attempts:
                    raise
                delay = random.uniform(0.5, 1.0) * self._base_backoff * 2 ** (attempt - 1)
                log.warning("pakasir %s failed (%s); retry %d in %.2fs", what, exc, attempt, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _call_options(self, quick: bool) -> tuple[float, int]:
        """(timeout, attempts): a quick call is asked once with a short timeout.

        Jobs, webhooks and button presses use quick calls: each of them is
        asked again soon anyway (the next job run, Pakasir's retry, the next
        press), and a hanging gateway must not hold a lane or a job.
        """
        if quick:
            return min(self._timeout, QUICK_TIMEOUT), 1
        return self._timeout, self._attempts

    def _body(self, order_id: str, amount: int) -> dict:
        return {"project": self._project, "order_id": order_id, "amount": amount,
                "api_key": self._api_key}

    # --- API ----------------------------------------------------------------

    def create_qris(self, order_id: str, amount: int) -> Payment:
        """Create a QRIS transaction for ``amount`` (already including our fee)."""
        for attempt in (1, 2):
            try:
                body = self._send("POST", "transactioncreate/qris", json_body=self._body(order_id, amount))
            except GatewayUnavailable as exc:
                if attempt == 2 or not self._safe_to_create_again(order_id, amount):
                    raise
                log.warning("pakasir create for %s failed (%s); it was not created, trying once more",
                            order_id, exc)
                continue
            return self._parse_payment(body, order_id, amount)
        raise AssertionError("unreachable")

    def _safe_to_create_again(self, order_id: str, amount: int) -> bool:
        """After an unclear create failure: True if nothing was created."""
        try:
            self.detail(order_id, amount)
        except TransactionNotFound:
            return True
        except GatewayError:
            return False
        # It exists but we never saw its QR string: cancel it so it cannot be paid.
        try:
            self.cancel(order_id, amount)
        except GatewayError as exc:
            log.warning("pakasir cancel of half-created %s failed: %s", order_id, exc)
        return False

    def _parse_payment(self, body: dict, order_id: str, amount: int) -> Payment:
        payment = body.get("payment")
        if not isinstance(payment, dict):
            raise GatewayUnavailable("transactioncreate: answer has no payment")
        number = payment.get("payment_number")
        if not isinstance(number, str) or not number or len(number) > 1000:
            raise GatewayUnavailable("transactioncreate: answer has no usable payment_number")
        if str(payment.get("order_id")) != order_id or _int(payment.get("amount"), "amount") != amount:
            raise GatewayUnavailable("transactioncreate: answer is for another order or amount")
        fee = _int(payment.get("fee", 0), "fee")
        total = _int(payment.get("total_payment", amount), "total_payment")
        if total < amount:
            raise GatewayUnavailable("transactioncreate: total_payment below amount")
        return Payment(order_id=order_id, amount=amount, fee=fee, total_payment=total,
                       payment_number=number, expired_at=parse_time(payment.get("expired_at")),
                       gateway=self.name)

    def detail(self, order_id: str, amount: int, *, quick: bool = False) -> TransactionStatus:
        """The transaction as Pakasir sees it now.

        Raises :class:`TransactionNotFound` when Pakasir has no such
        transaction, :class:`GatewayUnavailable` when it could not be asked.
        """
        params = self._body(order_id, amount)
        timeout, attempts = self._call_options(quick)
        body = self._with_retries(lambda: self._send("GET", "transactiondetail", params=params, timeout=timeout),
                                  f"detail {order_id}", attempts)
        transaction = body.get("transaction")
        if not isinstance(transaction, dict):
            raise GatewayUnavailable("transactiondetail: answer has no transaction")
        return _parse_transaction(transaction)

    def cancel(self, order_id: str, amount: int, *, quick: bool = False) -> None:
        """Cancel a pending transaction so its QR can no longer be paid.

        Returns only when Pakasir says it cancelled; any other outcome raises,
        and a refusal may mean the transaction was paid a moment ago.
        """
        timeout, attempts = self._call_options(quick)
        body = self._with_retries(lambda: self._send("POST", "transactioncancel", timeout=timeout,
                                                     json_body=self._body(order_id, amount)),
                                  f"cancel {order_id}", attempts)
        transaction = body.get("transaction")
        if isinstance(transaction, dict) and str(transaction.get("status", "")).lower() == COMPLETED:
            raise GatewayRejected("transactioncancel: the transaction is completed", 400)

    def probe(self) -> bool:
        """Is Pakasir answering at all? (``GET /``, short timeout.)"""
        self.health.last_probe = time.monotonic()
        try:
            response = self._session.get(self._base + "/", timeout=min(PROBE_TIMEOUT, self._timeout))
        except requests.exceptions.RequestException:
            self.health.record(False)
            return False
        ok = response.status_code < 500
        self.health.record(ok)
        return ok

    def available(self) -> bool:
        """Worth calling now? Up, or answering a short probe.

        While Pakasir is known to be down, callers do not wait on it: at
        most one short probe every couple of seconds, then a clear "no".
        """
        if self.health.up:
            return True
        if time.monotonic() - self.health.last_probe < PROBE_AGAIN_AFTER:
            return False
        return self.probe()


def _parse_transaction(transaction: dict) -> TransactionStatus:
    """The ``transaction`` object of detail and webhooks; unknown fields (``is_sandbox``) are ignored."""
    return TransactionStatus(
        account=str(transaction.get("project", "")),
        order_id=str(transaction.get("order_id", "")),
        amount=_int(transaction.get("amount"), "amount"),
        status=str(transaction.get("status", "")).lower(),
        completed_at=parse_time(transaction.get("completed_at")),
    )

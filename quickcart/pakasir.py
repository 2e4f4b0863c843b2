"""Pakasir, the QRIS gateway: create, look up and cancel transactions.

Every call has a timeout. Lookups and cancels are idempotent and are retried
with exponential backoff and jitter. Creating a transaction is not retried
blindly: when a create fails in a way that leaves us unsure (a timeout, a
dropped connection, a 5xx), we ask ``transactiondetail`` for that order id.
Not there → the create is tried once more; there → it is cancelled and the
checkout fails cleanly (its QR string is only returned by create, so it
cannot be shown).

:class:`GatewayHealth` turns call outcomes into an up/down state that flips
once per change and tells a listener (the admin notice) when it does.

``transactiondetail`` carries the api_key in its query string: URLs are
never logged here, and the HTTP libraries' loggers are kept quiet (see
:mod:`quickcart.logging_setup`).
"""
from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

import requests

from quickcart.config import PakasirConfig

log = logging.getLogger(__name__)

COMPLETED = "completed"
PENDING = "pending"
# Statuses after which the transaction can no longer be paid. Anything else
# Pakasir might say (a status we do not know) is read as "unknown", never as
# "not paid".
UNPAYABLE = frozenset({"canceled", "cancelled", "expired", "failed"})
MINIMUM_AMOUNT = 500  # Pakasir refuses transactions below Rp500
QUICK_TIMEOUT = 4.0  # for calls made by jobs, webhooks and button presses
PROBE_TIMEOUT = 3.0
PROBE_AGAIN_AFTER = 2.0  # while down, callers probe at most this often


class PakasirError(Exception):
    """A Pakasir call failed."""


class PakasirUnavailable(PakasirError):
    """Pakasir did not answer usefully (network, timeout, 5xx): try later."""


class PakasirRejected(PakasirError):
    """Pakasir refused the request (4xx): retrying the same call will not help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class TransactionNotFound(PakasirRejected):
    """No transaction with that project, order id and amount."""


@dataclass(frozen=True)
class Payment:
    """A created QRIS transaction."""
    order_id: str
    amount: int
    fee: int
    total_payment: int
    payment_number: str
    expired_at: datetime | None  # naive UTC


@dataclass(frozen=True)
class TransactionStatus:
    project: str
    order_id: str
    amount: int
    status: str
    completed_at: datetime | None  # naive UTC

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def payable(self) -> bool:
        """Still open: the customer can pay it (so it can still be cancelled)."""
        return self.status == PENDING

    @property
    def unpayable(self) -> bool:
        """Closed at Pakasir without payment: it can no longer be paid."""
        return self.status in UNPAYABLE


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
        raise PakasirUnavailable(f"unexpected {name} in Pakasir answer")
    try:
        number = float(value)
    except ValueError:
        raise PakasirUnavailable(f"unexpected {name} in Pakasir answer") from None
    if number != int(number):
        raise PakasirUnavailable(f"non-integer {name} in Pakasir answer")
    return int(number)


def _error_text(body: object) -> str:
    """What Pakasir says went wrong: its errors carry ``message`` (some ``error``)."""
    if not isinstance(body, dict):
        return ""
    for key in ("message", "error"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key][:200]
    return ""


class GatewayHealth:
    """Up or down, flipping once per change; ``listener(up)`` hears each flip."""

    def __init__(self, failures_to_down: int = 2):
        self._failures_to_down = failures_to_down
        self._failures = 0
        self._up = True
        self._lock = threading.Lock()
        self.last_change = time.monotonic()
        self.last_probe = 0.0
        self.last_ok = 0.0
        self.listener: Callable[[bool], None] | None = None

    @property
    def up(self) -> bool:
        with self._lock:
            return self._up

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.last_ok = time.monotonic()
                self._failures = 0
                changed = not self._up
                self._up = True
            else:
                self._failures += 1
                changed = self._up and self._failures >= self._failures_to_down
                if changed:
                    self._up = False
            if changed:
                self.last_change = time.monotonic()
            up = self._up
        if changed:
            log.warning("pakasir is %s", "back up" if up else "DOWN")
            if self.listener is not None:
                self.listener(up)


class PakasirClient:
    def __init__(self, config: PakasirConfig, session: requests.Session | None = None,
                 attempts: int = 3, base_backoff: float = 0.3):
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._timeout = config.timeout_seconds
        self._attempts = attempts
        self._base_backoff = base_backoff
        self._session = session or requests.Session()
        self.health = GatewayHealth()

    @property
    def project(self) -> str:
        return self._config.project

    def checkout_url(self, order_id: str, amount: int) -> str:
        """Pakasir's hosted payment page for this order (the "Checkout Page" button)."""
        return (f"{self._base}/pay/{quote(self._config.project)}/{amount}"
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
            raise PakasirUnavailable(f"{endpoint}: {exc.__class__.__name__}") from None
        if response.status_code >= 500:
            self.health.record(False)
            raise PakasirUnavailable(f"{endpoint}: HTTP {response.status_code}")
        self.health.record(True)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = f"{endpoint}: HTTP {response.status_code}: {_error_text(body) or response.reason}"
            if response.status_code == 404:
                raise TransactionNotFound(message, 404)
            raise PakasirRejected(message, response.status_code)
        if not isinstance(body, dict):
            raise PakasirUnavailable(f"{endpoint}: answer is not a JSON object")
        return body

    def _with_retries(self, call: Callable[[], dict], what: str, attempts: int | None = None) -> dict:
        attempts = attempts or self._attempts
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except PakasirUnavailable as exc:
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
        return {"project": self._config.project, "order_id": order_id, "amount": amount,
                "api_key": self._config.api_key}

    # --- API ----------------------------------------------------------------

    def create_qris(self, order_id: str, amount: int) -> Payment:
        """Create a QRIS transaction for ``amount`` (already including our fee)."""
        for attempt in (1, 2):
            try:
                body = self._send("POST", "transactioncreate/qris", json_body=self._body(order_id, amount))
            except PakasirUnavailable as exc:
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
        except PakasirError:
            return False
        # It exists but we never saw its QR string: cancel it so it cannot be paid.
        try:
            self.cancel(order_id, amount)
        except PakasirError as exc:
            log.warning("pakasir cancel of half-created %s failed: %s", order_id, exc)
        return False

    def _parse_payment(self, body: dict, order_id: str, amount: int) -> Payment:
        payment = body.get("payment")
        if not isinstance(payment, dict):
            raise PakasirUnavailable("transactioncreate: answer has no payment")
        number = payment.get("payment_number")
        if not isinstance(number, str) or not number or len(number) > 1000:
            raise PakasirUnavailable("transactioncreate: answer has no usable payment_number")
        if str(payment.get("order_id")) != order_id or _int(payment.get("amount"), "amount") != amount:
            raise PakasirUnavailable("transactioncreate: answer is for another order or amount")
        fee = _int(payment.get("fee", 0), "fee")
        total = _int(payment.get("total_payment", amount), "total_payment")
        if total < amount:
            raise PakasirUnavailable("transactioncreate: total_payment below amount")
        return Payment(order_id=order_id, amount=amount, fee=fee, total_payment=total,
                       payment_number=number, expired_at=parse_time(payment.get("expired_at")))

    def detail(self, order_id: str, amount: int, *, quick: bool = False) -> TransactionStatus:
        """The transaction as Pakasir sees it now.

        Raises :class:`TransactionNotFound` when Pakasir has no such
        transaction, :class:`PakasirUnavailable` when it could not be asked.
        """
        params = self._body(order_id, amount)
        timeout, attempts = self._call_options(quick)
        body = self._with_retries(lambda: self._send("GET", "transactiondetail", params=params, timeout=timeout),
                                  f"detail {order_id}", attempts)
        transaction = body.get("transaction")
        if not isinstance(transaction, dict):
            raise PakasirUnavailable("transactiondetail: answer has no transaction")
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
            raise PakasirRejected("transactioncancel: the transaction is completed", 400)

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
        project=str(transaction.get("project", "")),
        order_id=str(transaction.get("order_id", "")),
        amount=_int(transaction.get("amount"), "amount"),
        status=str(transaction.get("status", "")).lower(),
        completed_at=parse_time(transaction.get("completed_at")),
    )

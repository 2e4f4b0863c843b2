"""What every payment gateway offers the shop, in the shop's terms.

A gateway creates a QRIS transaction for an order, says what state it is in,
cancels it, and says whether it can be reached. Its errors are typed by what
they tell about the money:

- :class:`TransactionNotFound`: the gateway has no such transaction (it can
  never be paid);
- :class:`GatewayRejected`: the gateway refused the request (4xx); retrying
  the same call will not help, and it says nothing about whether money moved;
- :class:`GatewayUnavailable`: no useful answer (network, timeout, 5xx):
  nothing is known.

:class:`GatewayHealth` turns call outcomes into an up/down state that flips
once per change and tells a listener (the admin notice) when it does.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)

COMPLETED = "completed"
PENDING = "pending"
# Statuses after which a transaction can no longer be paid. Anything else a
# gateway might say (a status we do not know) is read as "unknown", never as
# "not paid".
UNPAYABLE = frozenset({"canceled", "cancelled", "expired", "failed"})


class GatewayError(Exception):
    """A gateway call failed."""


class GatewayUnavailable(GatewayError):
    """The gateway did not answer usefully (network, timeout, 5xx): try later."""


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx): retrying the same call will not help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class TransactionNotFound(GatewayRejected):
    """No transaction with that order id and amount."""


@dataclass(frozen=True)
class Payment:
    """A created QRIS transaction."""
    order_id: str
    amount: int
    fee: int
    total_payment: int  # what the QR charges the customer
    payment_number: str  # the QRIS string the QR encodes
    expired_at: datetime | None  # naive UTC
    gateway: str = ""  # the name of the gateway that made it


@dataclass(frozen=True)
class TransactionStatus:
    account: str  # the merchant account (Pakasir: project) the transaction belongs to
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
        """Closed at the gateway without payment: it can no longer be paid."""
        return self.status in UNPAYABLE


@dataclass(frozen=True)
class WebhookFields:
    """Where a gateway's webhook keeps what the shop needs: the names of its JSON fields,
    and the header that carries the optional HMAC signature (see :mod:`quickcart.webhook`)."""
    order_id: str
    amount: str
    account: str
    status: str
    signature_header: str = "X-Signature"


class GatewayHealth:
    """Up or down, flipping once per change; ``listener(up)`` hears each flip."""

    def __init__(self, name: str = "gateway", failures_to_down: int = 2):
        self._name = name
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
            if up:
                log.warning("%s is back up", self._name)
            else:
                log.warning("%s is DOWN", self._name)
            if self.listener is not None:
                self.listener(up)


@dataclass(frozen=True)
class SettingSpec:
    """One key of a gateway's config section: its default (None = required) and how to read it."""
    default: str | None
    convert: Callable[[str], object]
    secret: bool = False


class PaymentGateway(Protocol):
    """A QRIS payment gateway. :mod:`quickcart.gateways.pakasir` is the model implementation."""

    name: str  # its config section and webhook path: /webhooks/<name>
    title: str  # how admins and customers know it: "Pakasir"
    account: str  # our merchant account there: transactions for any other are not ours
    location: str  # where it is reached (its base URL), for the owner's checks
    credential_names: tuple[str, str]  # what it calls the account and the secret: ("project", "api_key")
    minimum_amount: int  # the smallest amount it accepts
    webhook_fields: WebhookFields
    health: GatewayHealth

    def create_qris(self, order_id: str, amount: int) -> Payment:
        """Create a transaction for ``amount``; never blindly retried (see the Pakasir module)."""

    def detail(self, order_id: str, amount: int, *, quick: bool = False) -> TransactionStatus:
        """The transaction as the gateway sees it now (``quick``: one short attempt)."""

    def cancel(self, order_id: str, amount: int, *, quick: bool = False) -> None:
        """Cancel a payable transaction; returns only when the gateway says it did."""

    def probe(self) -> bool:
        """Is it answering at all? (A short call that records health.)"""

    def available(self) -> bool:
        """Worth calling now? Up, or answering one short probe."""

    def checkout_url(self, order_id: str, amount: int) -> str:
        """The gateway's hosted payment page for this order."""


# A gateway module declares its config section: {key: SettingSpec}; the
# shared keys (fees, QR lifetime, polling, timeout, webhook secret) are added
# by quickcart.config for every gateway.
Settings = Mapping[str, SettingSpec]

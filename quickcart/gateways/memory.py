"""A gateway held in memory, for unit tests of the payment domain: no sockets, no threads.

It keeps transactions in a dict and lets a test play the customer
(:meth:`MemoryGateway.pay`), break the gateway (:attr:`MemoryGateway.down`),
race a cancel (:meth:`MemoryGateway.before_next_cancel`) or misreport an
answer (:meth:`MemoryGateway.misreport`). It follows the same rules as the
Pakasir stand-in: cancel of a completed transaction is refused, a created
transaction is payable until paid, cancelled or expired.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from quickcart.gateways.base import (
    GatewayHealth,
    GatewayRejected,
    GatewayUnavailable,
    Payment,
    TransactionNotFound,
    TransactionStatus,
    WebhookFields,
)
from quickcart.timeutil import utcnow


@dataclass(frozen=True)
class _Transaction:
    order_id: str
    amount: int
    status: str = "pending"
    account: str = "memory-shop"


class MemoryGateway:
    name = "memory"
    title = "Memory"
    minimum_amount = 500
    location = "memory"
    credential_names = ("account", "key")
    webhook_fields = WebhookFields(order_id="order_id", amount="amount", account="account", status="status")

    def __init__(self, account: str = "memory-shop", fee: Callable[[int], int] = lambda amount: 0):
        self.account = account
        self.health = GatewayHealth("memory")
        self.down = False
        self.unreachable: set[str] = set()  # order ids whose calls time out, as in a partial outage
        self.calls: list[tuple[str, str]] = []  # (call, order id), for tests
        self._fee = fee
        self._transactions: dict[str, _Transaction] = {}
        self._misreports: dict[str, dict[str, Any]] = {}
        self._before_cancel: list[Callable[[], object]] = []
        self._lock = threading.RLock()  # the payment jobs call from several threads

    # --- what a test does ------------------------------------------------------

    def pay(self, order_id: str) -> None:
        """The customer pays (also after a cancel or expiry: a late payment)."""
        with self._lock:
            self._transactions[order_id] = replace(self._transactions[order_id], status="completed")

    def expire(self, order_id: str) -> None:
        with self._lock:
            self._transactions[order_id] = replace(self._transactions[order_id], status="expired")

    def status(self, order_id: str) -> str | None:
        found = self._transactions.get(order_id)
        return found.status if found else None

    def misreport(self, order_id: str, **fields: Any) -> None:
        """Make detail answer other values (``amount``, ``account``, ``order_id``)."""
        self._misreports[order_id] = fields

    def before_next_cancel(self, action: Callable[[], object]) -> None:
        self._before_cancel.append(action)

    # --- the gateway --------------------------------------------------------------

    def _call(self, what: str, order_id: str) -> None:
        self.calls.append((what, order_id))
        if self.down or order_id in self.unreachable:
            self.health.record(False)
            raise GatewayUnavailable(f"{what}: down")
        self.health.record(True)

    def _find(self, order_id: str, amount: int) -> _Transaction:
        found = self._transactions.get(order_id)
        if found is None:
            raise TransactionNotFound(f"{order_id}: not found", 404)
        if found.amount != amount:
            raise GatewayRejected("amount does not match the transaction", 400)
        return found

    def create_qris(self, order_id: str, amount: int) -> Payment:
        with self._lock:
            self._call("create", order_id)
            if amount < self.minimum_amount:
                raise GatewayRejected(f"minimum amount is {self.minimum_amount}", 400)
            if order_id in self._transactions:
                raise GatewayRejected("duplicate order_id", 400)
            self._transactions[order_id] = _Transaction(order_id, amount, account=self.account)
            fee = self._fee(amount)
            return Payment(order_id=order_id, amount=amount, fee=fee, total_payment=amount,
                           payment_number=f"00020101021226{order_id}{amount}",
                           expired_at=utcnow() + timedelta(hours=1), gateway=self.name)

    def detail(self, order_id: str, amount: int, *, quick: bool = False) -> TransactionStatus:
        with self._lock:
            self._call("detail", order_id)
            found = self._find(order_id, amount)
            shown = {"account": found.account, "order_id": found.order_id, "amount": found.amount,
                     "status": found.status, **self._misreports.get(order_id, {})}
            return TransactionStatus(completed_at=utcnow() if shown["status"] == "completed" else None, **shown)

    def cancel(self, order_id: str, amount: int, *, quick: bool = False) -> None:
        with self._lock:
            if self._before_cancel:
                self._before_cancel.pop(0)()
            self._call("cancel", order_id)
            found = self._find(order_id, amount)
            if found.status not in ("pending", "canceled"):
                raise GatewayRejected(f"transaction already {found.status}", 400)
            self._transactions[order_id] = replace(found, status="canceled")

    def probe(self) -> bool:
        self.health.record(not self.down)
        return not self.down

    def available(self) -> bool:
        return self.health.up or self.probe()

    def checkout_url(self, order_id: str, amount: int) -> str:
        return f"https://memory.invalid/pay/{order_id}/{amount}"

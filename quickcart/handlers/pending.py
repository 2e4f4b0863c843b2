"""What a button offered, remembered for a while: an admin's confirmation, a customer's accepted terms.

Both are kept in memory, bounded and expiring (a restart forgets them: the
button then answers that it is no longer valid, and the customer is shown
the terms again). Each is keyed by its owner and the one-time nonce its
button carries, so a button works only for the person it was sent to.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from quickcart.callbacks import new_nonce

CONFIRM_TTL_SECONDS = 600
TERMS_TTL_SECONDS = 3600

Value = TypeVar("Value")


class Expiring(Generic[Value]):
    """A bounded map whose entries expire; the oldest go first when it is full."""

    def __init__(self, ttl_seconds: float, max_items: int = 10_000):
        self._items: OrderedDict[tuple, tuple[Value, float]] = OrderedDict()
        self._ttl = ttl_seconds
        self._max = max_items
        self._lock = threading.Lock()

    def put(self, key: tuple, value: Value) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (value, time.monotonic() + self._ttl)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def get(self, key: tuple) -> Value | None:
        with self._lock:
            return self._live(key, remove=False)

    def pop(self, key: tuple) -> Value | None:
        """Take the entry: whoever pops it first has it, once."""
        with self._lock:
            return self._live(key, remove=True)

    def _live(self, key: tuple, remove: bool) -> Value | None:
        found = self._items.get(key)
        if found is None:
            return None
        value, deadline = found
        if deadline < time.monotonic():
            del self._items[key]
            return None
        if remove:
            del self._items[key]
        return value


@dataclass(frozen=True)
class Confirmation:
    """An admin action waiting for its confirmation button: ``action`` names it, the rest is what it acts on."""
    action: str  # "clearstock" or "delproduct"
    product_id: int
    up_to_line_id: int | None = None  # /clearstock: lines added after the question are kept


class Confirmations:
    """One-time confirmation buttons, each owned by the admin it was sent to."""

    def __init__(self) -> None:
        self._waiting: Expiring[Confirmation] = Expiring(CONFIRM_TTL_SECONDS)

    def offer(self, admin_id: int, confirmation: Confirmation) -> str:
        nonce = new_nonce()
        self._waiting.put((admin_id, nonce), confirmation)
        return nonce

    def claim(self, admin_id: int, nonce: str) -> Confirmation | None:
        """The confirmation, the first time its owner presses; None for anyone else, or after."""
        return self._waiting.pop((admin_id, nonce))


class AcceptedTerms:
    """Which checkouts accepted which product's terms (by the nonce their payment buttons carry)."""

    def __init__(self) -> None:
        self._accepted: Expiring[tuple[int, str]] = Expiring(TERMS_TTL_SECONDS)

    def accept(self, user_id: int, nonce: str, product_id: int, terms_digest: str) -> None:
        self._accepted.put((user_id, nonce), (product_id, terms_digest))

    def holds(self, user_id: int, nonce: str, product_id: int, terms_digest: str) -> bool:
        return self._accepted.get((user_id, nonce)) == (product_id, terms_digest)

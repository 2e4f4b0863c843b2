"""Failed-attempt lock-out per client: a few free tries, then exponentially longer waits.

``GET /admin/stats`` is guarded by a token. Without a limit a stranger can
try thousands of tokens a second; with this one, the ``FAILURES_BEFORE_LOCK``-th
failure locks the client out for ``FIRST_LOCK_SECONDS`` (the ones before cost
nothing: an owner mistyping), and each failure after that for twice as long
as the last, up to an hour: a day of guessing buys a few dozen tries. While locked out the
token is not even checked, so the answer tells nothing. A success forgets
the client's failures; so do ``FORGET_AFTER`` seconds without one.

Memory stays bounded: at most ``max_clients`` are remembered, the least
recently failing forgotten first.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

FAILURES_BEFORE_LOCK = 5
FIRST_LOCK_SECONDS = 10.0
MAX_LOCK_SECONDS = 3600.0
FORGET_AFTER = 24 * 3600.0


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class FailureLockout:
    def __init__(self, failures_before_lock: int = FAILURES_BEFORE_LOCK, first_lock: float = FIRST_LOCK_SECONDS,
                 max_lock: float = MAX_LOCK_SECONDS, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self._before_lock = failures_before_lock
        self._first_lock = first_lock
        self._max_lock = max_lock
        self._max_clients = max_clients
        self._clock = clock
        self._records: OrderedDict[Hashable, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def locked_for(self, client: Hashable) -> float:
        """Seconds ``client`` must still wait before its next try (0 when it may try now)."""
        with self._lock:
            record = self._records.get(client)
            if record is None:
                return 0.0
            now = self._clock()
            if now - record.last_failure > FORGET_AFTER:
                del self._records[client]
                return 0.0
            return max(0.0, record.locked_until - now)

    def failed(self, client: Hashable) -> float:
        """Record a failed try; returns the lock-out it earned in seconds (0 before the lock-outs start)."""
        with self._lock:
            now = self._clock()
            record = self._records.pop(client, None)
            if record is None or now - record.last_failure > FORGET_AFTER:
                record = _Record()
            self._records[client] = record  # most recent last
            while len(self._records) > self._max_clients:
                self._records.popitem(last=False)
            record.failures += 1
            record.last_failure = now
            over = record.failures - self._before_lock
            if over < 0:
                return 0.0
            lock = min(self._first_lock * 2 ** min(over, 32), self._max_lock)
            record.locked_until = now + lock
            return lock

    def succeeded(self, client: Hashable) -> None:
        with self._lock:
            self._records.pop(client, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

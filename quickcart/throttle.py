"""Flood limits: N events a minute per key, with one notice per window.

Fixed one-minute windows keep the state to three numbers per active key;
keys whose window has passed are swept out, so memory stays bounded by the
number of users active in the last minute, whatever the total.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    notify: bool  # refused, and this is the first refusal of the window


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 200_000,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._clock = clock
        # key -> [window_start, count, notified]; ordered by window_start
        self._windows: OrderedDict[Hashable, list] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: Hashable, limit: int | None = None) -> Verdict:
        limit = self.limit if limit is None else limit
        with self._lock:
            now = self._clock()
            self._sweep(now)
            state = self._windows.get(key)
            if state is None or now - state[0] >= self.window:
                self._windows.pop(key, None)
                state = [now, 0, False]
                self._windows[key] = state
            state[1] += 1
            if state[1] <= limit:
                return Verdict(True, False)
            notify = not state[2]
            state[2] = True
            return Verdict(False, notify)

    def __len__(self) -> int:
        with self._lock:
            return len(self._windows)

    def _sweep(self, now: float) -> None:
        while self._windows:
            key, state = next(iter(self._windows.items()))
            if now - state[0] < self.window and len(self._windows) <= self._max_keys:
                break
            del self._windows[key]

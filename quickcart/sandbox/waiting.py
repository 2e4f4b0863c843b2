"""Waiting on a stand-in's state from a test, with a deadline and no fixed sleeps."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

RECHECK_SECONDS = 0.05  # also re-check this often, for conditions on time or on another process


def wait_for(cond: threading.Condition, version: Callable[[], int], predicate: Callable[[], T],
             timeout: float, report: Callable[[], str]) -> T:
    """Return the first truthy ``predicate()``, re-evaluated whenever ``version()`` changes.

    ``version`` is read under ``cond``, which the stand-in notifies on every
    change. After ``timeout`` seconds raise AssertionError with ``report()``.
    """
    deadline = time.monotonic() + timeout
    while True:
        with cond:
            seen = version()
        value = predicate()  # outside the lock: it may look at the bot's database
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(report())
        with cond:
            if version() == seen:
                cond.wait(min(remaining, RECHECK_SECONDS))

"""Refused requests, logged as counts: one line per source a minute, not one per request.

A stranger on the internet can send thousands of bad requests a second. A
line for each would fill the disk and push the real payment lines out of
journald's rate limit, so each source (the webhook, /admin/stats, the HTTP
layer) counts its refusals by kind. The first refusal after a quiet spell
is logged at once, so an owner setting up a webhook sees its problem
immediately; the rest of that minute is summed up in one line when the
minute is over::

    webhook: 1 rejected (wrong project)
    webhook: 312 rejected in the last minute (malformed JSON 300, unknown order 12)

A source that keeps being refused writes one line a minute; one that falls
quiet writes nothing more.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)

SUMMARY_SECONDS = 60.0
MAX_KINDS = 20  # kinds are our own error names, but a bound costs nothing

# Runs ``callback`` once after ``seconds``; a daemon timer in the shop, a fake in tests.
Schedule = Callable[[float, Callable[[], None]], None]


def _daemon_timer(seconds: float, callback: Callable[[], None]) -> None:
    timer = threading.Timer(seconds, callback)
    timer.daemon = True
    timer.start()


class RejectLog:
    """Counts the refusals of one source and logs them as one summary a minute."""

    def __init__(self, source: str, logger: logging.Logger = log, interval: float = SUMMARY_SECONDS,
                 schedule: Schedule = _daemon_timer):
        self.source = source
        self._logger = logger
        self._interval = interval
        self._schedule = schedule
        self._counts: Counter[str] = Counter()
        self._window_open = False
        self._lock = threading.Lock()
        self.total = 0

    def count(self, kind: str) -> None:
        """Record one refused request of ``kind`` (a short fixed phrase, never request data)."""
        with self._lock:
            self.total += 1
            if self._window_open:
                if kind in self._counts or len(self._counts) < MAX_KINDS:
                    self._counts[kind] += 1
                else:
                    self._counts["other"] += 1
                return
            self._window_open = True
        self._logger.warning("%s: 1 rejected (%s)", self.source, kind)
        self._schedule(self._interval, self._end_window)

    def flush(self) -> None:
        """Write what has been counted and not yet written (at shutdown)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        self._write(counts)

    def _end_window(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            # A flood that goes on keeps a window open, so it keeps writing one line a minute.
            self._window_open = bool(counts)
        self._write(counts)
        if counts:
            self._schedule(self._interval, self._end_window)

    def _write(self, counts: Counter[str]) -> None:
        if not counts:
            return
        kinds = ", ".join(f"{kind} {number}" for kind, number in counts.most_common())
        self._logger.warning("%s: %d rejected in the last minute (%s)", self.source,
                             sum(counts.values()), kinds)


class RejectLogs:
    """The shop's reject logs by source, created on first use."""

    def __init__(self, schedule: Schedule = _daemon_timer):
        self._schedule = schedule
        self._logs: dict[str, RejectLog] = {}
        self._lock = threading.Lock()

    def count(self, source: str, kind: str) -> None:
        self.source(source).count(kind)

    def source(self, source: str) -> RejectLog:
        with self._lock:
            reject_log = self._logs.get(source)
            if reject_log is None:
                reject_log = self._logs[source] = RejectLog(source, schedule=self._schedule)
            return reject_log

    def flush(self) -> None:
        with self._lock:
            logs = list(self._logs.values())
        for reject_log in logs:
            reject_log.flush()

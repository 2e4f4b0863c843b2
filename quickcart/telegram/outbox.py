"""Replies a handler does not need to wait for, sent in order per chat.

A handler that sends a greeting or a menu has nothing more to do with the
message, but sending it can wait a while behind Telegram's limits in a rush.
Posting it here lets the handler's lane move on to the next customer's
update at once. Each chat's messages go out in the order they were posted
(a chat is always served by the same worker); failures are logged by the
sender and never reach the handler.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from quickcart.logging_setup import correlation, current_correlation_id
from quickcart.telegram.pacing import current_priority, sending_priority

log = logging.getLogger(__name__)

_STOP = object()


class Outbox:
    def __init__(self, workers: int = 8):
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(workers)]
        self._threads = [threading.Thread(target=self._work, args=(q,), name=f"outbox-{i}", daemon=True)
                         for i, q in enumerate(self._queues)]
        self._started = False

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        self._started = True

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is posted, then stop (within ``timeout`` in all)."""
        if not self._started:
            return
        for q in self._queues:
            q.put(_STOP)
        for thread in self._threads:
            thread.join(timeout / len(self._threads))

    def post(self, chat_id: int, send: Callable[[], object]) -> None:
        """Run ``send`` soon, after the chat's earlier posts, with the caller's priority and log tag."""
        job = (send, current_correlation_id(), current_priority())
        if not self._started:
            self._run(job)  # not running (a command-line tool): just send now
            return
        self._queues[chat_id % len(self._queues)].put(job)

    def pending(self) -> int:
        return sum(q.qsize() for q in self._queues)

    def _work(self, jobs: queue.Queue) -> None:
        while True:
            job = jobs.get()
            if job is _STOP:
                return
            self._run(job)

    @staticmethod
    def _run(job: tuple[Callable[[], object], str, int]) -> None:
        send, cid, priority = job
        with correlation(cid), sending_priority(priority):
            try:
                send()
            except Exception:  # the sender already logged it; a worker must never die
                log.debug("posted send failed", exc_info=True)

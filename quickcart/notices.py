"""Notices to the admins: sales, Pakasir down/up, low stock, mismatches, errors.

Notices go out from a background thread, so the payment path never waits
on Telegram's per-chat pacing for admin chats. Admins who never started the
bot (or blocked it) are skipped after the first 403. Error notices are
throttled: the first goes at once, later ones within the quiet period are
counted and summarised in the next, so a storm is one notice every few
minutes, not hundreds.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

from quickcart import texts
from quickcart.telegram.sender import BotBlocked, Sender, TelegramError

log = logging.getLogger(__name__)

_STOP = object()


class AdminNotifier:
    def __init__(self, sender: Sender, admin_ids: Iterable[int], error_quiet_seconds: float = 300.0,
                 is_reachable: Callable[[int], bool] | None = None, max_queue: int = 1000):
        self._sender = sender
        self._admin_ids = tuple(sorted(admin_ids))
        self._quiet = error_quiet_seconds
        self._is_reachable = is_reachable or (lambda _admin_id: True)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="admin-notices", daemon=True)
        self._error_lock = threading.Lock()
        self._last_error_notice = float("-inf")
        self._errors_since = 0
        self._last_error_summary = ""
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (within ``timeout``), then stop."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def notify(self, text: str) -> None:
        """Queue ``text`` (Telegram HTML) for every admin."""
        if not self._admin_ids:
            return
        try:
            self._queue.put_nowait(text)
        except queue.Full:
            log.error("admin notice queue full; notice dropped")

    def error(self, summary: str) -> None:
        """Report an unexpected error, throttled to one notice per quiet period."""
        with self._error_lock:
            self._errors_since += 1
            self._last_error_summary = summary
            now = time.monotonic()
            if now - self._last_error_notice < self._quiet:
                return
            count, self._errors_since = self._errors_since, 0
            self._last_error_notice = now
        self.notify(texts.notice_error(summary, count))

    def flush_errors(self) -> None:
        """Send the summary of errors held back by the throttle (scheduler job)."""
        with self._error_lock:
            if not self._errors_since or time.monotonic() - self._last_error_notice < self._quiet:
                return
            count, self._errors_since = self._errors_since, 0
            summary = self._last_error_summary
            self._last_error_notice = time.monotonic()
        self.notify(texts.notice_error(summary, count))

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is _STOP:
                return
            for admin_id in self._admin_ids:
                if not self._is_reachable(admin_id):
                    continue
                try:
                    self._sender.send_text(admin_id, text)
                    self.sent += 1
                except BotBlocked:
                    log.warning("admin %s has not started the bot (or blocked it); notice skipped", admin_id)
                except TelegramError as exc:
                    log.warning("admin notice to %s failed: %s", admin_id, exc.description)
                except Exception:
                    log.exception("admin notice to %s failed", admin_id)

"""Notices to the admins: sales, Pakasir down/up, low stock, mismatches, errors.

Notices go out from a background thread, so the payment path never waits
on Telegram's per-chat pacing for admin chats. Telegram lets the bot send
an admin about one message a second, so when notices arrive faster (a busy
sales hour) those waiting are joined into one message, up to Telegram's
length limit, instead of queueing for minutes. Admins who never started the
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
BATCH_CHARS = 3500  # joined notices stay well under Telegram's 4096


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
        self._held: str | None = None

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

    def _next_batch(self) -> tuple[str | None, bool]:
        """Wait for a notice, then join whatever else is already waiting.

        Returns ``(text, stop)``; ``text`` is None when there is nothing to send.
        """
        first = self._held if self._held is not None else self._queue.get()
        self._held = None
        if first is _STOP:
            return None, True
        parts, size = [first], len(first)
        while True:
            try:
                following = self._queue.get_nowait()
            except queue.Empty:
                return "\n\n".join(parts), False
            if following is _STOP:
                return "\n\n".join(parts), True
            if size + len(following) > BATCH_CHARS:
                self._held = following  # starts the next message, keeping the order
                return "\n\n".join(parts), False
            parts.append(following)
            size += len(following) + 2

    def _run(self) -> None:
        while True:
            text, stop = self._next_batch()
            if text is not None:
                self._send_to_admins(text)
            if stop:
                return

    def _send_to_admins(self, text: str) -> None:
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
            except Exception:  # the notice thread must survive anything
                log.exception("admin notice to %s failed", admin_id)

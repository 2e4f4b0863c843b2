"""Broadcasts: one admin message to every reachable user, in the background.

Reachable means registered, not banned, and not known to have blocked the
bot. Users are read in pages by id, so someone who blocks the bot halfway
is skipped, and someone who joins halfway is included.

Messages go through the shared :class:`~quickcart.telegram.sender.Sender`,
so they keep to Telegram's limits (30 a second overall; a 429 pauses every
send for its ``retry_after``) and a 403 marks the user as having blocked
the bot, which skips them next time. One thread sends one message at a time,
so customers' answers only ever wait for a single broadcast message, never
for the whole queue.

The admin's own chat gets its copy first: Telegram refusing that one (a
formatting it cannot parse, a photo it does not know) stops the broadcast
before anyone else gets a broken message. A progress message is edited
every few seconds and ends with the sent / blocked / failed counts; a
separate final message notifies the admin. One broadcast at a time.
:meth:`Broadcaster.stop` ends a running broadcast between two messages
(the app calls it on shutdown); a stopped broadcast is not resumed.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from quickcart import admin_views, audit
from quickcart.db import database
from quickcart.i18n import Speaker
from quickcart.models import User
from quickcart.telegram.pacing import BULK, sending_priority
from quickcart.telegram.sender import BotBlocked, Sender, TelegramError

log = logging.getLogger(__name__)

PAGE = 500
PROGRESS_EVERY_SECONDS = 3.0


@dataclass(frozen=True)
class Broadcast:
    """What to send and who asked. ``text`` is Telegram HTML (may be empty with a photo).

    ``say`` is the asking admin's language, for the progress and the final report.
    """
    admin_id: int
    chat_id: int
    say: Speaker
    text: str
    photo_file_id: str | None = None


@dataclass
class Tally:
    total: int
    sent: int = 0
    blocked: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed


def _reachable():
    return ~User.is_banned & ~User.blocked_bot


def count_recipients() -> int:
    return User.select().where(_reachable()).count()


def recipients_after(user_id: int, limit: int = PAGE) -> list[int]:
    """The next ``limit`` reachable user ids above ``user_id``, in order."""
    return [row[0] for row in User.select(User.id).where(_reachable() & (User.id > user_id))
            .order_by(User.id).limit(limit).tuples()]


def is_recipient(user_id: int) -> bool:
    return User.select().where(_reachable() & (User.id == user_id)).exists()


class Broadcaster:
    def __init__(self, sender: Sender, progress_every: float = PROGRESS_EVERY_SECONDS):
        self._sender = sender
        self._progress_every = progress_every
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self, broadcast: Broadcast) -> bool:
        """Start sending in the background; False (and nothing sent) if one is running."""
        with self._lock:
            if self.running or self._stopping.is_set():
                return False
            self._thread = threading.Thread(target=self._run, args=(broadcast,), name="broadcast", daemon=True)
            self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop a running broadcast after the message in flight; wait up to ``timeout``."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # --- the sending thread ---------------------------------------------------------

    def _run(self, broadcast: Broadcast) -> None:
        try:
            with sending_priority(BULK):  # customers' own messages go first
                self._broadcast(broadcast)
        except Exception:
            log.exception("broadcast failed")
        finally:
            database.close()  # this thread's connection

    def _broadcast(self, broadcast: Broadcast) -> None:
        started = time.monotonic()
        tally = Tally(total=count_recipients())
        audit.record_now("broadcast.start", actor_id=broadcast.admin_id, subject="broadcast",
                         after={"recipients": tally.total, "photo": broadcast.photo_file_id is not None},
                         detail=f"{len(broadcast.text)} characters")
        log.info("broadcast to %d users started by admin %s", tally.total, broadcast.admin_id)
        progress_id = self._send_progress(broadcast, tally)
        last_progress = time.monotonic()

        if is_recipient(broadcast.admin_id):
            refusal = self._deliver(broadcast, broadcast.admin_id, tally)
            if refusal is not None:
                log.warning("broadcast refused by Telegram: %s", refusal)
                self._finish(broadcast, progress_id, admin_views.broadcast_refused(broadcast.say, refusal), tally,
                             "refused")
                return
        cursor = 0
        stopped = False
        while not stopped:
            page = recipients_after(cursor)
            if not page:
                break
            for user_id in page:
                if self._stopping.is_set():
                    stopped = True
                    break
                if user_id != broadcast.admin_id:
                    self._deliver(broadcast, user_id, tally)
                if time.monotonic() - last_progress >= self._progress_every:
                    self._edit_progress(broadcast.chat_id, progress_id,
                                        admin_views.broadcast_progress(broadcast.say, tally))
                    last_progress = time.monotonic()
            cursor = page[-1]
        summary = admin_views.broadcast_finished(broadcast.say, tally, time.monotonic() - started, stopped=stopped)
        log.info("broadcast %s: %d sent, %d blocked, %d failed in %.0fs", "stopped" if stopped else "finished",
                 tally.sent, tally.blocked, tally.failed, time.monotonic() - started)
        self._finish(broadcast, progress_id, summary, tally, "stopped" if stopped else "finished")

    def _deliver(self, broadcast: Broadcast, user_id: int, tally: Tally) -> str | None:
        """Send to one user and count the outcome; returns Telegram's refusal of the content, if any."""
        try:
            if broadcast.photo_file_id:
                self._sender.send_photo_id(user_id, broadcast.photo_file_id, broadcast.text or None)
            else:
                self._sender.send_text(user_id, broadcast.text)
            tally.sent += 1
        except BotBlocked:
            tally.blocked += 1  # the sender has marked the user; the next broadcast skips them
        except TelegramError as exc:
            tally.failed += 1
            if exc.permanent and exc.error_code == 400:
                return exc.description
        except Exception:
            log.exception("broadcast to user %s failed", user_id)
            tally.failed += 1
        return None

    def _send_progress(self, broadcast: Broadcast, tally: Tally) -> int | None:
        try:
            message = self._sender.send_text(broadcast.chat_id, admin_views.broadcast_progress(broadcast.say, tally))
        except TelegramError:
            return None
        return message.message_id if message is not None else None

    def _edit_progress(self, chat_id: int, message_id: int | None, text: str) -> None:
        if message_id is None:
            return
        try:
            self._sender.edit_text(chat_id, message_id, text)
        except TelegramError:
            pass  # progress is a courtesy; the final message still goes

    def _finish(self, broadcast: Broadcast, progress_id: int | None, summary: str, tally: Tally,
                outcome: str) -> None:
        audit.record_now("broadcast.finish", actor_id=broadcast.admin_id, subject="broadcast",
                         after={"outcome": outcome, "recipients": max(tally.total, tally.done),
                                "sent": tally.sent, "blocked": tally.blocked, "failed": tally.failed})
        self._edit_progress(broadcast.chat_id, progress_id, summary)
        try:
            self._sender.send_text(broadcast.chat_id, summary)
        except TelegramError:
            pass

"""Pacing outgoing messages to Telegram's limits.

Telegram allows a bot about 30 messages a second overall and about one a
second per chat, with short bursts tolerated. Each limit is a GCRA
("generic cell rate") schedule: a request is given the earliest moment it may
go, which is at once when there is slack and later when there is not, and
callers sleep until their moment. Reservations are handed out in order, so
waiting callers are served first come, first served without polling.

The two limits are taken one after the other: first the chat's slot, and
only when the chat is ready the global one. Reserving both at once would let
a message held back by its own chat (the fifth notice to one admin in a
second) book a global slot seconds ahead and hold every other chat behind it.

After a 429 the whole bot is paused for ``retry_after``: Telegram does not
say whether the limit hit was the chat's or the bot's, so the safe reading
is the bot's.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Schedule:
    """GCRA state: the theoretical arrival time of the next request."""
    tat: float = 0.0


class Pacer:
    """Hands out send times that keep to a global and a per-chat rate."""

    def __init__(self, global_rate: float = 29.0, global_burst: int = 10,
                 chat_rate: float = 1.0, chat_burst: int = 4, max_chats: int = 50_000,
                 clock: Callable[[], float] = time.monotonic):
        self._global_interval = 1.0 / global_rate
        self._global_tolerance = (global_burst - 1) * self._global_interval
        self._chat_interval = 1.0 / chat_rate
        self._chat_tolerance = (chat_burst - 1) * self._chat_interval
        self._global = _Schedule()
        # Only chats with a schedule still in the future matter; older ones are
        # equivalent to a fresh schedule, so the map is trimmed to stay bounded.
        self._chats: OrderedDict[int, _Schedule] = OrderedDict()
        self._max_chats = max_chats
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock

    def reserve_chat(self, chat_id: int) -> float:
        """Reserve the chat's next slot; return the monotonic time it opens."""
        with self._lock:
            now = self._clock()
            chat = self._chats.pop(chat_id, None) or _Schedule()
            moment = max(now, chat.tat - self._chat_tolerance)
            chat.tat = max(chat.tat, moment) + self._chat_interval
            self._chats[chat_id] = chat
            self._trim(now)
            return moment

    def reserve_global(self) -> float:
        """Reserve the bot's next slot (call when the chat is ready)."""
        with self._lock:
            moment = max(self._clock(), self._paused_until, self._global.tat - self._global_tolerance)
            self._global.tat = max(self._global.tat, moment) + self._global_interval
            return moment

    def wait(self, chat_id: int | None) -> float:
        """Block until this request may go; return how long it waited."""
        start = self._clock()
        if chat_id is not None:
            self._sleep_until(self.reserve_chat(chat_id))
        self._sleep_until(self.reserve_global())
        return self._clock() - start

    def _sleep_until(self, moment: float) -> None:
        while True:
            delay = max(moment, self.paused_until()) - self._clock()
            if delay <= 0:
                return
            time.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (Telegram answered 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_until(self) -> float:
        with self._lock:
            return self._paused_until

    def tracked_chats(self) -> int:
        with self._lock:
            return len(self._chats)

    def _trim(self, now: float) -> None:
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        # Drop schedules that have fully recovered (oldest first).
        while self._chats:
            oldest_id, oldest = next(iter(self._chats.items()))
            if oldest.tat > now:
                break
            del self._chats[oldest_id]

"""Pacing outgoing messages to Telegram's limits, most important first.

Telegram allows a bot about 30 messages a second overall and about one a
second per chat, with short bursts tolerated. The per-chat limit is a GCRA
("generic cell rate") schedule: a message is given the earliest moment its
chat may receive another, at once when there is slack. Only when its chat
is ready does a message queue for the bot-wide budget; otherwise a message
held back by its own chat (the fifth notice to one admin in a second) would
book a global slot ahead and hold every other chat behind it.

The bot-wide budget is handed out by priority, then in arrival order:

- ``URGENT``: what a paying customer waits for — the QR code, the goods;
- ``NORMAL``: replies to what someone just did;
- ``BULK``: broadcasts, which may take minutes anyway.

So in a rush (a promotion brings two hundred customers at once) the QR
codes and deliveries go out first, and a broadcast never slows the shop.
Callers set the priority for a block of sends with :func:`sending_priority`.

After a 429 the whole bot is paused for ``retry_after``: Telegram does not
say whether the limit hit was the chat's or the bot's, so the safe reading
is the bot's.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

URGENT = 0
NORMAL = 1
BULK = 2

_priority = threading.local()


@contextlib.contextmanager
def sending_priority(level: int) -> Iterator[None]:
    """Sends made by this thread inside the block get ``level``."""
    previous = getattr(_priority, "level", NORMAL)
    _priority.level = level
    try:
        yield
    finally:
        _priority.level = previous


def current_priority() -> int:
    return getattr(_priority, "level", NORMAL)


@dataclass
class _Schedule:
    """GCRA state: the theoretical arrival time of the next message."""
    tat: float = 0.0


class Pacer:
    """Decides when each message may go, within a global and a per-chat rate."""

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
        self._waiting: list[tuple[int, int]] = []  # heap of (priority, arrival) for the global budget
        self._arrivals = itertools.count()
        self._cond = threading.Condition()
        self._clock = clock

    def reserve_chat(self, chat_id: int) -> float:
        """Reserve the chat's next slot; return the monotonic time it opens."""
        with self._cond:
            now = self._clock()
            chat = self._chats.pop(chat_id, None) or _Schedule()
            moment = max(now, chat.tat - self._chat_tolerance)
            chat.tat = max(chat.tat, moment) + self._chat_interval
            self._chats[chat_id] = chat
            self._trim(now)
            return moment

    def take_global(self, priority: int = NORMAL) -> None:
        """Block until the bot-wide budget has a slot for this message."""
        with self._cond:
            ticket = (priority, next(self._arrivals))
            heapq.heappush(self._waiting, ticket)
            self._cond.notify_all()  # a more urgent message becomes first in line
            try:
                while True:
                    if self._waiting[0] == ticket:
                        now = self._clock()
                        opens = max(self._paused_until, self._global.tat - self._global_tolerance)
                        if opens <= now:
                            heapq.heappop(self._waiting)
                            self._global.tat = max(self._global.tat, now) + self._global_interval
                            self._cond.notify_all()
                            return
                        self._cond.wait(opens - now)
                    else:
                        self._cond.wait()
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._cond.notify_all()
                raise

    def wait(self, chat_id: int | None, priority: int | None = None) -> float:
        """Block until this message may go; return how long it waited."""
        start = self._clock()
        if chat_id is not None:
            opens = self.reserve_chat(chat_id)
            while (delay := opens - self._clock()) > 0:
                time.sleep(delay)
        self.take_global(current_priority() if priority is None else priority)
        return self._clock() - start

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (Telegram answered 429)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._cond.notify_all()

    def paused_until(self) -> float:
        with self._cond:
            return self._paused_until

    def tracked_chats(self) -> int:
        with self._cond:
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

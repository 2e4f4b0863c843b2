"""Pacing outgoing messages to Telegram's limits, which are unknown, most important first.

Telegram does not publish its flood limits. Its FAQ speaks of about 30
messages a second per bot and about one a second per chat, with short bursts
tolerated; how those are counted (a token bucket? any sliding second?) and
how long a burst may be is not said, and a bot that keeps hitting them gets
a longer ``retry_after`` each time. So the pacer assumes the strictest
reading that still fits the FAQ, and learns from every 429:

- **A hard cap**: never more than ``cap`` (30) sends in any sliding
  ``window`` (1 s) bot-wide, as Telegram counts them. Telegram counts a
  request when it arrives, which we never see: it is some moment between
  our sending it and its answer coming back, and the delay varies (a few ms
  here, tens over the internet). So a send counts against the cap from the
  moment it goes until ``window`` after its answer, and one still without
  an answer counts all along: the cap holds however the requests are
  delayed, at the price of the round trip (30 in 1 s + RTT).
- **A smooth bot-wide pace** inside it: a GCRA ("generic cell rate") schedule
  of ``rate`` a second with a burst of ``burst``. With ``burst + rate·window
  ≤ cap`` (2 + 28 ≤ 30 by default) the cap seldom has to step in.
- **A small per-chat burst**: a chat gets ``chat_burst`` (3) messages at once,
  then one every ``chat_interval`` (1.05 s), counted from when each answer
  came back, for the same reason.
- **Adaptive (AIMD)**: a 429 pauses the whole bot for ``retry_after``
  (Telegram does not say whether the chat's limit or the bot's was hit, so
  the safe reading is the bot's); the rate is multiplied by ``decrease``, the
  bot-wide burst drops to one and a chat's to one less (but at least two, so
  a /start's sticker and greeting still go together and the senders that
  post them, one chat at a time, are not held a second per customer). When
  the pause ends the rate climbs back by ``recovery`` messages a second every
  second, and the bursts return once it is back at ``rate``. 429s answering
  sends made before the last cut are the same episode and do not cut again.

Every slot is taken at the moment of sending, for the bot and for the chat
together: a message held back by its own chat (the fifth notice to one admin
in a second) does not hold back other chats, and a message that waited long
for the bot-wide budget does not find its chat's burst spent behind its back.

The bot-wide budget is handed out by priority, then in arrival order:

- ``URGENT``: what a paying customer waits for — the QR code, the goods;
- ``NORMAL``: replies to what someone just did;
- ``BULK``: broadcasts, which may take minutes anyway.

So in a rush (a promotion brings two hundred customers at once) the QR
codes and deliveries go out first, and a broadcast never slows the shop.
Callers set the priority for a block of sends with :func:`sending_priority`.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import threading
import time
from collections import OrderedDict, deque
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


@dataclass(frozen=True)
class PacingPolicy:
    """What the pacer assumes of Telegram's limits, and how it backs off; see the module doc."""

    cap: int = 30  # never more sends than this in any sliding window, bot-wide
    window: float = 1.0
    rate: float = 28.0  # the bot-wide pace when no 429 has been seen lately
    burst: int = 2
    chat_interval: float = 1.05  # seconds between a chat's messages once its burst is used
    chat_burst: int = 3
    min_rate: float = 1.0
    decrease: float = 0.7  # the rate is multiplied by this on a 429
    recovery: float = 0.5  # messages a second regained every second after the pause

    def __post_init__(self) -> None:
        if self.cap < 1 or self.window <= 0:
            raise ValueError("cap must be at least 1 and window positive")
        if not (0 < self.min_rate <= self.rate and 0 < self.decrease < 1 and self.recovery > 0):
            raise ValueError("need 0 < min_rate ≤ rate, 0 < decrease < 1 and recovery > 0")
        if self.burst < 1 or self.chat_burst < 1 or self.chat_interval < 0:
            raise ValueError("bursts must be at least 1 and chat_interval not negative")


@dataclass(eq=False)
class Ticket:
    """One message: waiting for its slot, then sent, then answered."""

    chat_id: int | None
    priority: int
    arrival: int
    granted_at: float | None = None
    answered_at: float | None = None

    @property
    def rank(self) -> tuple[int, int]:
        return self.priority, self.arrival

    @property
    def counted_until(self) -> float:
        """Telegram may count this send at any moment up to its answer (unknown while none came)."""
        return math.inf if self.answered_at is None else self.answered_at


class Pacer:
    """Decides when each message may go; see the module doc.

    :meth:`sending` is what senders use. :meth:`submit`, :meth:`grant`,
    :meth:`answered` and :meth:`next_opening` drive the same schedule step by
    step, for tests with a fake clock.
    """

    def __init__(self, policy: PacingPolicy | None = None, max_chats: int = 50_000,
                 clock: Callable[[], float] = time.monotonic):
        self.policy = policy or PacingPolicy()
        self._clock = clock
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._arrivals = itertools.count()
        # The latest sends, answered or not. Twice the cap: a send made long ago whose answer came
        # late may still count while ``cap`` newer ones have come and gone.
        self._recent: deque[Ticket] = deque(maxlen=2 * self.policy.cap)
        self._tat = -math.inf  # GCRA: the theoretical arrival time of the next bot-wide message
        # Only chats with a schedule still in the future matter; older ones are
        # equivalent to a fresh schedule, so the map is trimmed to stay bounded.
        self._chats: OrderedDict[int, float] = OrderedDict()  # chat id -> its GCRA theoretical arrival time
        self._max_chats = max_chats
        self._paused_until = -math.inf
        self._base_rate = self.policy.rate  # AIMD: rate(t) = base + recovery·(t - recover_from), capped
        self._recover_from = -math.inf
        self._last_cut = -math.inf

    # --- what senders call ----------------------------------------------------------------

    @contextlib.contextmanager
    def sending(self, chat_id: int | None, priority: int | None = None) -> Iterator[float]:
        """Block until this message may go, then send it inside the block (which ends when the
        answer is in, or the request failed). Yields the moment, on the pacer's clock, it was let go."""
        with self._cond:
            ticket = self._submit(chat_id, current_priority() if priority is None else priority)
            try:
                while ticket.granted_at is None:
                    now = self._clock()
                    if self._grant(now) is not None:
                        self._cond.notify_all()  # the slot may have been someone else's
                        continue
                    self._cond.wait(min(60.0, max(0.001, self._next_opening(now) - now)))
            except BaseException:
                if ticket.granted_at is None:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                raise
        try:
            yield ticket.granted_at
        finally:
            self.answered(ticket)

    def throttled(self, retry_after: float, sent_at: float | None = None) -> None:
        """Telegram answered 429 to a request made at ``sent_at``: pause every send and slow down.

        A 429 to a request sent before the last slow-down belongs to the same episode: it
        extends the pause but does not cut the rate again.
        """
        with self._cond:
            now = self._clock()
            rate = self._rate(now)
            if sent_at is None or sent_at >= self._last_cut:
                rate = max(self.policy.min_rate, rate * self.policy.decrease)
                self._last_cut = now
            self._paused_until = max(self._paused_until, now + retry_after)
            self._base_rate = rate
            self._recover_from = self._paused_until  # climb back only once sending may resume
            self._cond.notify_all()

    def wait_out_pause(self) -> None:
        """Block while a 429 pause lasts (for calls that are not paced, such as edits)."""
        with self._cond:
            while (left := self._paused_until - self._clock()) > 0:
                self._cond.wait(left)

    def now(self) -> float:
        return self._clock()

    # --- state, for health, logs and tests ------------------------------------------------

    def rate(self) -> float:
        """The bot-wide messages a second the pacer allows now."""
        with self._cond:
            return self._rate(self._clock())

    def bursts(self) -> tuple[int, int]:
        """The bot-wide and per-chat bursts allowed now."""
        with self._cond:
            now = self._clock()
            return self._burst(now), self._chat_burst(now)

    def paused_until(self) -> float:
        with self._cond:
            return self._paused_until

    def tracked_chats(self) -> int:
        with self._cond:
            return len(self._chats)

    def waiting(self) -> int:
        """Messages queued for a slot right now."""
        with self._cond:
            return len(self._waiting)

    # --- stepping the schedule by hand ----------------------------------------------------

    def submit(self, chat_id: int | None, priority: int = NORMAL) -> Ticket:
        """Queue a message without waiting; :meth:`grant` lets it go."""
        with self._cond:
            return self._submit(chat_id, priority)

    def grant(self) -> Ticket | None:
        """Let the first message in line go if it may go now (it is then sent); None otherwise."""
        with self._cond:
            ticket = self._grant(self._clock())
            if ticket is not None:
                self._cond.notify_all()
            return ticket

    def answered(self, ticket: Ticket) -> None:
        """The answer to a sent message is in (or its request failed)."""
        with self._cond:
            now = self._clock()
            ticket.answered_at = now
            if ticket.chat_id is not None:
                # The chat's next slots count from the answer, not from the send.
                tat = self._chats.pop(ticket.chat_id, -math.inf)
                self._chats[ticket.chat_id] = max(tat, now + self.policy.chat_interval)
            self._cond.notify_all()

    def next_opening(self) -> float:
        """The earliest moment :meth:`grant` may let a queued message go (inf when none is queued)."""
        with self._cond:
            return self._next_opening(self._clock())

    # --- the schedule (called with the lock held) -----------------------------------------

    def _submit(self, chat_id: int | None, priority: int) -> Ticket:
        ticket = Ticket(chat_id, priority, next(self._arrivals))
        self._waiting.append(ticket)
        self._cond.notify_all()  # a more urgent message may now be first in line
        return ticket

    def _grant(self, now: float) -> Ticket | None:
        """Give the slot open now to the most urgent message whose chat is ready."""
        if not self._waiting or self._bot_opens(now) > now:
            return None
        ready = [t for t in self._waiting if self._chat_opens(t.chat_id, now) <= now]
        if not ready:
            return None
        ticket = min(ready, key=lambda t: t.rank)
        self._waiting.remove(ticket)
        self._tat = max(self._tat, now) + 1.0 / self._rate(now)
        self._recent.append(ticket)
        if ticket.chat_id is not None:
            tat = self._chats.pop(ticket.chat_id, -math.inf)
            self._chats[ticket.chat_id] = max(tat, now) + self.policy.chat_interval
            self._trim(now)
        ticket.granted_at = now
        return ticket

    def _next_opening(self, now: float) -> float:
        if not self._waiting:
            return math.inf
        return max(self._bot_opens(now), min(self._chat_opens(t.chat_id, now) for t in self._waiting))

    def _bot_opens(self, now: float) -> float:
        interval = 1.0 / self._rate(now)
        opens = max(self._paused_until, self._tat - (self._burst(now) - 1) * interval)
        if len(self._recent) >= self.policy.cap:
            # Room for one more once all but cap - 1 of the latest sends are a window past their answers.
            until = sorted(ticket.counted_until for ticket in self._recent)
            opens = max(opens, until[len(until) - self.policy.cap] + self.policy.window)
        return opens

    def _chat_opens(self, chat_id: int | None, now: float) -> float:
        if chat_id is None or chat_id not in self._chats:
            return -math.inf
        return self._chats[chat_id] - (self._chat_burst(now) - 1) * self.policy.chat_interval

    def _rate(self, now: float) -> float:
        climbed = self.policy.recovery * max(0.0, now - self._recover_from)
        return min(self.policy.rate, self._base_rate + climbed)

    def _recovered(self, now: float) -> bool:
        return self._rate(now) >= self.policy.rate

    def _burst(self, now: float) -> int:
        return self.policy.burst if self._recovered(now) else 1

    def _chat_burst(self, now: float) -> int:
        return self.policy.chat_burst if self._recovered(now) else max(1, min(2, self.policy.chat_burst - 1))

    def _trim(self, now: float) -> None:
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        # Drop schedules that have fully recovered (oldest first).
        while self._chats:
            oldest_id, oldest_tat = next(iter(self._chats.items()))
            if oldest_tat > now:
                break
            del self._chats[oldest_id]

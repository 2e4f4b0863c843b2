"""Flood control, injected faults and counters of the Telegram stand-in.

Nothing here locks on its own except :class:`FaultInjector` (tests add faults from their
own thread); :class:`FloodControl` and :class:`StandInStats` are only touched under the
stand-in's state lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

# Methods that post a message, the ones Telegram's flood limits count.
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendSticker", "sendAnimation", "sendVideo", "sendAudio",
    "sendVoice", "sendMediaGroup", "copyMessage", "forwardMessage",
})


def too_many_requests(retry_after: int) -> dict[str, Any]:
    """The body Telegram answers a flood with."""
    return {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after}}


@dataclass(frozen=True)
class RequestRecord:
    """One Bot API request as the stand-in saw it. ``status`` 0 means the connection was dropped."""

    time: float
    method: str
    chat_id: int | None
    status: int
    params: dict[str, Any]


@dataclass(frozen=True)
class FiredFault:
    time: float
    method: str
    chat_id: int | None
    fault: Fault


@dataclass
class StandInStats:
    """Counters for tests and benchmarks. Read freely; the stand-in writes them under its lock."""

    requests: Counter[str] = field(default_factory=Counter)  # by Bot API method
    responses_by_status: Counter[int] = field(default_factory=Counter)
    responses_429: int = 0
    unhonoured_429: int = 0  # sends that arrived inside a retry_after window we had announced
    get_updates_calls: int = 0
    messages_sent: int = 0  # bot messages that were stored
    in_flight: int = 0  # requests other than getUpdates being handled now
    max_concurrent: int = 0  # most requests other than getUpdates handled at once
    faults_fired: list[FiredFault] = field(default_factory=list)


@dataclass
class Fault:
    """A misbehaviour the stand-in shows ``times`` times to matching requests."""

    method: str | None
    status: int | None
    retry_after: int
    description: str | None
    drop: bool
    chat_id: int | None
    times: int
    delay: float

    def matches(self, method: str, chat_id: int | None) -> bool:
        return ((self.method is None or self.method.lower() == method.lower())
                and (self.chat_id is None or self.chat_id == chat_id))

    def response(self) -> dict[str, Any]:
        """The error body this fault answers with (only meaningful when ``status`` is set)."""
        assert self.status is not None
        if self.status == 429:
            return too_many_requests(self.retry_after)
        return {"ok": False, "error_code": self.status,
                "description": self.description or _default_description(self.status)}


def _default_description(status: int) -> str:
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 400:
        return "Bad Request"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class FaultInjector:
    """Scripted failures: ``standin.faults.add("sendMessage", status=500)`` fails the next send once.

    Faults are checked, in the order added, before a request is processed; a fault with a
    status or ``drop`` replaces the request entirely, so nothing it would have sent is stored.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._get_updates_outage: tuple[float, int] | None = None  # (monotonic deadline, status)
        self.on_outage: Callable[[], None] | None = None  # set by the server: cut waiting long polls

    def add(self, method: str | None = None, *, status: int | None = None, retry_after: int = 1,
            description: str | None = None, drop: bool = False, chat_id: int | None = None, times: int = 1,
            delay: float = 0) -> Fault:
        """Make the next ``times`` matching requests fail.

        ``status`` answers with that error (429 carries ``retry_after``), ``drop`` closes the
        connection without answering, ``delay`` waits first (alone it only slows the request
        down, which is how a client-side timeout is provoked). ``method``/``chat_id`` None
        match any.
        """
        if status is None and not drop and delay <= 0:
            raise ValueError("a fault needs a status, drop=True or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(method, status, max(1, int(retry_after)), description, drop, chat_id, times, delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_get_updates(self, seconds: float, status: int = 502) -> None:
        """Answer every getUpdates in the next ``seconds`` with ``status`` at once: a Telegram outage.

        A long poll already waiting is cut off too, as a real outage drops it.
        """
        with self._lock:
            self._get_updates_outage = (time.monotonic() + seconds, status)
        if self.on_outage is not None:
            self.on_outage()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._get_updates_outage = None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """Consume one use of the first fault matching this request."""
        with self._lock:
            if method == "getUpdates" and self._get_updates_outage:
                deadline, status = self._get_updates_outage
                if time.monotonic() < deadline:
                    return Fault(method, status, 1, None, False, None, 1, 0)
                self._get_updates_outage = None
            for fault in self._faults:
                if fault.matches(method, chat_id):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None


TOKEN_BUCKET = "token_bucket"
SLIDING_WINDOW = "sliding_window"


@dataclass(frozen=True)
class LimitModel:
    """One reading of Telegram's flood limits, which Telegram does not publish.

    Each limit (the bot's and each chat's) is either a token bucket (``rate`` a
    second, bursts up to ``burst``) or a sliding window (at most ``burst`` sends in
    any ``burst / rate`` seconds: the same long-run rate, with no burst carried over
    from an idle spell into a busy one). Each time a limit is hit within
    ``escalation_memory`` seconds of the last time, ``retry_after`` is multiplied by
    ``escalation`` once more (up to ``max_retry_after``), as Telegram does to bots
    that keep hitting its limits.
    """

    name: str
    kind: str = TOKEN_BUCKET  # the bot-wide limit
    global_rate: float = 30.0
    global_burst: int = 30
    chat_kind: str = TOKEN_BUCKET
    chat_rate: float = 1.0
    chat_burst: int = 5
    escalation: float = 1.0
    escalation_memory: float = 60.0
    max_retry_after: int = 300

    def __post_init__(self) -> None:
        for kind in (self.kind, self.chat_kind):
            if kind not in (TOKEN_BUCKET, SLIDING_WINDOW):
                raise ValueError(f"unknown limit kind {kind!r}")
        if min(self.global_rate, self.chat_rate) <= 0 or min(self.global_burst, self.chat_burst) < 1:
            raise ValueError("rates must be positive and bursts at least 1")
        if self.escalation < 1 or self.max_retry_after < 1:
            raise ValueError("escalation must be at least 1 and max_retry_after at least 1 s")

    def describe(self) -> str:
        def one(kind: str, rate: float, burst: int) -> str:
            if kind == SLIDING_WINDOW:
                return f"{burst} in any {burst / rate:g} s"
            return f"{rate:g}/s, burst {burst}"
        text = (f"bot {one(self.kind, self.global_rate, self.global_burst)}; "
                f"chat {one(self.chat_kind, self.chat_rate, self.chat_burst)}")
        if self.escalation > 1:
            text += (f"; retry_after ×{self.escalation:g} per repeat within {self.escalation_memory:g} s "
                     f"(up to {self.max_retry_after} s)")
        return text


# What the stand-in enforced from the start: 30/s with a full second of burst, 1/s a chat with a burst of 5.
DEFAULT_LIMITS = LimitModel("default")
# The strictest reading that still fits Telegram's FAQ ("about 30 messages per second", "avoid more than
# one message per second in a chat; short bursts are allowed"): any sliding second holds at most 30,
# a chat's burst is 3, and retry_after doubles for a bot that keeps coming back.
STRICT_LIMITS = LimitModel("strict", kind=SLIDING_WINDOW, global_rate=30.0, global_burst=30,
                           chat_kind=TOKEN_BUCKET, chat_rate=1.0, chat_burst=3,
                           escalation=2.0, escalation_memory=60.0, max_retry_after=60)
LIMIT_MODELS = {model.name: model for model in (DEFAULT_LIMITS, STRICT_LIMITS)}


class _TokenBucket:
    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until a send is allowed (0 when one is allowed now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens -= 1


class _SlidingWindow:
    """At most ``limit`` sends in any ``window`` seconds (a send at exactly ``window`` after
    another no longer shares its window)."""

    def __init__(self, rate: float, limit: int, now: float) -> None:
        self.limit = limit
        self.window = limit / rate
        self.sent: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        return 0.0 if len(self.sent) < self.limit else self.sent[0] + self.window - now

    def take(self, now: float) -> None:
        self.sent.append(now)


_LIMITERS = {TOKEN_BUCKET: _TokenBucket, SLIDING_WINDOW: _SlidingWindow}


class FloodControl:
    """Telegram's send limits (the bot's and each chat's, as :class:`LimitModel` reads them)
    and the retry_after windows announced by every 429, which a well-behaved bot waits out."""

    def __init__(self, model: LimitModel = DEFAULT_LIMITS) -> None:
        self.model = model
        self._global: _TokenBucket | _SlidingWindow | None = None
        self._chats: dict[int | None, _TokenBucket | _SlidingWindow] = {}
        self._global_window_end = 0.0
        self._chat_window_end: dict[int, float] = {}
        self._strikes = 0  # 429s for hitting a limit, each within escalation_memory of the last
        self._last_strike = -math.inf
        self.longest_retry_after = 0

    def open_window(self, chat_id: int | None, retry_after: int, now: float) -> None:
        """Remember a 429 we answered: scoped to its chat, or global when it had none."""
        end = now + retry_after
        if chat_id is None:
            self._global_window_end = max(self._global_window_end, end)
        else:
            self._chat_window_end[chat_id] = max(self._chat_window_end.get(chat_id, 0.0), end)

    def window_retry_after(self, chat_id: int | None, now: float) -> int:
        """Seconds left of an announced window covering this send (0 when none)."""
        end = max(self._global_window_end, self._chat_window_end.get(chat_id, 0.0) if chat_id is not None else 0.0)
        return max(1, math.ceil(end - now)) if end > now else 0

    def admit(self, chat_id: int | None, now: float) -> int:
        """Count the send against both limits, or return the retry_after to answer with (nothing counted)."""
        model = self.model
        if self._global is None:
            self._global = _LIMITERS[model.kind](model.global_rate, model.global_burst, now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _LIMITERS[model.chat_kind](model.chat_rate, model.chat_burst, now)
        global_wait, chat_wait = self._global.wait_time(now), chat.wait_time(now)
        if global_wait or chat_wait:
            retry_after = self._escalate(max(1, math.ceil(max(global_wait, chat_wait))), now)
            self.open_window(None if global_wait >= chat_wait else chat_id, retry_after, now)
            return retry_after
        self._global.take(now)
        chat.take(now)
        return 0

    def _escalate(self, retry_after: int, now: float) -> int:
        """A longer wait for a bot that hit the limits again soon after the last time."""
        self._strikes = self._strikes + 1 if now - self._last_strike <= self.model.escalation_memory else 0
        self._last_strike = now
        longer = retry_after * self.model.escalation ** self._strikes
        retry_after = min(self.model.max_retry_after, max(retry_after, math.ceil(longer)))
        self.longest_retry_after = max(self.longest_retry_after, retry_after)
        return retry_after

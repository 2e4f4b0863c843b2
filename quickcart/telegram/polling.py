"""Long polling that survives, and lanes that keep each user's updates in order.

One thread long-polls ``getUpdates``. Network errors, 5xx and 409/502
storms are waited out with capped exponential backoff; the loop only ends on
:meth:`Poller.stop`. Each update is handed to one of N lanes chosen by the
user's id: a lane is a thread with a queue, so one user's updates are handled
one after another, in order (a double tap is two calls in sequence, never
two at once), while different users proceed in parallel. Each admin has a
lane of their own, so an admin's long job (a million-line stock import, a
backup) never holds up the customers who would share that lane.

Updates are confirmed to Telegram (by the next ``getUpdates`` offset) as
soon as they are queued. Before handling, a lane claims the update id in the
database (see :func:`claim_update`); a redelivered update (after a crash or a
restart) whose id is already claimed is skipped. So an update is handled at
most once: a crash can lose a button press the user then repeats, but never
doubles an order. On stop, polling ends first and the lanes finish what is
queued.
"""
from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from telebot import TeleBot, types

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

_STOP = object()


def update_user_id(update: types.Update) -> int:
    """The id of the user an update comes from (0 when there is none)."""
    for part in (update.message, update.callback_query, update.my_chat_member, update.edited_message):
        if part is not None and getattr(part, "from_user", None) is not None:
            return part.from_user.id
    return 0


@dataclass
class PollerHealth:
    running: bool = False
    last_poll_ok: float = 0.0  # monotonic time of the last successful getUpdates
    consecutive_errors: int = 0
    updates_received: int = 0


class Poller:
    def __init__(self, bot: TeleBot, handle: Callable[[types.Update], None], lanes: int = 8,
                 long_poll_seconds: int = 25, max_backoff: float = 5.0, own_lanes: Iterable[int] = ()):
        self.bot = bot
        self._handle = handle
        self._long_poll = long_poll_seconds
        self._max_backoff = max_backoff
        self._stopping = threading.Event()
        self._offset: int | None = None
        self._shared = lanes
        owners = sorted(set(own_lanes))
        self._queues: list[queue.Queue] = [queue.Queue() for _ in range(lanes + len(owners))]
        self._own_lane = {user_id: lanes + i for i, user_id in enumerate(owners)}
        self._lanes = [threading.Thread(target=self._lane, args=(q,), name=f"lane-{i}", daemon=True)
                       for i, q in enumerate(self._queues)]
        self._thread = threading.Thread(target=self._poll_loop, name="poller", daemon=True)
        self.health = PollerHealth()

    def start(self) -> None:
        for lane in self._lanes:
            lane.start()
        self.health.running = True
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling, then let the lanes finish the queued updates."""
        self._stopping.set()
        self.health.running = False
        for q in self._queues:
            q.put(_STOP)
        deadline = time.monotonic() + timeout
        for lane in self._lanes:
            lane.join(max(0.0, deadline - time.monotonic()))
        # The long poll itself may still be waiting on the network; it is a
        # daemon thread and anything it receives now is not confirmed, so
        # Telegram will deliver it again after the restart.

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and all(lane.is_alive() for lane in self._lanes)

    def queued(self) -> int:
        return sum(q.qsize() for q in self._queues)

    def _poll_loop(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                updates = self.bot.get_updates(offset=self._offset, timeout=self._long_poll + 10,
                                               long_polling_timeout=self._long_poll,
                                               allowed_updates=ALLOWED_UPDATES)
            except Exception as exc:
                self.health.consecutive_errors += 1
                delay = random.uniform(backoff / 2, backoff)
                log.warning("getUpdates failed (%s: %s); retrying in %.1fs",
                            exc.__class__.__name__, str(exc)[:200], delay)
                self._stopping.wait(delay)
                backoff = min(self._max_backoff, backoff * 2)
                continue
            backoff = 0.5
            self.health.consecutive_errors = 0
            self.health.last_poll_ok = time.monotonic()
            if self._stopping.is_set():
                break  # not queued, not confirmed: Telegram keeps them for the next run
            for update in updates:
                self.health.updates_received += 1
                self._queues[self._lane_for(update_user_id(update))].put(update)
                self._offset = max(self._offset or 0, update.update_id + 1)

    def _lane_for(self, user_id: int) -> int:
        return self._own_lane.get(user_id, user_id % self._shared)

    def _lane(self, updates: queue.Queue) -> None:
        while True:
            update = updates.get()
            if update is _STOP:
                return
            try:
                self._handle(update)
            except Exception:
                log.exception("update %s escaped its handler", getattr(update, "update_id", "?"))

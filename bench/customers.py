"""Many simulated customers at once, without a thread each.

A :class:`Journey` is one customer's way from ``/start`` to the QR photo
(tap Produk → [category] → product → Beli → QRIS), the same steps as
``tests/e2e/journey.py``. A :class:`Driver` steps hundreds of journeys from
one thread: it looks at a chat only when the stand-in shows activity there,
acts as soon as the expected bot message is in, and never blocks on one
customer. (A thread per customer blocked in ``wait_for_message`` would be
woken on every change of every chat — hundreds of wake-ups per message in
this process, which also serves the Telegram stand-in.)

Latencies are not taken from the driver, which only notices messages a few
milliseconds late: each step's ``time.time()`` is stamped just before the
action, and the answer's time comes from the stand-in's request log.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from common import SUCCESS_MARK, text_of

from quickcart.models import PENDING, Order
from quickcart.sandbox.telegram_server import Message, TelegramStandIn
from tests.words import button, fragment, says

STEP_TIMEOUT = 120.0
FULL_CHECK_EVERY = 0.2


@dataclass
class Step:
    name: str
    act: Callable[[Journey], None]
    ready: Callable[[Message, str], bool]  # the bot message (or edit) that ends the step
    answer_method: str  # the Bot API call that carries that answer, for its time in the log
    think: float = 0.0  # seconds the customer takes before this step, once the previous answer is in
    answer_text: str = ""  # the answer's text contains this (when the chat gets other messages of its kind)


def _listing_has(name: str) -> Callable[[Message, str], bool]:
    return lambda message, text: any(name in label for label in message.button_texts())


def purchase_steps(product_name: str, category: str | None = None, think: float = 0.0) -> list[Step]:
    """The way from /start to the QR photo; ``think``: seconds on each screen before the next step."""
    steps = [
        Step("/start", lambda j: j.user.send_text("/start"), lambda m, t: fragment("start.welcome") in t,
             "sendMessage"),
        Step("Produk", lambda j: j.user.tap_keyboard(button("menu.products")),
             _listing_has(category or product_name), "sendMessage"),
    ]
    if category:
        steps.append(Step("category", lambda j: j.user.press(j.last, category), _listing_has(product_name),
                          "editMessageText"))
    steps += [
        Step("product", lambda j: j.user.press(j.last, product_name), lambda m, t: fragment("shop.card_price") in t,
             "editMessageText"),
        Step("Beli", lambda j: j.user.press(j.last, button("btn.buy")),
             lambda m, t: says("checkout.summary_title") in t,
             "editMessageText"),
        Step("QRIS", lambda j: j.user.press(j.last, button("btn.pay_qris")), lambda m, t: m.kind == "photo",
             "sendPhoto"),
    ]
    for step in steps[1:]:
        step.think = think
    return steps


def invoice_of(qr_photo: Message) -> str:
    for line in qr_photo.plain_text().splitlines():
        if "Invoice:" in line:
            return line.split("Invoice:")[1].strip()
    raise AssertionError("no invoice in the QR caption")


def pay_step(pakasir, think: float = 5.0) -> Step:
    """Scan and pay the QR (after ``think`` seconds): Pakasir marks it paid and sends the webhook."""
    def act(journey: Journey) -> None:
        invoice = invoice_of(journey.last)

        def pay() -> None:
            pakasir.complete(invoice, webhook=False)
            pakasir.send_webhook(invoice)
        threading.Thread(target=pay, name=f"pay-{invoice}", daemon=True).start()
    return Step("pay", act, lambda message, text: SUCCESS_MARK in text, "sendMessage", think=think,
                answer_text=SUCCESS_MARK)


@dataclass(eq=False)
class Journey:
    user: object  # FakeUser
    steps: list[Step]
    start_at: float = 0.0  # seconds after the driver starts that the customer begins
    index: int = -1  # the step under way; -1 not begun
    last: Message | None = None  # the bot message that ended the previous step
    acted_at: dict[str, float] = field(default_factory=dict)  # step name -> time.time() of the action
    step_started: float = 0.0  # monotonic, for the step timeout
    act_at: float | None = None  # monotonic: when to take the next step (None: waiting for an answer)
    seen_activity: float = -1.0
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.index >= len(self.steps) or self.error is not None

    @property
    def succeeded(self) -> bool:
        return self.index >= len(self.steps) and self.error is None

    def act(self) -> None:
        step = self.steps[self.index]
        self.acted_at[step.name] = time.time()
        self.step_started = time.monotonic()
        step.act(self)


class Driver:
    def __init__(self, telegram: TelegramStandIn):
        self.telegram = telegram

    def run(self, journeys: list[Journey], timeout: float) -> None:
        """Step every journey to its end (or its error); ``start_at`` offsets are honoured."""
        base = time.monotonic()
        deadline = base + timeout
        waiting = sorted(journeys, key=lambda j: j.start_at)
        active: list[Journey] = []
        last_full_check = base
        while waiting or active:
            now = time.monotonic()
            if now > deadline:
                for journey in waiting + active:
                    journey.error = journey.error or f"benchmark timeout at step {journey.index}"
                return
            while waiting and base + waiting[0].start_at <= now:
                journey = waiting.pop(0)
                journey.index = 0
                journey.act_at = now + journey.steps[0].think
                active.append(journey)
            full = now - last_full_check >= FULL_CHECK_EVERY
            if full:
                last_full_check = now
            for journey in active:
                if journey.act_at is not None:
                    if now >= journey.act_at:
                        self._act(journey)
                    continue
                chat = self.telegram.chat(journey.user.id)
                activity = chat.last_activity
                if activity == journey.seen_activity and not full:
                    continue
                journey.seen_activity = activity
                found = self._answer(journey, chat)
                if found is not None:
                    journey.last = found
                    journey.index += 1
                    if not journey.done:
                        journey.act_at = now + journey.steps[journey.index].think
                elif now - journey.step_started > STEP_TIMEOUT:
                    journey.error = f"no answer to {journey.steps[journey.index].name} in {STEP_TIMEOUT:.0f} s"
            active = [journey for journey in active if not journey.done]
            time.sleep(0.002)

    @staticmethod
    def _act(journey: Journey) -> None:
        journey.act_at = None
        try:
            journey.act()
        except AssertionError as exc:  # e.g. the button is not there
            journey.error = f"{journey.steps[journey.index].name}: {exc}"
        journey.seen_activity = -1.0

    @staticmethod
    def _answer(journey: Journey, chat) -> Message | None:
        step = journey.steps[journey.index]
        since = journey.user.last_action_seq
        events = chat.bot_events
        for position in range(len(events) - 1, -1, -1):
            seq, message, text = events[position]
            if seq <= since:
                break
        else:
            position = -1
        for seq, message, text in events[position + 1:]:
            if seq > since and step.ready(message, text):
                return message
        return None


def pay_at_rate(harness, pending: list, rate: float) -> tuple[list[float], list[float], int]:
    """Customers pay ``pending`` orders, ``rate`` a second, on schedule (open loop).

    Pakasir marks each paid and POSTs its webhook from a pool thread, so a slow
    answer never delays the next payment. Returns the seconds from each webhook
    leaving to the stand-in storing that customer's success message, the
    webhooks' round trips, and how many failed (non-200 or never delivered).
    """
    pakasir, telegram = harness.pakasir, harness.telegram
    sent_at: dict[str, float] = {}
    round_trips: list[float] = []
    failures = 0
    lock = threading.Lock()

    def fire(invoice: str) -> None:
        nonlocal failures
        sent_at[invoice] = time.time()
        result = pakasir.send_webhook(invoice)[0]
        with lock:
            round_trips.append(result.elapsed)
            failures += result.status != 200

    since = time.time()
    begin = time.monotonic() + 0.1
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n, order in enumerate(pending):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pakasir.complete(order.invoice_id, webhook=False)
            pool.submit(fire, order.invoice_id)
    chats = {order.chat_id for order in pending}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = {r.chat_id for r in list(telegram.request_log)
                if r.time >= since and r.method == "sendMessage" and SUCCESS_MARK in text_of(r)}
        if chats <= done:
            break
        time.sleep(0.2)
    records = answer_times(telegram, since)
    latencies = []
    for order in pending:
        sent = sent_at[order.invoice_id]
        for record in records.get(order.chat_id, []):
            if record.method == "sendMessage" and SUCCESS_MARK in text_of(record) and record.time >= sent:
                latencies.append(record.time - sent)
                break
        else:
            failures += 1
    return latencies, round_trips, failures


def pending_orders() -> list:
    """Pending orders whose QR was shown, oldest first."""
    return list(Order.select().where((Order.status == PENDING) & Order.qr_message_id.is_null(False))
                .order_by(Order.id))


def answer_times(telegram: TelegramStandIn, since: float) -> dict[int, list]:
    """Successful requests per chat since ``since`` (time.time()), oldest first."""
    by_chat: dict[int, list] = defaultdict(list)
    for record in list(telegram.request_log):
        if record.time >= since and record.status == 200 and record.chat_id is not None:
            by_chat[record.chat_id].append(record)
    return by_chat


def step_latency(journey: Journey, step_name: str, records_by_chat: dict[int, list]) -> float | None:
    """Seconds from the step's action to the first successful answer of its kind in that chat."""
    step = next(s for s in journey.steps if s.name == step_name)
    acted = journey.acted_at.get(step_name)
    if acted is None:
        return None
    for record in records_by_chat.get(journey.user.id, []):
        if record.method == step.answer_method and record.time >= acted and step.answer_text in text_of(record):
            return record.time - acted
    return None

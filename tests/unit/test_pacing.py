"""The sender's pacing holds Telegram's unknown limits: a hard cap, a small per-chat burst,
most important first, and slowing down on every 429 (AIMD)."""
import itertools
import math
import threading
import time

import pytest

from quickcart.telegram.pacing import BULK, NORMAL, URGENT, Pacer, PacingPolicy


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def drain(pacer: Pacer, clock: Clock, until: float = math.inf) -> list[tuple[float, object]]:
    """Let every queued message go as early as the pacer allows, each answered at once;
    (time, ticket) in sending order."""
    sent = []
    while clock.now <= until:
        ticket = pacer.grant()
        if ticket is not None:
            pacer.answered(ticket)
            sent.append((clock.now, ticket))
            continue
        opening = pacer.next_opening()
        if opening == math.inf:
            break
        assert opening > clock.now, "the pacer said a message may go now but let none go"
        clock.now = opening
    return sent


def most_in_any_window(times: list[float], window: float) -> int:
    """The most sends in any half-open window [t, t + window)."""
    times = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - window:
            first += 1
        most = max(most, last - first + 1)
    return most


def send_now(pacer: Pacer, clock: Clock, chat_id: int | None = None, answer: bool = True):
    pacer.submit(chat_id)
    ticket = pacer.grant()
    assert ticket is not None, f"a message to {chat_id} could not go at {clock.now}"
    if answer:
        pacer.answered(ticket)
    return ticket


# --- the hard cap and the bot-wide pace -------------------------------------------------------

def test_never_more_than_30_sends_in_any_sliding_second(clock):
    pacer = Pacer(clock=clock)
    for chat in range(600):
        for _ in range(3):
            pacer.submit(chat, priority=chat % 3)
    times = [moment for moment, _ in drain(pacer, clock)]

    assert len(times) == 1800
    assert most_in_any_window(times, 1.0) <= 30
    assert 1799 / (times[-1] - times[0]) == pytest.approx(28, abs=0.05)  # the steady pace


def test_the_cap_holds_even_when_rate_and_burst_would_allow_more(clock):
    pacer = Pacer(PacingPolicy(rate=29, burst=10), clock=clock)  # the old tuning: 10 + 29 in the first second
    for chat in range(200):
        pacer.submit(chat)
    times = [moment for moment, _ in drain(pacer, clock)]
    assert most_in_any_window(times, 1.0) == 30


def test_a_send_counts_against_the_cap_until_a_second_after_its_answer(clock):
    pacer = Pacer(PacingPolicy(cap=1, rate=100, burst=1), clock=clock)  # one send in any second
    slow = send_now(pacer, clock, 1, answer=False)  # Telegram counts it when it arrives: any moment until the answer
    clock.now += 5
    pacer.submit(2)
    assert pacer.grant() is None, "the first may not have arrived yet"
    pacer.answered(slow)
    assert pacer.next_opening() == clock.now + 1.0
    clock.now += 1.0
    assert pacer.grant() is not None


def test_the_cap_holds_across_pauses_cuts_and_recovery(clock):
    pacer = Pacer(clock=clock)
    times = []
    for round_ in range(40):
        for chat in range(40):
            pacer.submit(round_ * 100 + chat)
        times += [moment for moment, _ in drain(pacer, clock, until=clock.now + 0.7)]
        if round_ % 7 == 3:
            pacer.throttled(retry_after=1, sent_at=times[-1])
        clock.now += 0.3 * (round_ % 4)  # idle now and then, so bursts come back
    times += [moment for moment, _ in drain(pacer, clock)]
    assert most_in_any_window(times, 1.0) <= 30


# --- per chat ------------------------------------------------------------------------------

def test_a_chat_gets_three_at_once_then_one_message_every_1_05_s(clock):
    pacer = Pacer(PacingPolicy(rate=25, burst=5), clock=clock)  # a bot-wide burst that lets the chat's show
    started = clock.now
    for _ in range(6):
        pacer.submit(7)
    offsets = [round(moment - started, 3) for moment, _ in drain(pacer, clock)]
    assert offsets == [0, 0, 0, 1.05, 2.1, 3.15]


def test_a_chat_held_back_by_its_own_limit_does_not_hold_back_other_chats(clock):
    pacer = Pacer(clock=clock)
    for _ in range(5):
        pacer.submit(1)  # the fifth sale notice to one admin in a second
    for chat in range(2, 12):
        pacer.submit(chat)
    sent = drain(pacer, clock)
    others = [moment for moment, ticket in sent if ticket.chat_id != 1]
    assert max(others) - sent[0][0] < 0.5, "ten other chats went within half a second"


def test_a_message_that_waited_for_the_bot_does_not_overrun_its_chats_burst(clock):
    pacer = Pacer(clock=clock)
    send_now(pacer, clock, 7)  # chat 7 has begun its burst
    pacer.throttled(retry_after=5, sent_at=clock.now)
    for _ in range(4):
        pacer.submit(7)
    resumes = pacer.paused_until()
    sent = [moment for moment, _ in drain(pacer, clock)]
    # Counted from when they went, not from when they queued: after a 429 a chat's burst is two
    # (the second waits only for the bot-wide pace, now 19.6 a second with no burst).
    assert [round(moment - resumes, 3) for moment in sent] == [0, round(1 / 19.6, 3), 1.05, 2.1]


def test_chat_schedules_stay_bounded(clock):
    pacer = Pacer(PacingPolicy(cap=100_000, rate=10_000, burst=100), max_chats=1000, clock=clock)
    for chat in range(50_000):
        send_now(pacer, clock, chat)
        clock.now += 0.001
    assert pacer.tracked_chats() <= 1000


# --- priorities ----------------------------------------------------------------------------

def test_urgent_messages_overtake_a_queue_of_normal_and_bulk_ones(clock):
    pacer = Pacer(clock=clock)
    send_now(pacer, clock, 1)
    send_now(pacer, clock, 2)  # the burst is spent: everyone below has to queue
    for n in range(3):
        pacer.submit(100 + n, BULK)
    for n in range(3):
        pacer.submit(200 + n, NORMAL)
    pacer.submit(300, URGENT)  # the QR photo, last to arrive
    order = [ticket.chat_id for _, ticket in drain(pacer, clock)]
    assert order == [300, 200, 201, 202, 100, 101, 102]


def test_a_broadcast_goes_on_only_in_the_slots_customers_leave(clock):
    pacer = Pacer(clock=clock)
    for user in range(100):
        pacer.submit(10_000 + user, BULK)
    for customer in range(20):
        pacer.submit(customer, NORMAL)
    order = [ticket.priority for _, ticket in drain(pacer, clock)]
    assert order == [NORMAL] * 20 + [BULK] * 100


def test_senders_block_and_go_in_priority_order():
    pacer = Pacer(PacingPolicy(rate=5, burst=1))  # 200 ms a slot: all queue before the next opens
    order: list[str] = []
    lock = threading.Lock()

    def send(name, priority):
        with pacer.sending(None, priority), lock:
            order.append(name)

    with pacer.sending(None):  # the budget is spent
        pass
    queued = [threading.Thread(target=send, args=(f"bulk{i}", BULK)) for i in range(2)]
    queued += [threading.Thread(target=send, args=(f"normal{i}", NORMAL)) for i in range(2)]
    for waiting, thread in enumerate(queued, start=1):
        thread.start()
        wait_until(lambda waiting=waiting: pacer.waiting() == waiting)  # queued in this order
    urgent = threading.Thread(target=send, args=("qr", URGENT))
    urgent.start()
    for thread in queued + [urgent]:
        thread.join(5)
    assert order == ["qr", "normal0", "normal1", "bulk0", "bulk1"]


# --- 429: pause and AIMD ------------------------------------------------------------------

def test_a_429_pauses_every_send_for_retry_after(clock):
    pacer = Pacer(clock=clock)
    send_now(pacer, clock, 1)
    pacer.throttled(retry_after=3, sent_at=clock.now)
    throttled_at = clock.now
    pacer.submit(2, URGENT)
    pacer.submit(None)
    sent = drain(pacer, clock)
    assert sent[0][0] == throttled_at + 3 and sent[1][0] > throttled_at + 3


def test_a_429_cuts_rate_and_bursts_which_climb_back_slowly_after_the_pause(clock):
    pacer = Pacer(clock=clock)
    assert (pacer.rate(), pacer.bursts()) == (28, (2, 3))
    send_now(pacer, clock, 1)
    pacer.throttled(retry_after=2, sent_at=clock.now)
    cut_at = clock.now

    assert pacer.rate() == pytest.approx(28 * 0.7) and pacer.bursts() == (1, 2)
    clock.now = cut_at + 2  # the pause is over: climbing starts now
    assert pacer.rate() == pytest.approx(19.6)
    clock.now += 10
    assert pacer.rate() == pytest.approx(24.6) and pacer.bursts() == (1, 2)
    clock.now += (28 - 24.6) / 0.5 + 0.001
    assert pacer.rate() == 28 and pacer.bursts() == (2, 3)
    clock.now += 100
    assert pacer.rate() == 28


def test_after_a_429_the_sends_go_at_the_lower_rate(clock):
    pacer = Pacer(clock=clock)
    send_now(pacer, clock, 1)
    pacer.throttled(retry_after=1, sent_at=clock.now)
    for chat in range(2, 22):
        pacer.submit(chat)
    resumes = pacer.paused_until()
    times = [moment for moment, _ in drain(pacer, clock)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] == resumes
    assert min(gaps) > 1 / 20.5, "no burst, and about 19.6-20 a second while climbing back"


def test_429s_to_sends_made_before_the_cut_are_one_episode(clock):
    pacer = Pacer(clock=clock)
    first_sent = clock.now
    for chat in (1, 2):
        send_now(pacer, clock, chat)
    clock.now += 0.04
    send_now(pacer, clock, 3)
    for _ in range(3):  # the three answers come back, all 429
        pacer.throttled(retry_after=1, sent_at=first_sent)
        clock.now += 0.001
    assert pacer.rate() == pytest.approx(19.6)


def test_a_429_to_a_send_made_after_the_cut_cuts_again(clock):
    pacer = Pacer(clock=clock)
    send_now(pacer, clock, 1)
    pacer.throttled(retry_after=1, sent_at=clock.now)
    clock.now = pacer.paused_until()
    send_now(pacer, clock, 2)
    pacer.throttled(retry_after=2, sent_at=clock.now)
    assert pacer.rate() == pytest.approx(28 * 0.7 * 0.7)
    assert pacer.paused_until() == clock.now + 2


def test_the_rate_never_falls_below_its_floor(clock):
    pacer = Pacer(clock=clock)
    for _ in range(30):
        pacer.throttled(retry_after=1)
        clock.now = pacer.paused_until()
    assert pacer.rate() == 1.0


def test_a_paused_sender_that_is_not_paced_waits_the_pause_out():
    pacer = Pacer()
    pacer.throttled(retry_after=0.3)
    started = time.monotonic()
    pacer.wait_out_pause()
    assert time.monotonic() - started >= 0.29


def test_a_policy_that_makes_no_sense_is_refused():
    with pytest.raises(ValueError):
        PacingPolicy(decrease=1.5)
    with pytest.raises(ValueError):
        PacingPolicy(chat_burst=0)

"""The sender's pacing keeps to Telegram's global and per-chat limits."""
import threading
import time

from quickcart.telegram.pacing import Pacer


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_chat_gets_a_short_burst_then_one_message_a_second():
    clock = Clock()
    pacer = Pacer(global_rate=30, global_burst=10, chat_rate=1, chat_burst=4, clock=clock)
    times = [pacer.reserve_chat(7) - clock.now for _ in range(7)]
    assert times[:4] == [0, 0, 0, 0]
    assert [round(t, 3) for t in times[4:]] == [1.0, 2.0, 3.0]


def test_many_chats_share_thirty_a_second():
    clock = Clock()
    pacer = Pacer(global_rate=30, global_burst=1, clock=clock)
    moments = [pacer.reserve_global() for _ in range(300)]
    assert abs((moments[-1] - moments[0]) - 299 / 30) < 1e-6


def test_a_chat_held_back_by_its_own_limit_does_not_hold_back_other_chats():
    pacer = Pacer(global_rate=30, global_burst=5, chat_rate=1, chat_burst=1)
    pacer.wait(1)  # chat 1 has used its slot; its next message must wait a second
    waiting = threading.Thread(target=pacer.wait, args=(1,))
    waiting.start()
    time.sleep(0.05)
    started = time.monotonic()
    for chat in range(2, 6):
        pacer.wait(chat)
    assert time.monotonic() - started < 0.5, "other chats went at once"
    waiting.join()


def test_a_429_pauses_every_send():
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.pause(5)
    assert pacer.reserve_global() - clock.now == 5


def test_chat_schedules_stay_bounded():
    clock = Clock()
    pacer = Pacer(max_chats=1000, clock=clock)
    for chat in range(50_000):
        pacer.reserve_chat(chat)
        clock.now += 0.001
    assert pacer.tracked_chats() <= 1000

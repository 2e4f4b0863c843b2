"""The sender's pacing keeps to Telegram's global and per-chat limits, most important first."""
import threading
import time

from quickcart.telegram.pacing import BULK, NORMAL, URGENT, Pacer


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


def test_many_chats_share_the_global_rate():
    pacer = Pacer(global_rate=200, global_burst=1)
    started = time.monotonic()
    for _ in range(100):
        pacer.take_global()
    assert 0.45 < time.monotonic() - started < 1.0  # 99 intervals of 5 ms


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


def test_urgent_messages_overtake_a_queue_of_normal_and_bulk_ones():
    pacer = Pacer(global_rate=5, global_burst=1)  # 200 ms a slot: all queue before the next opens
    order: list[str] = []
    lock = threading.Lock()

    def send(name, priority):
        pacer.take_global(priority)
        with lock:
            order.append(name)

    pacer.take_global()  # the budget is spent: everyone below has to queue
    queued = [threading.Thread(target=send, args=(f"bulk{i}", BULK)) for i in range(3)]
    queued += [threading.Thread(target=send, args=(f"normal{i}", NORMAL)) for i in range(3)]
    for thread in queued:
        thread.start()
        time.sleep(0.005)
    urgent = threading.Thread(target=send, args=("qr", URGENT))
    urgent.start()
    for thread in queued + [urgent]:
        thread.join()
    assert order[0] == "qr"
    assert order[1:4] == ["normal0", "normal1", "normal2"] and order[4:] == ["bulk0", "bulk1", "bulk2"]


def test_a_429_pauses_every_send():
    pacer = Pacer(global_rate=1000, global_burst=10)
    pacer.pause(0.3)
    started = time.monotonic()
    pacer.take_global(URGENT)
    assert time.monotonic() - started >= 0.29


def test_chat_schedules_stay_bounded():
    clock = Clock()
    pacer = Pacer(max_chats=1000, clock=clock)
    for chat in range(50_000):
        pacer.reserve_chat(chat)
        clock.now += 0.001
    assert pacer.tracked_chats() <= 1000

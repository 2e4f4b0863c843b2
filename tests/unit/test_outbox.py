"""Posted replies go out in order per chat, without holding up the poster."""
import threading
import time

from quickcart.logging_setup import correlation
from quickcart.telegram.outbox import Outbox
from quickcart.telegram.pacing import URGENT, current_priority, sending_priority


def test_posts_keep_their_order_per_chat_and_the_poster_never_waits():
    outbox = Outbox(workers=2)
    outbox.start()
    sent: list[tuple[int, int]] = []
    release = threading.Event()

    def slow_send(chat, n):
        def send():
            release.wait(5)
            sent.append((chat, n))
        return send

    started = time.monotonic()
    for n in range(5):
        for chat in (10, 11, 12):
            outbox.post(chat, slow_send(chat, n))
    assert time.monotonic() - started < 0.1, "posting does not wait for sending"
    release.set()
    outbox.stop()
    for chat in (10, 11, 12):
        assert [n for c, n in sent if c == chat] == [0, 1, 2, 3, 4]


def test_a_post_keeps_the_posters_priority_and_log_tag_and_survives_failures():
    from quickcart.logging_setup import current_correlation_id
    outbox = Outbox(workers=1)
    outbox.start()
    seen = []

    def failing():
        raise RuntimeError("telegram said no")

    with correlation("upd-42"), sending_priority(URGENT):
        outbox.post(1, failing)
        outbox.post(1, lambda: seen.append((current_correlation_id(), current_priority())))
    outbox.stop()
    assert seen == [("upd-42", URGENT)]

"""Flood limits: N per minute per key, one notice per window, bounded memory."""
from quickcart.throttle import RateLimiter


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_the_eleventh_message_is_refused_with_one_notice_then_the_window_resets():
    clock = Clock()
    limiter = RateLimiter(10, clock=clock)
    verdicts = [limiter.hit("alice") for _ in range(13)]
    assert all(v.allowed for v in verdicts[:10])
    assert [(v.allowed, v.notify) for v in verdicts[10:]] == [(False, True), (False, False), (False, False)]
    clock.now = 60.0
    assert limiter.hit("alice").allowed


def test_a_larger_limit_can_be_given_per_call():
    limiter = RateLimiter(10, clock=Clock())
    assert all(limiter.hit("admin", 100).allowed for _ in range(100))
    assert not limiter.hit("admin", 100).allowed


def test_memory_stays_bounded_by_the_users_active_in_the_last_minute():
    clock = Clock()
    limiter = RateLimiter(10, clock=clock)
    for user in range(100_000):
        limiter.hit(user)
        clock.now += 0.01  # 100,000 users over 1,000 seconds
    assert len(limiter) <= 6_001

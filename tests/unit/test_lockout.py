"""Failed token attempts: five free, then exponentially longer lock-outs per client."""
from __future__ import annotations

from quickcart.lockout import FORGET_AFTER, FailureLockout


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_fifth_failure_locks_the_client_out_and_each_failure_after_doubles_the_lock_out():
    clock = Clock()
    lockout = FailureLockout(failures_before_lock=5, first_lock=10, max_lock=3600, clock=clock)
    assert [lockout.failed("1.2.3.4") for _ in range(4)] == [0, 0, 0, 0]
    assert lockout.locked_for("1.2.3.4") == 0
    assert lockout.failed("1.2.3.4") == 10
    assert lockout.locked_for("1.2.3.4") == 10
    clock.now += 10
    assert lockout.locked_for("1.2.3.4") == 0
    assert lockout.failed("1.2.3.4") == 20
    clock.now += 20
    assert lockout.failed("1.2.3.4") == 40


def test_the_lock_out_stops_growing_at_the_maximum():
    clock = Clock()
    lockout = FailureLockout(failures_before_lock=1, first_lock=10, max_lock=3600, clock=clock)
    locks = []
    for _ in range(100):
        locks.append(lockout.failed("a"))
        clock.now += locks[-1]
    assert max(locks) == 3600 and locks[-1] == 3600


def test_clients_are_locked_out_separately_and_a_success_forgets_the_failures():
    clock = Clock()
    lockout = FailureLockout(failures_before_lock=3, first_lock=10, clock=clock)
    for _ in range(3):
        lockout.failed("attacker")
    lockout.failed("owner")
    lockout.failed("owner")
    assert lockout.locked_for("attacker") > 0 and lockout.locked_for("owner") == 0
    lockout.succeeded("owner")
    assert [lockout.failed("owner") for _ in range(2)] == [0, 0]


def test_failures_are_forgotten_after_a_day_without_one():
    clock = Clock()
    lockout = FailureLockout(failures_before_lock=2, first_lock=10, clock=clock)
    lockout.failed("a")
    lockout.failed("a")
    assert lockout.locked_for("a") == 10
    clock.now += FORGET_AFTER + 1
    assert lockout.locked_for("a") == 0
    assert lockout.failed("a") == 0


def test_memory_is_bounded_by_forgetting_the_least_recent_clients():
    lockout = FailureLockout(max_clients=100, clock=Clock())
    for client in range(1000):
        lockout.failed(client)
    assert len(lockout) == 100

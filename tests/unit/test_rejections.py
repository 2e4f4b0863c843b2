"""Refused requests are logged as one counted line a minute, not one line each."""
from __future__ import annotations

import logging

from quickcart.rejections import RejectLog, RejectLogs


class FakeTimers:
    """Collects scheduled callbacks; the test decides when a minute is over."""

    def __init__(self):
        self.pending: list = []

    def __call__(self, seconds, callback) -> None:
        self.pending.append(callback)

    def minute_passes(self) -> None:
        due, self.pending = self.pending, []
        for callback in due:
            callback()


def lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "quickcart.rejections"]


def test_the_first_refusal_is_logged_at_once_and_the_rest_of_the_minute_as_one_counted_line(caplog):
    caplog.set_level(logging.INFO)
    timers = FakeTimers()
    webhook = RejectLog("webhook", schedule=timers)
    webhook.count("wrong project")
    for _ in range(300):
        webhook.count("malformed JSON")
    for _ in range(12):
        webhook.count("unknown order")
    assert lines(caplog) == ["webhook: 1 rejected (wrong project)"]
    timers.minute_passes()
    assert lines(caplog)[1:] == ["webhook: 312 rejected in the last minute (malformed JSON 300, unknown order 12)"]
    assert webhook.total == 313


def test_a_flood_that_goes_on_writes_one_line_a_minute_and_a_quiet_source_nothing(caplog):
    caplog.set_level(logging.INFO)
    timers = FakeTimers()
    webhook = RejectLog("webhook", schedule=timers)
    for _minute in range(5):
        for _ in range(1000):
            webhook.count("malformed JSON")
        timers.minute_passes()
    assert len(lines(caplog)) == 6  # the first at once, then one per minute
    timers.minute_passes()
    timers.minute_passes()
    assert len(lines(caplog)) == 6
    assert not timers.pending, "a quiet source keeps no timer"
    webhook.count("unknown order")
    assert lines(caplog)[-1] == "webhook: 1 rejected (unknown order)"


def test_flush_writes_what_was_counted_so_far_and_only_once(caplog):
    caplog.set_level(logging.INFO)
    logs = RejectLogs(schedule=FakeTimers())
    for _ in range(3):
        logs.count("http", "malformed request")
    logs.count("admin/stats", "missing or invalid admin token")
    logs.flush()
    logs.flush()
    assert lines(caplog) == ["http: 1 rejected (malformed request)",
                             "admin/stats: 1 rejected (missing or invalid admin token)",
                             "http: 2 rejected in the last minute (malformed request 2)"]


def test_the_number_of_kinds_in_one_line_is_bounded(caplog):
    caplog.set_level(logging.INFO)
    timers = FakeTimers()
    webhook = RejectLog("webhook", schedule=timers)
    for number in range(101):
        webhook.count(f"kind {number}")
    timers.minute_passes()
    summary = lines(caplog)[-1]
    assert summary.startswith("webhook: 100 rejected") and "other 80" in summary
    assert summary.count(",") == 20, "twenty kinds by name and the rest as other"

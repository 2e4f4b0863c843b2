"""The Telegram stand-in's flood limits can be read two ways: today's token buckets, and a
strict model (any sliding second holds 30, a chat's burst is 3, repeat offenders wait longer)."""
from __future__ import annotations

import time

import pytest
import telebot
from telebot import apihelper
from telebot.apihelper import ApiTelegramException

from quickcart.sandbox.telegram_limits import (
    DEFAULT_LIMITS,
    LIMIT_MODELS,
    SLIDING_WINDOW,
    STRICT_LIMITS,
    FloodControl,
    LimitModel,
)
from quickcart.sandbox.telegram_server import TelegramStandIn

T0 = 500.0


def admitted(flood: FloodControl, now: float, chats: range) -> int:
    """How many of these sends (one per chat, all at ``now``) are let through."""
    return sum(flood.admit(chat, now) == 0 for chat in chats)


def test_both_models_are_known_by_name():
    assert LIMIT_MODELS == {"default": DEFAULT_LIMITS, "strict": STRICT_LIMITS}
    assert STRICT_LIMITS.describe() == ("bot 30 in any 1 s; chat 1/s, burst 3; "
                                        "retry_after ×2 per repeat within 60 s (up to 60 s)")


def test_a_token_bucket_refills_where_a_sliding_window_counts_every_second():
    bucket, window = FloodControl(DEFAULT_LIMITS), FloodControl(STRICT_LIMITS)
    for flood in (bucket, window):
        assert admitted(flood, T0, range(30)) == 30
        assert flood.admit(30, T0) > 0  # the 31st in the same instant
    assert admitted(bucket, T0 + 0.5, range(100, 120)) == 15  # half a second refilled 15
    assert admitted(window, T0 + 0.5, range(100, 120)) == 0  # the second that began at T0 is still full
    assert admitted(window, T0 + 1.0, range(200, 240)) == 30  # T0's sends have left the window


def test_the_strict_window_holds_30_in_any_second_however_the_sends_are_spread():
    flood = FloodControl(STRICT_LIMITS)
    sent = [T0 + n * 0.02 for n in range(200) if flood.admit(n, T0 + n * 0.02) == 0]
    assert max(sum(t <= s < t + 1.0 for s in sent) for t in sent) == 30
    assert len(sent) == 30 + 30 + 30 + 30  # 50 a second offered, 30 a second taken


def test_a_strict_chat_gets_a_burst_of_three_then_one_a_second():
    flood = FloodControl(STRICT_LIMITS)
    assert [flood.admit(7, T0) for _ in range(4)] == [0, 0, 0, 1]
    assert flood.admit(7, T0 + 1.0) == 0
    assert flood.admit(8, T0 + 1.0) == 0  # another chat was never limited


def test_a_chat_limit_can_be_a_sliding_window_too():
    flood = FloodControl(LimitModel("windowed chats", chat_kind=SLIDING_WINDOW, chat_rate=1.0, chat_burst=3))
    assert [flood.admit(7, T0) for _ in range(3)] == [0, 0, 0]
    assert flood.admit(7, T0 + 1.0) == 2  # three in any three seconds
    assert flood.admit(7, T0 + 3.0) == 0


def fill(flood: FloodControl, now: float) -> None:
    assert admitted(flood, now, range(1000, 1030)) == 30


def test_retry_after_doubles_for_a_bot_that_keeps_hitting_the_limit_and_is_forgiven_later():
    flood = FloodControl(STRICT_LIMITS)
    answers = []
    now = T0
    for _ in range(8):
        fill(flood, now)
        answers.append(flood.admit(1, now))
        now += answers[-1]  # waits it out, then floods again
    assert answers == [1, 2, 4, 8, 16, 32, 60, 60]
    assert flood.longest_retry_after == 60

    now += 61  # a minute without hitting the limit
    fill(flood, now)
    assert flood.admit(1, now) == 1


def test_the_default_model_does_not_escalate():
    flood = FloodControl(DEFAULT_LIMITS)
    answers = []
    now = T0
    for _ in range(3):
        fill(flood, now)
        answers.append(flood.admit(1, now))
        now += 1.0
    assert answers == [1, 1, 1]


def test_a_model_that_makes_no_sense_is_refused():
    with pytest.raises(ValueError):
        LimitModel("odd", kind="leaky bucket")
    with pytest.raises(ValueError):
        LimitModel("odd", chat_burst=0)


@pytest.fixture
def strict():
    saved = apihelper.API_URL
    with TelegramStandIn(enforce_limits=True, limits=STRICT_LIMITS) as standin:
        apihelper.API_URL = standin.api_url
        try:
            yield standin
        finally:
            apihelper.API_URL = saved


def test_the_strict_stand_in_answers_the_31st_send_of_a_second_with_429_and_a_longer_wait_next_time(strict):
    bot = telebot.TeleBot(strict.token, threaded=False)
    strict.mark_started(range(1, 62))
    for chat in range(1, 31):
        bot.send_message(chat, "promo")
    with pytest.raises(ApiTelegramException) as first:
        bot.send_message(31, "promo")
    assert first.value.error_code == 429 and first.value.result_json["parameters"]["retry_after"] == 1
    assert strict.stats.responses_429 == 1 and strict.stats.unhonoured_429 == 0

    time.sleep(1)  # what a well-behaved bot does with retry_after
    for chat in range(31, 61):
        bot.send_message(chat, "promo")
    with pytest.raises(ApiTelegramException) as second:
        bot.send_message(61, "promo")
    assert second.value.result_json["parameters"]["retry_after"] == 2


def test_the_limit_model_can_be_switched_while_running(strict):
    bot = telebot.TeleBot(strict.token, threaded=False)
    strict.mark_started([5])
    strict.limits = DEFAULT_LIMITS
    for n in range(5):
        bot.send_message(5, f"burst {n}")  # the default model lets a chat burst five
    assert strict.stats.responses_429 == 0 and strict.limits.name == "default"

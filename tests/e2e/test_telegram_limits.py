"""The shop keeps to Telegram's limits however strictly Telegram reads them: against the
stand-in's strict model (30 in any sliding second, a chat's burst of 3, longer waits for
repeat offenders) a storm of new users is answered with (almost) no 429; against limits
lower than the shop assumes, it slows down after the first 429s instead of hitting them again."""
from __future__ import annotations

import time

from quickcart.sandbox.telegram_limits import SLIDING_WINDOW, STRICT_LIMITS, LimitModel


def storm(telegram, first_id: int, count: int) -> list:
    users = [telegram.user(first_id + n, f"Pelanggan {n}") for n in range(count)]
    stored_before = telegram.stats.messages_sent
    for user in users:
        user.send_text("/start")
    telegram.wait_until(lambda: telegram.stats.messages_sent - stored_before >= 2 * count, timeout=60,
                        what="a sticker and a greeting for everyone")
    return users


def answered(telegram, user) -> list[str]:
    return [message.kind for message in telegram.chat(user.id).bot_messages()]


def test_a_storm_of_new_users_against_the_strict_model_gets_almost_no_429(shop, telegram):
    telegram.limits = STRICT_LIMITS
    telegram.enforce_limits = True
    started = time.monotonic()
    users = storm(telegram, 810_000, 60)

    assert all(answered(telegram, user) == ["sticker", "text"] for user in users)
    assert telegram.stats.unhonoured_429 == 0
    assert telegram.stats.responses_429 <= 1, f"{telegram.stats.responses_429} of 120 sends answered 429"
    assert time.monotonic() - started > 120 / 30, "no faster than Telegram allows: the limit was in force"


def test_against_limits_lower_than_assumed_the_shop_backs_off_and_ignores_no_429(shop, telegram):
    telegram.limits = LimitModel("lower", kind=SLIDING_WINDOW, global_rate=18, global_burst=18, chat_burst=3,
                                 escalation=2.0)
    telegram.enforce_limits = True
    users = storm(telegram, 820_000, 30)

    assert all(answered(telegram, user) == ["sticker", "text"] for user in users)
    assert telegram.stats.unhonoured_429 == 0
    # A pacer that did not slow down would go on hitting the limit and be made to wait 1, 2, 4, 8 s...
    assert 1 <= telegram.stats.responses_429 <= 3
    assert telegram.flood.longest_retry_after <= 2, "the shop became a repeat offender"

"""A 429 from Telegram reaches the pacer: the whole bot pauses for retry_after and slows down."""
from __future__ import annotations

import threading

import pytest
from telebot import TeleBot

from quickcart.sandbox.telegram_server import TelegramStandIn
from quickcart.telegram.pacing import Pacer
from quickcart.telegram.transport import TelegramTransport

TOKEN = "7000003:UNITtokenThrottle-abcdefghijklmn"


@pytest.fixture
def telegram():
    with TelegramStandIn(token=TOKEN) as standin:
        standin.mark_started([1, 2])
        yield standin


@pytest.fixture
def transport(telegram):
    transport = TelegramTransport(telegram.base_url, pacer=Pacer())
    transport.install()
    yield transport
    transport.close()


def request_times(telegram: TelegramStandIn, method: str) -> list[tuple[float, int]]:
    return [(r.time, r.status) for r in telegram.request_log if r.method == method]


def test_a_429_pauses_every_send_then_the_message_goes_at_a_lower_rate(telegram, transport):
    bot = TeleBot(TOKEN, threaded=False)
    telegram.faults.add("sendMessage", status=429, retry_after=1, chat_id=1)
    first = threading.Thread(target=bot.send_message, args=(1, "first"))
    other = threading.Thread(target=bot.send_message, args=(2, "meanwhile"))
    first.start()
    # Once the shop has read the 429 (a send that left before it arrived could not know of it).
    telegram.wait_until(lambda: transport.health.throttled_429 == 1, what="the 429 read by the shop")
    other.start()
    first.join(5)
    other.join(5)

    (refused, status), *rest = request_times(telegram, "sendMessage")
    assert status == 429 and [s for _, s in rest] == [200, 200]
    assert all(moment - refused >= 0.95 for moment, _ in rest), "no send inside the announced second"
    assert telegram.stats.unhonoured_429 == 0 and transport.health.throttled_429 == 1
    assert transport.pacer.rate() < 28


def test_an_edit_answered_429_is_retried_after_the_pause(telegram, transport):
    bot = TeleBot(TOKEN, threaded=False)
    message = bot.send_message(1, "Broadcast: 0 / 100")
    telegram.faults.add("editMessageText", status=429, retry_after=1)
    bot.edit_message_text("Broadcast: 50 / 100", 1, message.message_id)

    (refused, status), (retried, retry_status) = request_times(telegram, "editMessageText")
    assert (status, retry_status) == (429, 200) and retried - refused >= 0.95
    assert telegram.chat(1).bot_messages()[-1].text == "Broadcast: 50 / 100"

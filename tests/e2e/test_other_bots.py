"""Commands addressed to another bot are not ours to answer."""
from __future__ import annotations

from tests.words import fragment


def test_a_command_for_another_bot_is_ignored_and_one_for_us_by_name_is_answered(shop, telegram):
    customer = telegram.user(8401, "Fajar")
    customer.send_text("/start@otherbot")
    customer.send_text("/start@QuickCart_Test_Bot")
    customer.wait_for_message(contains=fragment("start.welcome"))
    customer.send_text("/bantuan@quickcart_test_bot")
    # One user's updates are handled in order: once the help is answered, both /start were handled.
    customer.wait_for_message(contains=fragment("start.help"))
    welcomes = [m for m in customer.messages if m.from_bot and fragment("start.welcome") in m.plain_text()]
    assert len(welcomes) == 1
    assert "command for another bot ignored" in shop.logs()

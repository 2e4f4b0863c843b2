"""Helpers for the admin tests: an admin who started the bot, asking, DB snapshots."""
from __future__ import annotations

import re

from quickcart.db import database
from quickcart.sandbox.telegram_server import Message, TelegramStandIn
from quickcart.sandbox.telegram_users import FakeUser
from tests.admin_words import pattern
from tests.e2e.conftest import ADMIN_ID

# Every table whose rows an admin command could change. processed_update is
# left out: the gate records every update id, admin or not.
TABLES = ("user", "product", "order", "order_item", "stock_line", "ledger_entry", "audit_log", "setting")


def started(telegram: TelegramStandIn, user_id: int, name: str, username: str | None = None) -> FakeUser:
    """A user who has sent /start and got the greeting (so the bot may message them)."""
    user = telegram.user(user_id, name, username=username)
    user.send_text("/start")
    user.wait_for_message(greeted)
    return user


def greeted(message: Message) -> bool:
    """The welcome, whoever it greets."""
    return pattern("start.welcome").search(message.plain_text()) is not None


def start_admin(telegram: TelegramStandIn) -> FakeUser:
    return started(telegram, ADMIN_ID, "Bos", username="bos_toko")


def ask(user: FakeUser, text: str, expected: str | re.Pattern, timeout: float = 10.0) -> Message:
    """Send ``text`` and wait for the bot's answer containing ``expected`` (a text, or a :func:`pattern`)."""
    user.send_text(text)
    if isinstance(expected, re.Pattern):
        return user.wait_for_message(lambda m: expected.search(m.plain_text()), timeout=timeout)
    return user.wait_for_message(contains=expected, timeout=timeout)


def answers_since(user: FakeUser, message: Message) -> list[str]:
    """Plain texts of the bot's messages after ``message`` (oldest first)."""
    return [m.plain_text() for m in user.messages if m.from_bot and m.seq > message.seq]


def db_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table an admin could change."""
    return {table: database.execute_sql(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            for table in TABLES}


def audit_actions(actor_id: int = ADMIN_ID) -> list[str]:
    return [row[0] for row in database.execute_sql(
        "SELECT action FROM audit_log WHERE actor_id = ? ORDER BY id", (actor_id,)).fetchall()]

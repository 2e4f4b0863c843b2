"""How every admin command answers: in the admin's chat, a long list as several messages;
and how one tells a customer what an admin did."""
from __future__ import annotations

import logging

from telebot import types

from quickcart.handlers.context import App
from quickcart.telegram.sender import Markup, TelegramError

log = logging.getLogger(__name__)


def reply(app: App, message: types.Message, text: str | list[str]) -> None:
    for part in [text] if isinstance(text, str) else text:
        app.sender.send_text(message.chat.id, part)


def tell(app: App, customer_id: int, text: str, markup: Markup = None) -> bool:
    """Send a customer a message about an admin's action; False if they cannot be reached now."""
    try:
        app.sender.send_text(customer_id, text, markup)
    except TelegramError as exc:
        log.info("could not tell user %s (%s)", customer_id, exc.description)
        return False
    return True

"""How every admin command answers: in the admin's chat, a long list as several messages."""
from __future__ import annotations

from telebot import types

from quickcart.handlers.context import App


def reply(app: App, message: types.Message, text: str | list[str]) -> None:
    for part in [text] if isinstance(text, str) else text:
        app.sender.send_text(message.chat.id, part)

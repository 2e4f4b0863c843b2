"""The front door: /start, the main menu, help, and the fallbacks."""
from __future__ import annotations

import logging

from telebot import TeleBot, types

from quickcart import texts
from quickcart.handlers.common import Context, main_menu

log = logging.getLogger(__name__)


def register(bot: TeleBot, ctx: Context) -> None:
    shop = ctx.config.shop

    @bot.message_handler(commands=["start"], chat_types=["private"])
    def start(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        sticker = ctx.config.telegram.welcome_sticker
        if sticker:
            # A sticker id from another bot is refused: logged, the greeting still goes.
            ctx.sender.post_sticker(message.chat.id, sticker)
        ctx.sender.post_text(message.chat.id, texts.welcome(user.name or "Kak", shop.name), main_menu())

    @bot.message_handler(commands=["bantuan", "help"], chat_types=["private"])
    def help_command(message: types.Message) -> None:
        show_help(message)

    @bot.message_handler(func=lambda m: m.text == texts.BTN_HELP, chat_types=["private"])
    def show_help(message: types.Message) -> None:
        ctx.sender.post_text(message.chat.id, texts.help_text(shop.name, shop.support_contact,
                                                              ctx.config.payment.qr_ttl_minutes),
                             main_menu())


def register_fallbacks(bot: TeleBot, ctx: Context) -> None:
    """Registered last: whatever no other handler took."""

    @bot.message_handler(func=lambda m: bool(m.text) and m.text.startswith("/"), chat_types=["private"])
    def unknown_command(message: types.Message) -> None:
        # Admin commands from non-admins land here too: the same answer as
        # any unknown command, so nothing hints that they exist.
        ctx.sender.post_text(message.chat.id, texts.UNKNOWN_COMMAND, main_menu())

    @bot.message_handler(func=lambda m: True, chat_types=["private"],
                         content_types=["text", "document", "photo", "sticker", "voice", "video",
                                        "audio", "animation", "contact", "location", "video_note"])
    def unknown_message(message: types.Message) -> None:
        ctx.sender.post_text(message.chat.id, texts.UNKNOWN_TEXT, main_menu())

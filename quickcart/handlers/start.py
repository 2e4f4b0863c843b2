"""The front door: /start, the main menu, help, and what nothing else takes."""
from __future__ import annotations

from telebot import types

from quickcart import views
from quickcart.handlers.context import App
from quickcart.models import User


def greet(app: App, message: types.Message, user: User) -> None:
    say = app.say(user)
    sticker = app.config.telegram.welcome_sticker
    if sticker:
        # A sticker id from another bot is refused: logged, the greeting still goes.
        app.sender.post_sticker(message.chat.id, sticker)
    app.sender.post_text(message.chat.id, views.welcome(say, user.name, app.config.shop.name),
                         app.menu_keyboard(say))


def show_help(app: App, message: types.Message, user: User) -> None:
    say, shop = app.say(user), app.config.shop
    app.sender.post_text(message.chat.id, views.help_text(say, shop.name, shop.support_contact,
                                                          app.config.payment.qr_ttl_minutes),
                         app.menu_keyboard(say))


def unknown_command(app: App, message: types.Message, user: User) -> None:
    # Admin commands from non-admins land here too: the same answer as any
    # unknown command, so nothing hints that they exist.
    say = app.say(user)
    app.sender.post_text(message.chat.id, say("gate.unknown_command"), app.menu_keyboard(say))


def unknown_message(app: App, message: types.Message, user: User) -> None:
    say = app.say(user)
    app.sender.post_text(message.chat.id, say("gate.unknown_text"), app.menu_keyboard(say))

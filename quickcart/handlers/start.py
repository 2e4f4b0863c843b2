"""The front door: /start, the main menu, help, and what nothing else takes.

The welcome and the help are the admins' own words when they set them for
the reader's language (:mod:`quickcart.storefront`), read at every use.
"""
from __future__ import annotations

from telebot import types

from quickcart import referrals, storefront, views
from quickcart.admin_syntax import split_command
from quickcart.handlers.context import App
from quickcart.i18n import Speaker
from quickcart.models import User


def greet(app: App, message: types.Message, user: User) -> None:
    """/start, also through a referral link (``/start ref_USR001``): a new customer is tied to whoever shared it."""
    if app.config.shop.referrals_on:
        command = split_command(message.text)
        code = referrals.code_in_start(command.args) if command else None
        if code is not None:
            referrals.tie(user, code)
    say = app.say(user)
    sticker = app.config.telegram.welcome_sticker
    if sticker:
        # A sticker id from another bot is refused: logged, the greeting still goes.
        app.sender.post_sticker(message.chat.id, sticker)
    text = welcome_text(app, user)
    if app.is_admin(user.id):
        text = views.with_admin_entry(say, text)
    app.sender.post_text(message.chat.id, text, app.menu_keyboard(say))


def show_help(app: App, message: types.Message, user: User) -> None:
    say = app.say(user)
    app.sender.post_text(message.chat.id, help_text(app, user), app.menu_keyboard(say))


def welcome_text(app: App, user: User, say: Speaker | None = None) -> str:
    """The greeting for ``user``, in their language (or ``say``'s: an admin's preview of another language's)."""
    shop = storefront.shop_name(app.config.shop.name)
    say = say or app.say(user)
    return views.welcome(say, user.name, shop, storefront.for_reader("welcome", say.language))


def help_text(app: App, user: User, say: Speaker | None = None) -> str:
    shop = app.config.shop
    say = say or app.say(user)
    return views.help_text(say, storefront.shop_name(shop.name), storefront.contact(shop.support_contact),
                           app.config.payment.qr_ttl_minutes, storefront.for_reader("help", say.language))


def unknown_command(app: App, message: types.Message, user: User) -> None:
    # Admin commands from non-admins land here too: the same answer as any
    # unknown command, so nothing hints that they exist.
    say = app.say(user)
    app.sender.post_text(message.chat.id, say("gate.unknown_command"), app.menu_keyboard(say))


def unknown_message(app: App, message: types.Message, user: User) -> None:
    say = app.say(user)
    app.sender.post_text(message.chat.id, say("gate.unknown_text"), app.menu_keyboard(say))

"""Admins word the storefront from Telegram: the welcome, the help (each per language), the shop's name and
its contact.

``/settext`` alone lists them; ``/settext <name>`` shows the text in use
(to copy and change); ``/settext <name>`` with a text saves it and answers
with a preview as customers will see it; ``/settext <name> reset`` brings
the default back. A text Telegram would refuse is refused here, with why.
"""
from __future__ import annotations

from telebot import types

from quickcart import admin_views, storefront
from quickcart.admin_syntax import CommandText, UsageError, parse_set_text
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.handlers.start import help_text, welcome_text
from quickcart.i18n import speaker
from quickcart.models import User
from quickcart.richtext import FormatError


def set_text(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    edit = parse_set_text(command, storefront.NAMES)
    if edit.name is None:
        reply(app, message, admin_views.storefront_texts(say, {name: storefront.custom(name) is not None
                                                                for name in storefront.NAMES}))
        return
    if edit.reset:
        storefront.reset(admin.id, edit.name)
        reply(app, message, say("admin.storefront.reset", name=edit.name))
    elif edit.value is None:
        reply(app, message, admin_views.storefront_text(say, edit.name, _in_use(app, admin, edit.name),
                                                        storefront.custom(edit.name) is not None))
        return
    else:
        try:
            storefront.save(admin.id, edit.name, edit.value)
        except FormatError as exc:
            raise UsageError("settext", "admin.reason.text_format", problem=exc) from None
        reply(app, message, say("admin.storefront.saved", name=edit.name))
    reply(app, message, preview(app, admin, edit.name))


def _in_use(app: App, admin: User, name: str) -> str:
    """The text customers get now for ``name``: the admins' own, or the default as written."""
    found = storefront.custom(name)
    if found is not None:
        return found
    if name == "shopname":
        return app.config.shop.name
    if name == "contact":
        return app.config.shop.support_contact
    greeting = name.startswith("welcome")
    return app.texts.template(storefront.language_of(name), "start.welcome" if greeting else "start.help")


def preview(app: App, customer: User, name: str) -> str:
    """The message ``name`` changes, as ``customer`` would get it now: the welcome, or the help — for a
    text in a language, as its readers get it."""
    say = speaker(storefront.language_of(name)) if name in storefront.FORMATTED else app.say(customer)
    if name.startswith("welcome") or name == "shopname":
        return welcome_text(app, customer, say)
    return help_text(app, customer, say)

"""Admins run promo codes: /addpromo, /promos (with what each did), /editpromo, /disablepromo.

A code that breaks a rule (:class:`quickcart.promotions.PromoError`) is answered by
:func:`quickcart.handlers.admin.run` like a malformed command: why, the syntax, an example.
"""
from __future__ import annotations

from telebot import types

from quickcart import admin_views, promotions
from quickcart.admin_syntax import CommandText, parse_no_arguments
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.models import User
from quickcart.promo_syntax import parse_add_promo, parse_edit_promo, parse_promo_code


def add_promo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    wanted = parse_add_promo(command.argument)
    promo = promotions.add(admin.id, wanted.code, wanted.kind, wanted.value, wanted.options)
    reply(app, message, admin_views.promo_saved(app.say(admin), promo, added=True))


def promos(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    parse_no_arguments("promos", command.argument)
    reply(app, message, admin_views.promo_list(app.say(admin), promotions.figures()))


def edit_promo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    code, changes = parse_edit_promo(command.argument)
    promo = promotions.edit(admin.id, code, changes)
    reply(app, message, admin_views.promo_saved(app.say(admin), promo, added=False))


def disable_promo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    promo, changed = promotions.disable(admin.id, parse_promo_code("disablepromo", command.argument))
    say = app.say(admin)
    reply(app, message, say("admin.promo.disabled" if changed else "admin.promo.already_disabled", code=promo.code))

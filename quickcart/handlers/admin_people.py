"""Admins look after people: a profile, bans, roles, balance corrections."""
from __future__ import annotations

from telebot import types

from quickcart import admin_views, balance, reports, users, views
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    parse_add_balance,
    parse_ban,
    parse_set_role,
    parse_user_target,
)
from quickcart.handlers.admin_reply import reply, tell
from quickcart.handlers.context import App
from quickcart.models import User


def _user(command: str, query: str) -> User:
    found = users.find(query)
    if found is None:
        raise UsageError(command, "admin.reason.no_such_user", query=query)
    return found


def user(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    target = parse_user_target("user", command.argument)
    if target.rest:
        raise UsageError("user")
    found = users.find(target.query)
    if found is None:
        reply(app, message, say("admin.user.missing", query=target.query))
        return
    reply(app, message, admin_views.user_profile(say, found, *reports.user_order_totals(found)))


def ban(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    query, reason = parse_ban(command.argument)
    target = _user("ban", query)
    if app.is_admin(target.id):
        reply(app, message, say("admin.user.cannot_ban_admin"))
        return
    reply(app, message, admin_views.user_banned(say, users.ban(admin.id, target, reason)))


def unban(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    target = parse_user_target("unban", command.argument)
    if target.rest:
        raise UsageError("unban")
    unbanned = users.unban(admin.id, _user("unban", target.query))
    say = app.say(admin)
    reply(app, message, say("admin.user.unbanned", user=admin_views.user_label(say, unbanned)))


def set_role(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    query, role = parse_set_role(command.argument)
    changed = users.set_role(admin.id, _user("setrole", query), role)
    reply(app, message, admin_views.role_set(app.say(admin), changed))


def add_balance(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    change = parse_add_balance(command.argument)
    target = _user("addbalance", change.query)
    try:
        entry = balance.admin_adjust(admin.id, target, change.amount, change.note)
    except balance.InsufficientBalance as short:
        reply(app, message, admin_views.balance_short(say, target, short.balance, change.amount))
        return
    told = None
    if not change.silent:
        told = tell(app, target.id, views.balance_changed(app.say(target), change.amount, entry.balance_after,
                                                           change.note))
    reply(app, message, admin_views.balance_adjusted(say, target, change.amount, entry.balance_after, told))

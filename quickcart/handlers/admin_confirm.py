"""The buttons under an admin's question ("delete all of it?"): confirm or drop, once.

The button carries a one-time nonce that only the admin it was sent to can
claim (:class:`~quickcart.handlers.pending.Confirmations`): a double tap, a
second admin, an old button after a restart or anyone else all get the
answer any stale button gets, and nothing happens twice. The question is
edited into the outcome, without its buttons.
"""
from __future__ import annotations

from collections.abc import Callable

from telebot import types

from quickcart import admin_views
from quickcart.callbacks import Callback
from quickcart.catalogue import ProductError
from quickcart.handlers import admin_catalogue, admin_stock
from quickcart.handlers.context import App
from quickcart.handlers.pending import Confirmation
from quickcart.handlers.screens import show
from quickcart.i18n import Speaker
from quickcart.models import User

# what was confirmed → does it and says how it went
CONFIRMED: dict[str, Callable[[App, Speaker, User, Confirmation], str]] = {
    "clearstock": admin_stock.cleared,
    "delproduct": admin_catalogue.deleted,
}


def _claim(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> Confirmation | None:
    claimed = app.confirmations.claim(user.id, cb.args[0]) if app.is_admin(user.id) else None
    if claimed is None:
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
    return claimed


def confirm(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    confirmed = _claim(app, call, cb, user)
    if confirmed is None:
        return
    say = app.say(user)
    try:
        outcome = CONFIRMED[confirmed.action](app, say, user, confirmed)
    except ProductError as refused:  # it changed since the question (an order came in, another admin acted)
        outcome = say("admin.refused", reason=admin_views.reason(say, refused.key, refused.values))
    show(app, call, outcome, None)


def drop(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    if _claim(app, call, cb, user) is not None:
        show(app, call, app.say(user)("admin.confirm.dropped"), None)

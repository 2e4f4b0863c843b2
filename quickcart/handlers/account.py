"""Riwayat (order history, goods shown again), Akun (the profile) and the language switch.

The switch is on the profile and behind ``/bahasa`` (``/language``): one button
per language, each named in its own language. The choice is the user's from
then on (Telegram's app language no longer changes it); the pressed screen is
shown again in the new language and a short message brings the main menu's
keyboard in it.
"""
from __future__ import annotations

from telebot import types

from quickcart import orders, refunds, users, views
from quickcart.callbacks import Callback, encode
from quickcart.delivery import send_goods
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import Screen, owned_order, pager, show
from quickcart.i18n import DEFAULT_LANGUAGE, Speaker
from quickcart.models import PAID, PENDING, Order, User


def history_screen(say: Speaker, user: User, page: int) -> Screen:
    found, page, pages = orders.history(user, page)
    if not found:
        return say("history.empty"), None
    what = views.order_summaries(say, found, orders.first_items(found))
    rows = [[(views.history_button(say, order, what.get(order.id, "")), encode("ord", order.id, page))]
            for order in found]
    rows += pager(say, page, pages, lambda p: encode("hist", p))
    return views.history_title(say, page, pages), inline(rows)


def _shows_goods(order: Order) -> bool:
    return order.status == PAID and order.is_purchase and not order.is_credited


def order_screen(say: Speaker, order: Order, page: int) -> Screen:
    rows = []
    if _shows_goods(order):
        rows.append([(say.plain("btn.show_goods"), encode("goods", order.id))])
    if order.status == PENDING and order.payment_number:
        rows.append([(say.plain("btn.check_status"), encode("chk", order.id)),
                     (say.plain("btn.cancel"), encode("cnl", order.id))])
    rows.append([(say.plain("btn.contact"), encode("ask", order.id))])
    rows.append([(say.plain("btn.history_back"), encode("hist", page))])
    return views.order_detail(say, order, orders.items(order), refunds.previous_refund(order)), inline(rows)


def show_history(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *history_screen(app.say(user), user, 0))


def history_page(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    show(app, call, *history_screen(app.say(user), user, cb.int(0)))


def order_detail(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is not None:
        show(app, call, *order_screen(app.say(user), order, cb.int(1)))


def goods_again(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    if not _shows_goods(order):
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    app.sender.answer(call.id)
    send_goods(app.sender, app.say(user), call.message.chat.id, order)


# Where a language button was pressed, so that screen is shown again in the new language.
ON_ACCOUNT = "a"
ON_LANGUAGE = "l"


def language_buttons(app: App, say: Speaker, where: str) -> list[list[tuple[str, str]]]:
    """🇮🇩 / 🇬🇧: each language named in its own words, the reader's marked; the shop's own first."""
    row = []
    for language in sorted(app.texts.languages, key=lambda code: (code != DEFAULT_LANGUAGE, code)):
        name = app.texts.plain(language, "language.name")
        label = say.plain("btn.language_current", name=name) if language == say.language else name
        row.append((label, encode("lang", language, where)))
    return [row]


def account_screen(app: App, say: Speaker, user: User) -> Screen:
    paid, spent = orders.purchase_totals(user)
    return views.account(say, user, paid, spent), inline(language_buttons(app, say, ON_ACCOUNT))


def language_screen(app: App, say: Speaker) -> Screen:
    return say("language.choose"), inline(language_buttons(app, say, ON_LANGUAGE))


def show_account(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *account_screen(app, app.say(user), user))


def show_languages(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *language_screen(app, app.say(user)))


def choose_language(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    language, where = cb.args
    if language not in app.texts.languages:
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    changed = users.choose_language(user.id, language)
    user = users.get(user.id)
    say = app.say(user)
    app.sender.answer(call.id, say.plain("language.chosen"))
    if not changed:
        return  # a double tap, or the language they already had: nothing to show again
    show(app, call, *(account_screen(app, say, user) if where == ON_ACCOUNT else language_screen(app, say)))
    app.sender.post_text(call.message.chat.id, say("language.changed"), app.menu_keyboard(say))

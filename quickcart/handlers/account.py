"""Riwayat (order history, goods shown again) and Akun (the profile)."""
from __future__ import annotations

from telebot import types

from quickcart import orders, views
from quickcart.callbacks import Callback, encode
from quickcart.delivery import send_goods
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import Screen, owned_order, pager, show
from quickcart.i18n import Speaker
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
    rows.append([(say.plain("btn.history_back"), encode("hist", page))])
    return views.order_detail(say, order, orders.items(order)), inline(rows)


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


def show_account(app: App, message: types.Message, user: User) -> None:
    say = app.say(user)
    paid, spent = orders.purchase_totals(user)
    app.sender.post_text(message.chat.id, views.account(say, user, paid, spent), app.menu_keyboard(say))

"""Riwayat (order history, goods shown again) and Akun (the profile)."""
from __future__ import annotations

from telebot import TeleBot, types

from quickcart import orders, texts
from quickcart.callbacks import Callback, encode
from quickcart.delivery import send_goods
from quickcart.handlers.common import CallbackRouter, Context, inline, main_menu
from quickcart.handlers.shop import show
from quickcart.models import PAID, PENDING, User
from quickcart.timeutil import format_jakarta


def history_screen(user: User, page: int) -> tuple[str, types.InlineKeyboardMarkup | None]:
    rows_orders, page, pages = orders.history(user, page)
    if not rows_orders:
        return texts.HISTORY_EMPTY, None
    what = orders.summaries(rows_orders)
    rows = [[(texts.history_button(order, what.get(order.id, ""), format_jakarta(order.created_at)),
              encode("ord", order.id, page))] for order in rows_orders]
    nav = []
    if page > 0:
        nav.append((texts.BTN_PREV, encode("hist", page - 1)))
    if pages > 1:
        nav.append((f"{page + 1}/{pages}", encode("noop")))
    if page < pages - 1:
        nav.append((texts.BTN_NEXT, encode("hist", page + 1)))
    if nav:
        rows.append(nav)
    return texts.history_title(page, pages), inline(rows)


def order_screen(order, page: int) -> tuple[str, types.InlineKeyboardMarkup]:
    paid = format_jakarta(order.paid_at) if order.paid_at else None
    text = texts.order_detail(order, orders.items(order), format_jakarta(order.created_at), paid)
    rows = []
    if order.status == PAID and order.is_purchase and order.settlement != "credited":
        rows.append([(texts.BTN_SHOW_GOODS, encode("goods", order.id))])
    if order.status == PENDING and order.payment_number:
        rows.append([(texts.BTN_CHECK_STATUS, encode("chk", order.id)),
                     (texts.BTN_CANCEL, encode("cnl", order.id))])
    rows.append([(texts.BTN_HISTORY_BACK, encode("hist", page))])
    return text, inline(rows)


def register(bot: TeleBot, ctx: Context, router: CallbackRouter) -> None:

    @bot.message_handler(commands=["riwayat"], chat_types=["private"])
    def history_command(message: types.Message) -> None:
        show_history(message)

    @bot.message_handler(func=lambda m: m.text == texts.BTN_HISTORY, chat_types=["private"])
    def show_history(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        ctx.sender.post_text(message.chat.id, *history_screen(user, 0))

    @router.route("hist")
    def history_page(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        show(ctx, call, *history_screen(user, cb.int(0)))

    @router.route("ord")
    def order_detail(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        order = orders.owned(cb.int(0), user.id)
        if order is None:
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            return
        show(ctx, call, *order_screen(order, cb.int(1)))

    @router.route("goods")
    def goods_again(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        order = orders.owned(cb.int(0), user.id)
        if order is None or order.status != PAID or not order.is_purchase or order.settlement == "credited":
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            return
        ctx.sender.answer(call.id)
        send_goods(ctx.sender, call.message.chat.id, order)

    @bot.message_handler(commands=["akun"], chat_types=["private"])
    def account_command(message: types.Message) -> None:
        show_account(message)

    @bot.message_handler(func=lambda m: m.text == texts.BTN_ACCOUNT, chat_types=["private"])
    def show_account(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        paid, spent = orders.purchase_totals(user)
        ctx.sender.post_text(message.chat.id, texts.account(user, paid, spent), main_menu())

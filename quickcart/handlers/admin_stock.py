"""Admins look after stock lines one by one: list them (masked), remove, rewrite, clear a product's.

A line is shown by its id and its first and last character only: the
credential itself never goes into a chat. Only available lines can be
removed or rewritten; a line reserved by an unpaid order or sold is
refused, with the order that holds it. /clearstock asks first, with a
one-time button for the admin who asked.
"""
from __future__ import annotations

from telebot import types

from quickcart import admin_views, catalogue, stock
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    parse_edit_line,
    parse_line_ids,
    parse_lines,
    parse_product_id,
)
from quickcart.callbacks import Callback, encode
from quickcart.handlers.admin_catalogue import confirm_buttons, live_product
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App, inline
from quickcart.handlers.pending import Confirmation
from quickcart.handlers.screens import Screen, pager, show
from quickcart.i18n import Speaker
from quickcart.models import Product, User

# stock.replace_line's refusals → why, in the catalogue
LINE_REFUSALS = {
    "blank": "admin.reason.line_blank",
    "too_long": "admin.reason.line_too_long",
    "missing": "admin.reason.line_missing",
    "removed": "admin.reason.line_removed",
    "reserved": "admin.reason.line_reserved",
    "sold": "admin.reason.line_sold",
    "same": "admin.reason.line_same",
    "duplicate": "admin.reason.line_duplicate",
}


def lines_screen(say: Speaker, product: Product, page: int) -> Screen:
    listed = stock.available_page(product.id, page)
    rows = pager(say, listed.page, listed.pages, lambda p: encode("lines", product.id, p))
    return admin_views.line_page(say, product, listed), inline(rows) if rows else None


def lines(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product_id, page = parse_lines(command.argument)
    product = live_product("lines", product_id)
    app.sender.send_text(message.chat.id, *lines_screen(app.say(admin), product, page))


def lines_page(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """The pager under /lines (admins only)."""
    product = catalogue.get(cb.int(0)) if app.is_admin(user.id) else None
    if product is None or product.is_deleted:
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    show(app, call, *lines_screen(app.say(user), product, cb.int(1)))


def delete_lines(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    removal = stock.remove_lines(parse_line_ids("delline", command.argument), admin.id)
    reply(app, message, admin_views.lines_removed(app.say(admin), removal))


def edit_line(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    line_id, text = parse_edit_line(command.argument)
    try:
        new_id = stock.replace_line(line_id, text, admin.id)
    except stock.LineRefused as refused:
        raise UsageError("editline", LINE_REFUSALS[refused.why], **refused.values) from None
    first, last = stock.ends(text.strip())
    reply(app, message, app.say(admin)("admin.lines.replaced", old=line_id, new=new_id, first=first, last=last))


def clear_stock(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    product = live_product("clearstock", parse_product_id("clearstock", command.argument))
    last = stock.last_available_id(product.id)
    if last is None:
        reply(app, message, say("admin.lines.nothing_to_clear", id=product.id, name=product.name))
        return
    nonce = app.confirmations.offer(admin.id, Confirmation("clearstock", product.id, up_to_line_id=last))
    question = say("admin.lines.clear_question", id=product.id, name=product.name,
                   count=stock.counts(product.id).available)
    app.sender.send_text(message.chat.id, question, confirm_buttons(say.plain("btn.confirm_clear"), say, nonce))


def cleared(app: App, say: Speaker, admin: User, confirmed: Confirmation) -> str:
    """/clearstock confirmed: the lines that were available when it was asked are taken off sale."""
    product = catalogue.live(confirmed.product_id)
    removed = stock.clear_available(product.id, admin.id, up_to_line_id=confirmed.up_to_line_id)
    return say("admin.lines.cleared", id=product.id, name=product.name, count=removed,
               available=stock.counts(product.id).available)

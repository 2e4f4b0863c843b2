"""Admins keep the catalogue: products (add, edit, list, show, hide) and their stock.

A product edit that breaks a rule raises :class:`~quickcart.catalogue.ProductError`,
answered by ``run()`` like a malformed command.

Stock comes as lines under ``/addstock <id>`` or as a .txt file captioned
with it; the answer counts what was added and what was refused.
"""
from __future__ import annotations

import logging

from telebot import types

from quickcart import admin_views, catalogue, stock
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    parse_add_product,
    parse_add_stock_head,
    parse_edit_product,
    parse_no_arguments,
    parse_product_id,
)
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.models import Product, User
from quickcart.telegram.sender import TelegramError

log = logging.getLogger(__name__)

MAX_STOCK_FILE_BYTES = 20 * 1024 * 1024  # what Telegram lets a bot download
IMPORT_NOTICE_LINES = 1000  # imports this big get a "working on it" message first


def _product(command: str, product_id: int) -> Product:
    product = catalogue.get(product_id)
    if product is None:
        raise UsageError(command, "admin.reason.no_such_product", id=product_id)
    return product


# --- products --------------------------------------------------------------------

def add_product(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    spec = parse_add_product(command.argument)
    product = catalogue.add_product(admin.id, spec.name, spec.category, spec.customer_price, spec.reseller_price,
                                    spec.description, minimum_price=app.gateway.minimum_amount)
    reply(app, message, admin_views.product_added(app.say(admin), product))


def edit_product(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product_id, changes = parse_edit_product(command.argument)
    product = catalogue.edit_product(admin.id, product_id, changes, minimum_price=app.gateway.minimum_amount)
    reply(app, message, admin_views.product_edited(app.say(admin), product, changes))


def products(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    parse_no_arguments("products", command.argument)
    reply(app, message, admin_views.product_list(app.say(admin), catalogue.all_products()))


def enable(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    _switch_product(app, message, command, admin, active=True)


def disable(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    _switch_product(app, message, command, admin, active=False)


def _switch_product(app: App, message: types.Message, command: CommandText, admin: User, active: bool) -> None:
    product = catalogue.set_active(admin.id, parse_product_id(command.name, command.argument), active)
    reply(app, message, admin_views.product_switched(app.say(admin), product))


# --- stock -----------------------------------------------------------------------

def add_stock_text(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product = _product("addstock", parse_add_stock_head(command.args))
    if not command.body.strip():
        raise UsageError("addstock", "admin.reason.no_stock_lines")
    _import(app, message, admin, product, command.body)


def add_stock_file(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    product = _product("addstock", parse_add_stock_head(command.argument))
    document = message.document
    name = (document.file_name or "").lower()
    too_big = say("admin.stock.file_too_big", megabytes=admin_views.megabytes(MAX_STOCK_FILE_BYTES, 0))
    if not (name.endswith(".txt") or (document.mime_type or "") == "text/plain"):
        reply(app, message, say("admin.stock.file_not_txt"))
        return
    if (document.file_size or 0) > MAX_STOCK_FILE_BYTES:
        reply(app, message, too_big)
        return
    try:
        data = app.sender.download(document.file_id, MAX_STOCK_FILE_BYTES)
    except TelegramError as exc:
        reply(app, message, too_big if exc.description == "file too large" else say("admin.stock.file_unreadable"))
        return
    try:
        text = data.decode("utf-8")  # a BOM survives decoding; split_lines drops it
    except UnicodeDecodeError:
        reply(app, message, say("admin.stock.file_not_utf8"))
        return
    _import(app, message, admin, product, text)


def _import(app: App, message: types.Message, admin: User, product: Product, text: str) -> None:
    say = app.say(admin)
    lines = list(stock.split_lines(text))
    if not lines:
        reply(app, message, say("admin.stock.empty"))
        return
    if len(lines) >= IMPORT_NOTICE_LINES:
        reply(app, message, say("admin.stock.importing", count=len(lines), id=product.id, name=product.name))
    result = stock.add_lines(product.id, lines, actor_id=admin.id)
    log.info("stock import into product %s: %d added, %d duplicates, %d blank, %d too long",
             product.id, result.added, result.duplicates, result.blank, result.too_long)
    available = stock.counts(product.id).available
    reply(app, message, admin_views.stock_imported(say, product, result, available))


def stock_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product = _product("stock", parse_product_id("stock", command.argument))
    reply(app, message, admin_views.stock_counts(app.say(admin), product, stock.counts(product.id)))

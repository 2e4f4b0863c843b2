"""Running the shop from Telegram: the admin commands.

Only admins (``telegram.admin_ids``) reach these handlers: each is
registered behind ``ctx.is_admin``, so the same command from anyone else
falls through to the fallbacks and gets exactly the answer any unknown
command (or unknown file or photo) gets — nothing hints that they exist.

Each handler parses (:mod:`quickcart.admin_syntax`), calls one domain
function and replies (:mod:`quickcart.admin_texts`). A malformed command is
answered with its syntax and an example, and changes nothing. Every change
is written to the audit log by the domain function, in the transaction that
makes it; actions that change nothing themselves (a recheck, a backup, a
broadcast) are audited on their own.
"""
from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from telebot import types

from quickcart import (
    admin_texts,
    audit,
    backup,
    balance,
    catalogue,
    orders,
    reports,
    settings,
    stats,
    stock,
    users,
    views,
)
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    parse_add_balance,
    parse_add_product,
    parse_add_stock_head,
    parse_ban,
    parse_edit_product,
    parse_invoice,
    parse_no_arguments,
    parse_orders_count,
    parse_product_id,
    parse_resolve,
    parse_set_role,
    parse_switch,
    parse_user_target,
)
from quickcart.broadcast import Broadcast
from quickcart.handlers.context import App
from quickcart.models import Product
from quickcart.telegram.sender import TelegramError

log = logging.getLogger(__name__)

MAX_STOCK_FILE_BYTES = 20 * 1024 * 1024  # what Telegram lets a bot download
MAX_BACKUP_BYTES = 50 * 1024 * 1024  # what Telegram lets a bot upload
GOODS_INLINE_CHARS = 3000  # longer delivered goods come as a .txt file
IMPORT_NOTICE_LINES = 1000  # imports this big get a "working on it" message first

_BROADCAST_PREFIX = re.compile(r"^\s*/broadcast(?:@\w+)?\s*", re.IGNORECASE)



Handler = Callable[[App, types.Message, CommandText], None]


def run(app: App, message: types.Message, command: CommandText, handler: Handler) -> None:
    """Run an admin command; a malformed one is answered with its syntax and changes nothing."""
    log.info("admin %s: /%s", message.from_user.id, command.name)
    try:
        handler(app, message, command)
    except UsageError as exc:
        reply(app, message, admin_texts.usage(exc.command, exc.reason))


def reply(app: App, message: types.Message, text: str | list[str]) -> None:
    for part in [text] if isinstance(text, str) else text:
        app.sender.send_text(message.chat.id, part)


def _product(command: str, product_id: int) -> Product:
    product = catalogue.get(product_id)
    if product is None:
        raise UsageError(command, f"produk #{product_id} tidak ada (lihat /products)")
    return product

def _user(command: str, query: str):
    user = users.find(query)
    if user is None:
        raise UsageError(command, f"pengguna {query} tidak ditemukan")
    return user

# --- help and products ---------------------------------------------------------

def admin_help(app: App, message: types.Message, command: CommandText) -> None:
    reply(app, message, admin_texts.split_for_telegram(admin_texts.admin_help().split("\n")))

def add_product(app: App, message: types.Message, command: CommandText) -> None:
    spec = parse_add_product(command.argument)
    try:
        product = catalogue.add_product(message.from_user.id, spec.name, spec.category,
                                        spec.customer_price, spec.reseller_price, spec.description,
                                        minimum_price=app.gateway.minimum_amount)
    except catalogue.ProductError as exc:
        raise UsageError("addproduct", str(exc)) from None
    reply(app, message, admin_texts.product_added(product))

def edit_product(app: App, message: types.Message, command: CommandText) -> None:
    product_id, changes = parse_edit_product(command.argument)
    try:
        product = catalogue.edit_product(message.from_user.id, product_id, changes,
                                         minimum_price=app.gateway.minimum_amount)
    except catalogue.ProductError as exc:
        raise UsageError("editproduct", str(exc)) from None
    reply(app, message, admin_texts.product_edited(product, changes))

def products(app: App, message: types.Message, command: CommandText) -> None:
    parse_no_arguments("products", command.argument)
    reply(app, message, admin_texts.product_list(catalogue.all_products()))

def enable(app: App, message: types.Message, command: CommandText) -> None:
    _switch_product(app, message, command, active=True)

def disable(app: App, message: types.Message, command: CommandText) -> None:
    _switch_product(app, message, command, active=False)

def _switch_product(app: App, message: types.Message, command: CommandText, active: bool) -> None:
    product_id = parse_product_id(command.name, command.argument)
    try:
        product = catalogue.set_active(message.from_user.id, product_id, active)
    except catalogue.ProductError as exc:
        raise UsageError(command.name, str(exc)) from None
    reply(app, message, admin_texts.product_switched(product))

# --- stock ---------------------------------------------------------------------

def add_stock_text(app: App, message: types.Message, command: CommandText) -> None:
    product = _product("addstock", parse_add_stock_head(command.args))
    if not command.body.strip():
        raise UsageError("addstock", "tulis item di baris-baris bawahnya, atau kirim file .txt")
    _import(app, message, product, command.body)

def add_stock_file(app: App, message: types.Message, command: CommandText) -> None:
    product = _product("addstock", parse_add_stock_head(command.argument))
    document = message.document
    name = (document.file_name or "").lower()
    if not (name.endswith(".txt") or (document.mime_type or "") == "text/plain"):
        reply(app, message, admin_texts.STOCK_FILE_NOT_TXT)
        return
    if (document.file_size or 0) > MAX_STOCK_FILE_BYTES:
        reply(app, message, admin_texts.stock_file_too_big(MAX_STOCK_FILE_BYTES))
        return
    try:
        data = app.sender.download(document.file_id, MAX_STOCK_FILE_BYTES)
    except TelegramError as exc:
        too_big = exc.description == "file too large"
        reply(app, message, admin_texts.stock_file_too_big(MAX_STOCK_FILE_BYTES) if too_big
                   else admin_texts.STOCK_FILE_UNREADABLE)
        return
    try:
        text = data.decode("utf-8")  # a BOM survives decoding; split_lines drops it
    except UnicodeDecodeError:
        reply(app, message, admin_texts.STOCK_FILE_NOT_UTF8)
        return
    _import(app, message, product, text)

def _import(app: App, message: types.Message, product: Product, text: str) -> None:
    lines = list(stock.split_lines(text))
    if not lines:
        reply(app, message, admin_texts.STOCK_FILE_EMPTY)
        return
    if len(lines) >= IMPORT_NOTICE_LINES:
        reply(app, message, admin_texts.stock_importing(product, len(lines)))
    result = stock.add_lines(product.id, lines, actor_id=message.from_user.id)
    log.info("stock import into product %s: %d added, %d duplicates, %d blank, %d too long",
             product.id, result.added, result.duplicates, result.blank, result.too_long)
    available = stock.counts(product.id).available
    reply(app, message, admin_texts.stock_imported(product, result, available))

def stock_command(app: App, message: types.Message, command: CommandText) -> None:
    product = _product("stock", parse_product_id("stock", command.argument))
    reply(app, message, admin_texts.stock_counts(product, stock.counts(product.id)))

# --- users -----------------------------------------------------------------------

def user(app: App, message: types.Message, command: CommandText) -> None:
    target = parse_user_target("user", command.argument)
    if target.rest:
        raise UsageError("user")
    user = users.find(target.query)
    if user is None:
        reply(app, message, admin_texts.user_missing(target.query))
        return
    reply(app, message, admin_texts.user_profile(user, *reports.user_order_totals(user)))

def ban(app: App, message: types.Message, command: CommandText) -> None:
    query, reason = parse_ban(command.argument)
    user = _user("ban", query)
    if app.is_admin(user.id):
        reply(app, message, admin_texts.CANNOT_BAN_ADMIN)
        return
    reply(app, message, admin_texts.user_banned(users.ban(message.from_user.id, user, reason)))

def unban(app: App, message: types.Message, command: CommandText) -> None:
    target = parse_user_target("unban", command.argument)
    if target.rest:
        raise UsageError("unban")
    user = _user("unban", target.query)
    reply(app, message, admin_texts.user_unbanned(users.unban(message.from_user.id, user)))

def set_role(app: App, message: types.Message, command: CommandText) -> None:
    query, role = parse_set_role(command.argument)
    user = _user("setrole", query)
    reply(app, message, admin_texts.role_set(users.set_role(message.from_user.id, user, role)))

def add_balance(app: App, message: types.Message, command: CommandText) -> None:
    query, delta, note = parse_add_balance(command.argument)
    user = _user("addbalance", query)
    try:
        entry = balance.admin_adjust(message.from_user.id, user, delta, note)
    except balance.InsufficientBalance as short:
        reply(app, message, admin_texts.balance_would_go_negative(user, short.balance, delta))
        return
    reply(app, message, admin_texts.balance_adjusted(user, delta, entry.balance_after))

# --- orders --------------------------------------------------------------------

def order(app: App, message: types.Message, command: CommandText) -> None:
    invoice = parse_invoice("order", command.argument)
    order = orders.by_invoice(invoice)
    if order is None:
        reply(app, message, admin_texts.order_missing(invoice))
        return
    reply(app, message, admin_texts.order_detail(order, users.get(order.user_id), orders.items(order),
                                                 reports.order_trail(order)))
    if not order.is_purchase or order.status != "paid":
        return
    goods = views.goods_lines(app.say(), stock.delivered_lines(order))
    if not goods:
        reply(app, message, admin_texts.NO_GOODS)
    elif len(admin_texts.goods_inline(goods)) <= GOODS_INLINE_CHARS:
        reply(app, message, admin_texts.goods_inline(goods))
    else:
        app.sender.send_document(message.chat.id, f"{order.invoice_id}-barang.txt",
                                  ("\n".join(goods) + "\n").encode("utf-8"),
                                  caption=admin_texts.goods_caption(order.invoice_id, len(goods)))

def orders_command(app: App, message: types.Message, command: CommandText) -> None:
    latest = reports.latest_orders(parse_orders_count(command.argument))
    summaries = views.order_summaries(app.say(), latest, orders.first_items(latest))
    reply(app, message, admin_texts.order_list(latest, summaries))

def recheck(app: App, message: types.Message, command: CommandText) -> None:
    invoice = parse_invoice("recheck", command.argument)
    order = orders.by_invoice(invoice)
    if order is None:
        reply(app, message, admin_texts.order_missing(invoice))
        return
    outcome = app.payments.confirm(order, "admin")
    after = orders.get(order.id)
    audit.record_now("order.recheck", actor_id=message.from_user.id, subject=f"order:{order.invoice_id}",
                     before={"status": order.status}, after={"status": after.status, "outcome": outcome.value})
    reply(app, message, admin_texts.recheck_result(outcome.value, order.invoice_id, after.status))

def resolve(app: App, message: types.Message, command: CommandText) -> None:
    invoice, action, note = parse_resolve(command.argument)
    order = orders.by_invoice(invoice)
    if order is None:
        reply(app, message, admin_texts.order_missing(invoice))
        return
    if not app.payments.resolve_mismatch(message.from_user.id, order, action, note):
        reply(app, message, admin_texts.not_a_mismatch(invoice))
        return
    reply(app, message, admin_texts.mismatch_resolved(action, invoice))

# --- the shop ----------------------------------------------------------------------

def stats_command(app: App, message: types.Message, command: CommandText) -> None:
    parse_no_arguments("stats", command.argument)
    reply(app, message, admin_texts.stats_text(stats.shop_stats()))

def maintenance(app: App, message: types.Message, command: CommandText) -> None:
    on = parse_switch("maintenance", command.argument)
    was_on = settings.switch_maintenance(message.from_user.id, on)
    reply(app, message, admin_texts.maintenance_switched(on, was_on))

def backup_command(app: App, message: types.Message, command: CommandText) -> None:
    parse_no_arguments("backup", command.argument)
    name = backup.backup_name()
    with tempfile.TemporaryDirectory(prefix="quickcart-backup-") as directory:
        try:
            path = backup.make_backup(Path(directory) / name)
        except backup.BackupError:
            log.exception("backup failed")
            reply(app, message, admin_texts.BACKUP_FAILED)
            return
        size = path.stat().st_size
        if size > MAX_BACKUP_BYTES:
            reply(app, message, admin_texts.backup_too_big(size))
            return
        app.sender.send_document(message.chat.id, name, path.read_bytes(),
                                  caption=admin_texts.backup_caption(size))
    audit.record_now("backup.sent", actor_id=message.from_user.id, subject="database",
                     detail=f"{name}, {size} bytes")

# --- broadcast ---------------------------------------------------------------------

def broadcast_text(app: App, message: types.Message, command: CommandText) -> None:
    text = _BROADCAST_PREFIX.sub("", message.html_text or "", count=1).strip()
    if not text:
        raise UsageError("broadcast", "teks broadcast kosong")
    _broadcast(app, message, Broadcast(message.from_user.id, message.chat.id, text))

def broadcast_photo(app: App, message: types.Message, command: CommandText) -> None:
    caption = _BROADCAST_PREFIX.sub("", message.html_caption or "", count=1).strip()
    photo = message.photo[-1].file_id  # the largest size
    _broadcast(app, message, Broadcast(message.from_user.id, message.chat.id, caption, photo))

def _broadcast(app: App, message: types.Message, broadcast: Broadcast) -> None:
    if not app.broadcaster.start(broadcast):
        reply(app, message, admin_texts.BROADCAST_BUSY)


# /command → handler; the order is the /admin help's.
COMMANDS: dict[str, Handler] = {
    "admin": admin_help,
    "addproduct": add_product,
    "editproduct": edit_product,
    "products": products,
    "enable": enable,
    "disable": disable,
    "addstock": add_stock_text,
    "stock": stock_command,
    "user": user,
    "ban": ban,
    "unban": unban,
    "setrole": set_role,
    "addbalance": add_balance,
    "order": order,
    "orders": orders_command,
    "recheck": recheck,
    "resolve": resolve,
    "stats": stats_command,
    "broadcast": broadcast_text,
    "maintenance": maintenance,
    "backup": backup_command,
}

# (content type, command in the caption) → handler
CAPTIONED: dict[tuple[str, str], Handler] = {
    ("document", "addstock"): add_stock_file,
    ("photo", "broadcast"): broadcast_photo,
}

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

from telebot import TeleBot, types

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
)
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    command_name,
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
    split_command,
)
from quickcart.broadcast import Broadcast, Broadcaster
from quickcart.handlers.common import Context
from quickcart.models import Product
from quickcart.payments import PaymentService
from quickcart.telegram.sender import TelegramError

log = logging.getLogger(__name__)

MAX_STOCK_FILE_BYTES = 20 * 1024 * 1024  # what Telegram lets a bot download
MAX_BACKUP_BYTES = 50 * 1024 * 1024  # what Telegram lets a bot upload
GOODS_INLINE_CHARS = 3000  # longer delivered goods come as a .txt file
IMPORT_NOTICE_LINES = 1000  # imports this big get a "working on it" message first

_BROADCAST_PREFIX = re.compile(r"^\s*/broadcast(?:@\w+)?\s*", re.IGNORECASE)

Handler = Callable[[types.Message, CommandText], None]


class AdminCommands:
    """One method per command; :meth:`dispatch` routes and answers usage errors."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.sender = ctx.sender
        self.payments: PaymentService = ctx.services["payments"]
        self.broadcaster: Broadcaster = ctx.services["broadcast"]
        self.handlers: dict[str, Handler] = {
            "admin": self.help,
            "addproduct": self.add_product,
            "editproduct": self.edit_product,
            "products": self.products,
            "enable": self.enable,
            "disable": self.disable,
            "addstock": self.add_stock_text,
            "stock": self.stock,
            "user": self.user,
            "ban": self.ban,
            "unban": self.unban,
            "setrole": self.set_role,
            "addbalance": self.add_balance,
            "order": self.order,
            "orders": self.orders,
            "recheck": self.recheck,
            "resolve": self.resolve,
            "stats": self.stats,
            "broadcast": self.broadcast_text,
            "maintenance": self.maintenance,
            "backup": self.backup,
        }

    # --- plumbing -------------------------------------------------------------

    def run(self, message: types.Message, command: CommandText | None, handler: Handler) -> None:
        if command is None:
            return
        log.info("admin %s: /%s", message.from_user.id, command.name)
        try:
            handler(message, command)
        except UsageError as exc:
            self.reply(message, admin_texts.usage(exc.command, exc.reason))

    def dispatch(self, message: types.Message) -> None:
        command = split_command(message.text)
        if command is not None and command.name in self.handlers:
            self.run(message, command, self.handlers[command.name])

    def reply(self, message: types.Message, text: str | list[str]) -> None:
        for part in [text] if isinstance(text, str) else text:
            self.sender.send_text(message.chat.id, part)

    @staticmethod
    def admin_id(message: types.Message) -> int:
        return message.from_user.id

    def _product(self, command: str, product_id: int) -> Product:
        product = catalogue.get(product_id)
        if product is None:
            raise UsageError(command, f"produk #{product_id} tidak ada (lihat /products)")
        return product

    def _user(self, command: str, query: str):
        user = users.find(query)
        if user is None:
            raise UsageError(command, f"pengguna {query} tidak ditemukan")
        return user

    # --- help and products ---------------------------------------------------------

    def help(self, message: types.Message, command: CommandText) -> None:
        self.reply(message, admin_texts.split_for_telegram(admin_texts.admin_help().split("\n")))

    def add_product(self, message: types.Message, command: CommandText) -> None:
        spec = parse_add_product(command.argument)
        try:
            product = catalogue.add_product(self.admin_id(message), spec.name, spec.category,
                                            spec.customer_price, spec.reseller_price, spec.description,
                                            minimum_price=self.ctx.gateway.minimum_amount)
        except catalogue.ProductError as exc:
            raise UsageError("addproduct", str(exc)) from None
        self.reply(message, admin_texts.product_added(product))

    def edit_product(self, message: types.Message, command: CommandText) -> None:
        product_id, changes = parse_edit_product(command.argument)
        try:
            product = catalogue.edit_product(self.admin_id(message), product_id, changes,
                                             minimum_price=self.ctx.gateway.minimum_amount)
        except catalogue.ProductError as exc:
            raise UsageError("editproduct", str(exc)) from None
        self.reply(message, admin_texts.product_edited(product, changes))

    def products(self, message: types.Message, command: CommandText) -> None:
        parse_no_arguments("products", command.argument)
        self.reply(message, admin_texts.product_list(catalogue.all_products()))

    def enable(self, message: types.Message, command: CommandText) -> None:
        self._switch_product(message, command, active=True)

    def disable(self, message: types.Message, command: CommandText) -> None:
        self._switch_product(message, command, active=False)

    def _switch_product(self, message: types.Message, command: CommandText, active: bool) -> None:
        product_id = parse_product_id(command.name, command.argument)
        try:
            product = catalogue.set_active(self.admin_id(message), product_id, active)
        except catalogue.ProductError as exc:
            raise UsageError(command.name, str(exc)) from None
        self.reply(message, admin_texts.product_switched(product))

    # --- stock ---------------------------------------------------------------------

    def add_stock_text(self, message: types.Message, command: CommandText) -> None:
        product = self._product("addstock", parse_add_stock_head(command.args))
        if not command.body.strip():
            raise UsageError("addstock", "tulis item di baris-baris bawahnya, atau kirim file .txt")
        self._import(message, product, command.body)

    def add_stock_file(self, message: types.Message, command: CommandText) -> None:
        product = self._product("addstock", parse_add_stock_head(command.argument))
        document = message.document
        name = (document.file_name or "").lower()
        if not (name.endswith(".txt") or (document.mime_type or "") == "text/plain"):
            self.reply(message, admin_texts.STOCK_FILE_NOT_TXT)
            return
        if (document.file_size or 0) > MAX_STOCK_FILE_BYTES:
            self.reply(message, admin_texts.stock_file_too_big(MAX_STOCK_FILE_BYTES))
            return
        try:
            data = self.sender.download(document.file_id, MAX_STOCK_FILE_BYTES)
        except TelegramError as exc:
            too_big = exc.description == "file too large"
            self.reply(message, admin_texts.stock_file_too_big(MAX_STOCK_FILE_BYTES) if too_big
                       else admin_texts.STOCK_FILE_UNREADABLE)
            return
        try:
            text = data.decode("utf-8")  # a BOM survives decoding; split_lines drops it
        except UnicodeDecodeError:
            self.reply(message, admin_texts.STOCK_FILE_NOT_UTF8)
            return
        self._import(message, product, text)

    def _import(self, message: types.Message, product: Product, text: str) -> None:
        lines = list(stock.split_lines(text))
        if not lines:
            self.reply(message, admin_texts.STOCK_FILE_EMPTY)
            return
        if len(lines) >= IMPORT_NOTICE_LINES:
            self.reply(message, admin_texts.stock_importing(product, len(lines)))
        result = stock.add_lines(product.id, lines, actor_id=self.admin_id(message))
        log.info("stock import into product %s: %d added, %d duplicates, %d blank, %d too long",
                 product.id, result.added, result.duplicates, result.blank, result.too_long)
        available = stock.counts(product.id).available
        self.reply(message, admin_texts.stock_imported(product, result, available))

    def stock(self, message: types.Message, command: CommandText) -> None:
        product = self._product("stock", parse_product_id("stock", command.argument))
        self.reply(message, admin_texts.stock_counts(product, stock.counts(product.id)))

    # --- users -----------------------------------------------------------------------

    def user(self, message: types.Message, command: CommandText) -> None:
        target = parse_user_target("user", command.argument)
        if target.rest:
            raise UsageError("user")
        user = users.find(target.query)
        if user is None:
            self.reply(message, admin_texts.user_missing(target.query))
            return
        self.reply(message, admin_texts.user_profile(user, *reports.user_order_totals(user)))

    def ban(self, message: types.Message, command: CommandText) -> None:
        query, reason = parse_ban(command.argument)
        user = self._user("ban", query)
        if self.ctx.is_admin(user.id):
            self.reply(message, admin_texts.CANNOT_BAN_ADMIN)
            return
        self.reply(message, admin_texts.user_banned(users.ban(self.admin_id(message), user, reason)))

    def unban(self, message: types.Message, command: CommandText) -> None:
        target = parse_user_target("unban", command.argument)
        if target.rest:
            raise UsageError("unban")
        user = self._user("unban", target.query)
        self.reply(message, admin_texts.user_unbanned(users.unban(self.admin_id(message), user)))

    def set_role(self, message: types.Message, command: CommandText) -> None:
        query, role = parse_set_role(command.argument)
        user = self._user("setrole", query)
        self.reply(message, admin_texts.role_set(users.set_role(self.admin_id(message), user, role)))

    def add_balance(self, message: types.Message, command: CommandText) -> None:
        query, delta, note = parse_add_balance(command.argument)
        user = self._user("addbalance", query)
        try:
            entry = balance.admin_adjust(self.admin_id(message), user, delta, note)
        except balance.InsufficientBalance as short:
            self.reply(message, admin_texts.balance_would_go_negative(user, short.balance, delta))
            return
        self.reply(message, admin_texts.balance_adjusted(user, delta, entry.balance_after))

    # --- orders --------------------------------------------------------------------

    def order(self, message: types.Message, command: CommandText) -> None:
        invoice = parse_invoice("order", command.argument)
        order = orders.by_invoice(invoice)
        if order is None:
            self.reply(message, admin_texts.order_missing(invoice))
            return
        self.reply(message, admin_texts.order_detail(order, users.get(order.user_id), orders.items(order),
                                                     reports.order_trail(order)))
        if not order.is_purchase or order.status != "paid":
            return
        goods = stock.delivered_lines(order)
        if not goods:
            self.reply(message, admin_texts.NO_GOODS)
        elif len(admin_texts.goods_inline(goods)) <= GOODS_INLINE_CHARS:
            self.reply(message, admin_texts.goods_inline(goods))
        else:
            self.sender.send_document(message.chat.id, f"{order.invoice_id}-barang.txt",
                                      ("\n".join(goods) + "\n").encode("utf-8"),
                                      caption=admin_texts.goods_caption(order.invoice_id, len(goods)))

    def orders(self, message: types.Message, command: CommandText) -> None:
        latest = reports.latest_orders(parse_orders_count(command.argument))
        self.reply(message, admin_texts.order_list(latest, orders.summaries(latest)))

    def recheck(self, message: types.Message, command: CommandText) -> None:
        invoice = parse_invoice("recheck", command.argument)
        order = orders.by_invoice(invoice)
        if order is None:
            self.reply(message, admin_texts.order_missing(invoice))
            return
        outcome = self.payments.confirm(order, "admin")
        after = orders.get(order.id)
        audit.record_now("order.recheck", actor_id=self.admin_id(message), subject=f"order:{order.invoice_id}",
                         before={"status": order.status}, after={"status": after.status, "outcome": outcome.value})
        self.reply(message, admin_texts.recheck_result(outcome.value, order.invoice_id, after.status))

    def resolve(self, message: types.Message, command: CommandText) -> None:
        invoice, action, note = parse_resolve(command.argument)
        order = orders.by_invoice(invoice)
        if order is None:
            self.reply(message, admin_texts.order_missing(invoice))
            return
        if not self.payments.resolve_mismatch(self.admin_id(message), order, action, note):
            self.reply(message, admin_texts.not_a_mismatch(invoice))
            return
        self.reply(message, admin_texts.mismatch_resolved(action, invoice))

    # --- the shop ----------------------------------------------------------------------

    def stats(self, message: types.Message, command: CommandText) -> None:
        parse_no_arguments("stats", command.argument)
        self.reply(message, admin_texts.stats_text(stats.shop_stats()))

    def maintenance(self, message: types.Message, command: CommandText) -> None:
        on = parse_switch("maintenance", command.argument)
        was_on = settings.switch_maintenance(self.admin_id(message), on)
        self.reply(message, admin_texts.maintenance_switched(on, was_on))

    def backup(self, message: types.Message, command: CommandText) -> None:
        parse_no_arguments("backup", command.argument)
        name = backup.backup_name()
        with tempfile.TemporaryDirectory(prefix="quickcart-backup-") as directory:
            try:
                path = backup.make_backup(Path(directory) / name)
            except backup.BackupError:
                log.exception("backup failed")
                self.reply(message, admin_texts.BACKUP_FAILED)
                return
            size = path.stat().st_size
            if size > MAX_BACKUP_BYTES:
                self.reply(message, admin_texts.backup_too_big(size))
                return
            self.sender.send_document(message.chat.id, name, path.read_bytes(),
                                      caption=admin_texts.backup_caption(size))
        audit.record_now("backup.sent", actor_id=self.admin_id(message), subject="database",
                         detail=f"{name}, {size} bytes")

    # --- broadcast ---------------------------------------------------------------------

    def broadcast_text(self, message: types.Message, command: CommandText) -> None:
        text = _BROADCAST_PREFIX.sub("", message.html_text or "", count=1).strip()
        if not text:
            raise UsageError("broadcast", "teks broadcast kosong")
        self._broadcast(message, Broadcast(self.admin_id(message), message.chat.id, text))

    def broadcast_photo(self, message: types.Message, command: CommandText) -> None:
        caption = _BROADCAST_PREFIX.sub("", message.html_caption or "", count=1).strip()
        photo = message.photo[-1].file_id  # the largest size
        self._broadcast(message, Broadcast(self.admin_id(message), message.chat.id, caption, photo))

    def _broadcast(self, message: types.Message, broadcast: Broadcast) -> None:
        if not self.broadcaster.start(broadcast):
            self.reply(message, admin_texts.BROADCAST_BUSY)


def register(bot: TeleBot, ctx: Context) -> None:
    commands = AdminCommands(ctx)

    def from_admin(message: types.Message) -> bool:
        return message.from_user is not None and ctx.is_admin(message.from_user.id)

    @bot.message_handler(commands=list(commands.handlers), func=from_admin, chat_types=["private"])
    def admin_command(message: types.Message) -> None:
        commands.dispatch(message)

    @bot.message_handler(content_types=["document"], chat_types=["private"],
                         func=lambda m: from_admin(m) and command_name(m.caption) == "addstock")
    def stock_file(message: types.Message) -> None:
        commands.run(message, split_command(message.caption), commands.add_stock_file)

    @bot.message_handler(content_types=["photo"], chat_types=["private"],
                         func=lambda m: from_admin(m) and command_name(m.caption) == "broadcast")
    def broadcast_photo(message: types.Message) -> None:
        commands.run(message, split_command(message.caption), commands.broadcast_photo)

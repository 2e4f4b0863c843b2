"""Admins keep the catalogue: products (add, edit, list, show, hide, delete), how they look
(photo, terms, category names and their English, sort order) and their stock.

A product edit that breaks a rule raises :class:`~quickcart.catalogue.ProductError`,
answered by ``run()`` like a malformed command.

Stock comes as lines under ``/addstock <id>`` (the first item may sit on
the command's own line), as a .txt file captioned with it, as a reply
``/addstock <id>`` to a .txt sent earlier, or as a .txt sent bare: the
bot then asks which product, with a button for each. The answer counts
what was added and what was refused. Customers
who asked to be told when a sold-out product is back are told then.

/delproduct asks first, with a one-time button for the admin who asked
(answered in :mod:`quickcart.handlers.admin_confirm`).

What an unlimited product gives is set with ``/setcontent`` (a text or link)
and ``/setfile`` (a file, kept by Telegram's file_id); what a manual
product asks its buyer, with ``/setfields``.
"""
from __future__ import annotations

import logging

from telebot import types

from quickcart import admin_views, buyer_fields, catalogue, stock, views
from quickcart.admin_syntax import (
    CommandText,
    UsageError,
    parse_add_product,
    parse_add_stock_head,
    parse_edit_category,
    parse_edit_product,
    parse_no_arguments,
    parse_product_id,
    parse_product_text,
    parse_rename_category,
    parse_set_file,
    parse_set_photo,
)
from quickcart.callbacks import Callback, encode
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App, inline
from quickcart.handlers.pending import Confirmation
from quickcart.i18n import Speaker
from quickcart.models import Product, User
from quickcart.telegram.sender import MAX_CAPTION, TelegramError

log = logging.getLogger(__name__)

MAX_STOCK_FILE_BYTES = 20 * 1024 * 1024  # what Telegram lets a bot download
IMPORT_NOTICE_LINES = 1000  # imports this big get a "working on it" message first
CHOICE_BUTTONS = 40  # products offered as buttons for a bare .txt; beyond that, the reply with /addstock <id>
CHOICE_LABEL_CHARS = 28


def live_product(command: str, product_id: int) -> Product:
    """The product a command names; a missing or deleted one is refused with the command's syntax."""
    product = catalogue.get(product_id)
    if product is None:
        raise UsageError(command, "admin.reason.no_such_product", id=product_id)
    if product.is_deleted:
        raise UsageError(command, "admin.reason.product_deleted", id=product_id)
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


def edit_category(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    category, changes = parse_edit_category(command.argument)
    name_en = str(changes["name_en"])
    found = catalogue.name_category(admin.id, category, name_en)
    reply(app, message, admin_views.category_named(app.say(admin), found, name_en))


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

def _stock_product(command: str, product_id: int) -> Product:
    product = live_product(command, product_id)
    if not product.is_stock:
        raise UsageError(command, "admin.reason.not_stock", id=product.id, kind=product.kind)
    return product


def add_stock_text(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product_id, first_item = parse_add_stock_head(command.args)
    product = _stock_product("addstock", product_id)
    replied = message.reply_to_message
    if not first_item and not command.body.strip() and replied is not None and replied.content_type == "document":
        _import_document(app, message, admin, product, replied.document)  # "/addstock 7" in reply to a .txt
        return
    items = "\n".join(part for part in (first_item, command.body) if part)
    if not items.strip():
        raise UsageError("addstock", "admin.reason.no_stock_lines")
    _import(app, message, admin, product, items)


def add_stock_file(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product_id, rest = parse_add_stock_head(command.argument)
    if rest:
        raise UsageError("addstock", "admin.reason.caption_only_id", typed=rest[:40])
    _import_document(app, message, admin, _stock_product("addstock", product_id), message.document)


def stock_file_unlabelled(app: App, message: types.Message, admin: User) -> None:
    """A file sent without a caption: if it is a .txt, ask which product it is stock for."""
    say = app.say(admin)
    if not _is_text_file(message.document):
        reply(app, message, say("admin.stock.file_not_txt"))
        return
    products = [product for product in catalogue.all_products() if product.is_stock]  # the kind with lines
    if not products:
        reply(app, message, say("admin.product.list_empty"))
        return
    shown = sorted(products, key=lambda p: (not p.is_active, -p.id))[:CHOICE_BUTTONS]
    buttons = [(say.plain("admin.stock.choice_button", id=p.id, name=_short(say, p.name)), encode("stkf", p.id))
               for p in shown]
    app.sender.send_text(message.chat.id, say("admin.stock.which_product", shown=len(shown), total=len(products)),
                         inline([buttons[i:i + 2] for i in range(0, len(buttons), 2)]), reply_to=message.message_id)


def stock_file_chosen(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """A product chosen for the .txt that the question answers."""
    say = app.say(user)
    original = call.message.reply_to_message
    product = catalogue.get(cb.int(0))
    if (not app.is_admin(user.id) or product is None or product.is_deleted or not product.is_stock or original is None
            or original.document is None or original.from_user is None or original.from_user.id != user.id):
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return
    app.sender.answer(call.id)
    app.sender.edit_text(call.message.chat.id, call.message.message_id,
                         say("admin.stock.chosen", id=product.id, name=product.name))
    _import_document(app, call.message, user, product, original.document)


def _short(say, name: str) -> str:
    return name if len(name) <= CHOICE_LABEL_CHARS else name[:CHOICE_LABEL_CHARS - 1] + say.plain("admin.cut_line")


def _is_text_file(document: types.Document) -> bool:
    return (document.file_name or "").lower().endswith(".txt") or (document.mime_type or "") == "text/plain"


def _import_document(app: App, message: types.Message, admin: User, product: Product,
                     document: types.Document) -> None:
    say = app.say(admin)
    too_big = say("admin.stock.file_too_big", megabytes=admin_views.megabytes(MAX_STOCK_FILE_BYTES, 0))
    if not _is_text_file(document):
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
    if result.added:
        app.restock.stock_added(product.id)


# --- what unlimited and manual products give ---------------------------------------------

def set_content(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    edit = parse_product_text("setcontent", command)
    product = catalogue.set_content(admin.id, edit.product_id, edit.text)
    reply(app, message, admin_views.goods_set(app.say(admin), product))


def set_file(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """A document captioned ``/setfile <id>``: every buyer gets this file."""
    product_id = parse_set_file(command.argument, with_file=True)
    document = message.document
    product = catalogue.set_file(admin.id, product_id, document.file_id, document.file_name)
    reply(app, message, admin_views.goods_set(app.say(admin), product))


def remove_file(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """``/setfile <id> off`` as a message: the file is removed; without a file, any other form gets the syntax."""
    product = catalogue.set_file(admin.id, parse_set_file(command.argument, with_file=False), None)
    reply(app, message, admin_views.goods_set(app.say(admin), product))


def set_fields(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    edit = parse_product_text("setfields", command)
    spec = buyer_fields.dump(buyer_fields.parse_spec(edit.text)) if edit.text is not None else None
    product = catalogue.set_fields(admin.id, edit.product_id, spec)
    reply(app, message, admin_views.fields_set(app.say(admin), product, buyer_fields.load(product.fields_spec)))


def stock_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    product = live_product("stock", parse_product_id("stock", command.argument))
    reply(app, message, admin_views.stock_counts(app.say(admin), product, stock.counts(product.id)))


# --- deleting, renaming, presenting -----------------------------------------------------

def delete_product(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    product = catalogue.deletable(parse_product_id("delproduct", command.argument))
    nonce = app.confirmations.offer(admin.id, Confirmation("delproduct", product.id))
    counts = stock.counts(product.id)
    question = say("admin.product.delete_question", id=product.id, name=product.name, available=counts.available,
                   sold=counts.sold)
    app.sender.send_text(message.chat.id, question, confirm_buttons(say.plain("btn.confirm_delete"), say, nonce))


def confirm_buttons(label: str, say: Speaker, nonce: str) -> types.InlineKeyboardMarkup:
    """Under a question: ``label`` to confirm, and a button to drop it (the one-time ``nonce`` in both)."""
    return inline([[(label, encode("cfm", nonce)), (say.plain("btn.cancel_action"), encode("ccl", nonce))]])


def deleted(app: App, say: Speaker, admin: User, confirmed: Confirmation) -> str:
    """/delproduct confirmed: checked again (an order may have come in since the question)."""
    removed = catalogue.delete_product(admin.id, confirmed.product_id)
    product = catalogue.get(confirmed.product_id)
    return say("admin.product.deleted", id=product.id, name=product.name, removed=removed)


def rename_category(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    old, new = parse_rename_category(command.argument)
    moved = catalogue.rename_category(admin.id, old, new)
    reply(app, message, app.say(admin)("admin.product.category_renamed", old=old, new=new, count=moved))


def set_photo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """A photo captioned ``/setphoto <id>``: the card shows it from now on (a preview is sent back)."""
    say = app.say(admin)
    product = live_product("setphoto", parse_set_photo(command.argument, with_photo=True))
    product = catalogue.set_photo(admin.id, product.id, message.photo[-1].file_id)  # the largest size
    reply(app, message, say("admin.product.photo_set", id=product.id, name=product.name))
    buyable = catalogue.max_quantity(product, app.config.shop.max_quantity)
    preview = views.product_card(say, product, product.customer_price, 1, False, buyable, limit=MAX_CAPTION)
    app.sender.send_photo_id(message.chat.id, product.photo_file_id, preview)


def remove_photo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """``/setphoto <id> off`` as a message; without a photo, any other form is answered with the syntax."""
    product = live_product("setphoto", parse_set_photo(command.argument, with_photo=False))
    product = catalogue.set_photo(admin.id, product.id, None)
    reply(app, message, app.say(admin)("admin.product.photo_removed", id=product.id, name=product.name))


def set_terms(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    edit = parse_product_text("setterms", command)
    product = catalogue.edit_product(admin.id, edit.product_id, {"terms": edit.text or ""},
                                     minimum_price=app.gateway.minimum_amount)
    say = app.say(admin)
    if product.terms:
        reply(app, message, [say("admin.product.terms_set", id=product.id, name=product.name),
                             views.terms(say, product)])
    else:
        reply(app, message, say("admin.product.terms_removed", id=product.id, name=product.name))

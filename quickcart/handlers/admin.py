"""Running the shop from Telegram: which admin command goes where, /admin, and how each runs.

Only admins (``telegram.admin_ids``) reach these handlers: the dispatcher
looks a command up here only for them, so the same command from anyone else
gets exactly the answer any unknown command (or unknown file or photo)
gets — nothing hints that they exist.

A handler is ``handler(app, message, command, admin)``: it parses
(:mod:`quickcart.admin_syntax`), calls one domain function and replies in
the admin's language (:mod:`quickcart.admin_views`). A malformed command
raises :class:`~quickcart.admin_syntax.UsageError`, a product edit that
breaks a rule :class:`~quickcart.catalogue.ProductError`; :func:`run`
answers either with why, the command's syntax and an example; nothing has
changed.
Every change is written to the audit log by the domain function, in the
transaction that makes it; actions that change nothing themselves (a
recheck, a backup, a broadcast) are audited on their own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from telebot import types

from quickcart import admin_views
from quickcart.admin_syntax import DEFAULT_ORDERS_LISTED, MAX_ORDERS_LISTED, CommandText, UsageError
from quickcart.catalogue import ProductError
from quickcart.handlers import (
    admin_aftercare,
    admin_catalogue,
    admin_orders,
    admin_people,
    admin_promos,
    admin_shop,
    admin_stock,
    admin_storefront,
)
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.models import User
from quickcart.promotions import PromoError

log = logging.getLogger(__name__)

Handler = Callable[[App, types.Message, CommandText, User], None]


def run(app: App, message: types.Message, command: CommandText, handler: Handler, admin: User) -> None:
    """Run an admin command; a malformed one is answered with its syntax and changes nothing."""
    log.info("admin %s: /%s", admin.id, command.name)
    try:
        handler(app, message, command, admin)
    except UsageError as refused:
        reply(app, message, admin_views.usage(app.say(admin), refused.command, refused.reason, refused.values))
    except (ProductError, PromoError) as refused:  # an edit that breaks a rule: answered like a malformed one
        reply(app, message, admin_views.usage(app.say(admin), command.name, refused.key, refused.values))


def admin_help(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    reply(app, message, admin_views.admin_help(app.say(admin), COMMANDS, gateway=app.gateway.title,
                                               default=DEFAULT_ORDERS_LISTED, maximum=MAX_ORDERS_LISTED))


# /command → handler; the order is the /admin help's.
COMMANDS: dict[str, Handler] = {
    "admin": admin_help,
    "addproduct": admin_catalogue.add_product,
    "editproduct": admin_catalogue.edit_product,
    "editcat": admin_catalogue.edit_category,
    "setphoto": admin_catalogue.remove_photo,
    "setterms": admin_catalogue.set_terms,
    "renamecat": admin_catalogue.rename_category,
    "delproduct": admin_catalogue.delete_product,
    "products": admin_catalogue.products,
    "enable": admin_catalogue.enable,
    "disable": admin_catalogue.disable,
    "addstock": admin_catalogue.add_stock_text,
    "stock": admin_catalogue.stock_command,
    "lines": admin_stock.lines,
    "delline": admin_stock.delete_lines,
    "editline": admin_stock.edit_line,
    "clearstock": admin_stock.clear_stock,
    "setcontent": admin_catalogue.set_content,
    "setfile": admin_catalogue.remove_file,
    "setfields": admin_catalogue.set_fields,
    "user": admin_people.user,
    "ban": admin_people.ban,
    "unban": admin_people.unban,
    "setrole": admin_people.set_role,
    "addbalance": admin_people.add_balance,
    "order": admin_orders.order,
    "orders": admin_orders.orders_command,
    "recheck": admin_orders.recheck,
    "resolve": admin_orders.resolve,
    "refund": admin_orders.refund,
    "claims": admin_aftercare.claims,
    "addpromo": admin_promos.add_promo,
    "promos": admin_promos.promos,
    "editpromo": admin_promos.edit_promo,
    "disablepromo": admin_promos.disable_promo,
    "stats": admin_shop.stats_command,
    "export": admin_shop.export_command,
    "broadcast": admin_shop.broadcast_text,
    "maintenance": admin_shop.maintenance,
    "settext": admin_storefront.set_text,
    "backup": admin_shop.backup_command,
}

# (content type, command in the caption) → handler
CAPTIONED: dict[tuple[str, str], Handler] = {
    ("document", "addstock"): admin_catalogue.add_stock_file,
    ("document", "setfile"): admin_catalogue.set_file,
    ("photo", "broadcast"): admin_shop.broadcast_photo,
    ("photo", "setphoto"): admin_catalogue.set_photo,
}

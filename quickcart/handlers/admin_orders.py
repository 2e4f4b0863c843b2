"""Admins look into orders: one order with its trail and goods, the latest orders, a recheck
with the gateway, and the decision on a payment that did not match."""
from __future__ import annotations

from telebot import types

from quickcart import admin_views, audit, buyer_fields, manual, orders, refunds, reports, stock, users, views
from quickcart.admin_syntax import CommandText, parse_invoice, parse_orders_count, parse_refund, parse_resolve
from quickcart.handlers.admin_reply import reply, tell
from quickcart.handlers.context import App
from quickcart.models import PAID, Order, User

GOODS_INLINE_CHARS = 3000  # longer delivered goods come as a .txt file


def _order(app: App, message: types.Message, admin: User, invoice: str) -> Order | None:
    """The order with that invoice, or None once the admin has been told there is none."""
    found = orders.by_invoice(invoice)
    if found is None:
        reply(app, message, app.say(admin)("admin.order.missing", invoice=invoice))
    return found


def order(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    found = _order(app, message, admin, parse_invoice("order", command.argument))
    if found is None:
        return
    reply(app, message, admin_views.order_detail(app.say(admin), found, users.get(found.user_id),
                                                 orders.items(found), reports.order_trail(found), app.gateway.title,
                                                 refunds.previous_refund(found), buyer_fields.values_of(found),
                                                 manual.get(found.id)))
    if found.is_purchase and found.status == PAID:
        _send_goods(app, message, admin, found)


def _send_goods(app: App, message: types.Message, admin: User, paid: Order) -> None:
    say = app.say(admin)
    goods = views.goods_lines(say, stock.delivered_lines(paid))
    if not goods:
        reply(app, message, say("admin.order.no_goods"))
    elif len(admin_views.goods(say, goods)) <= GOODS_INLINE_CHARS:
        reply(app, message, admin_views.goods(say, goods))
    else:
        app.sender.send_document(message.chat.id, say.plain("admin.order.goods_file_name", invoice=paid.invoice_id),
                                 ("\n".join(goods) + "\n").encode("utf-8"),
                                 caption=say("admin.order.goods_caption", invoice=paid.invoice_id, count=len(goods)))


def orders_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    latest = reports.latest_orders(parse_orders_count(command.argument))
    summaries = views.order_summaries(say, latest, orders.first_items(latest))
    reply(app, message, admin_views.order_list(say, latest, summaries))


def recheck(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    found = _order(app, message, admin, parse_invoice("recheck", command.argument))
    if found is None:
        return
    outcome = app.payments.confirm(found, "admin")
    after = orders.get(found.id)
    audit.record_now("order.recheck", actor_id=admin.id, subject=f"order:{found.invoice_id}",
                     before={"status": found.status}, after={"status": after.status, "outcome": outcome.value})
    reply(app, message, app.say(admin)(f"admin.recheck.{outcome.value}", invoice=found.invoice_id,
                                       status=after.status, gateway=app.gateway.title))


def resolve(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    invoice, action, note = parse_resolve(command.argument)
    found = _order(app, message, admin, invoice)
    if found is None:
        return
    if not app.payments.resolve_mismatch(admin.id, found, action, note):
        reply(app, message, say("admin.order.not_a_mismatch", invoice=invoice))
    else:
        reply(app, message, say(f"admin.resolved.{action}", invoice=invoice))


def refund(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    request = parse_refund(command.argument)
    found = _order(app, message, admin, request.invoice)
    if found is None:
        return
    try:
        done = refunds.refund(admin.id, found, request.amount, request.reason)
    except refunds.RefundRefused as refused:
        reply(app, message, admin_views.refund_refused(say, refused.why.value, found, refused.previous))
        return
    buyer = users.get(found.user_id)
    told = tell(app, buyer.id, views.refunded(app.say(buyer), found.invoice_id, done.amount,
                                              done.entry.balance_after, done.reason))
    reply(app, message, admin_views.refund_done(say, done, buyer, told))

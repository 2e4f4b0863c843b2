"""The QR's buttons: "Status Pembayaran" and "Batalkan".

Both check that the order belongs to the presser. Status asks the gateway
now, at most 5 times a minute per order, through the same confirmation
path as the webhook and the polling job, and delivers if paid. Batalkan
cancels only once the gateway says the QR can no longer be paid.
"""
from __future__ import annotations

from telebot import types

from quickcart import orders
from quickcart.callbacks import Callback
from quickcart.handlers.context import App
from quickcart.models import CANCELLED, PAID, PENDING, User
from quickcart.payments import Outcome

_STATUS_ANSWERS = {
    Outcome.PAID: ("payment.received", False),
    Outcome.ALREADY_PAID: ("payment.already_paid", False),
    Outcome.CLOSED: ("payment.not_pending", True),
    Outcome.MISMATCH: ("payment.needs_admin", True),
    Outcome.UNKNOWN: ("payment.unknown", True),
}
_CANCEL_ANSWERS = {
    Outcome.PAID: ("payment.paid_not_cancelled", True),
    Outcome.ALREADY_PAID: ("payment.paid_not_cancelled", True),
    Outcome.MISMATCH: ("payment.needs_admin", True),
    Outcome.UNKNOWN: ("payment.cancel_unknown", True),
    Outcome.CLOSED: ("payment.cancelled", False),
    Outcome.PENDING: ("payment.cancelled", False),
}


def check_status(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say = app.say(user)
    order = orders.owned(cb.int(0), user.id)
    if order is None:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return
    if order.status == PAID:
        app.sender.answer(call.id, say.plain("payment.already_paid"))
        return
    if not app.payment_checks.hit(order.id).allowed:
        app.sender.answer(call.id, say.plain("payment.check_limit"), alert=True)
        return
    outcome = app.payments.confirm(order, "button")
    if outcome is Outcome.PENDING:
        app.sender.answer(call.id, say.plain("payment.pending", expires=order.expires_at), alert=True)
        return
    key, alert = _STATUS_ANSWERS[outcome]
    app.sender.answer(call.id, say.plain(key), alert=alert)


def cancel(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say = app.say(user)
    order = orders.owned(cb.int(0), user.id)
    if order is None:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return
    if order.status != PENDING:
        app.sender.answer(call.id, say.plain("payment.already_paid" if order.status == PAID
                                             else "payment.not_pending"))
        return
    key, alert = _CANCEL_ANSWERS[app.payments.close(order, CANCELLED, source="customer")]
    app.sender.answer(call.id, say.plain(key), alert=alert)

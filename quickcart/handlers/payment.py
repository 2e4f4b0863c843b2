"""The QR's buttons: "Status Pembayaran" and "Batalkan".

Both check that the order belongs to the presser. Status asks the gateway
now, at most 5 times a minute per order, through the same confirmation
path as the webhook and the polling job, and delivers if paid. Batalkan
cancels only once the gateway says the QR can no longer be paid.
"""
from __future__ import annotations

from telebot import types

from quickcart.callbacks import Callback
from quickcart.handlers.context import App
from quickcart.handlers.screens import owned_order
from quickcart.models import CANCELLED, PAID, PENDING, User
from quickcart.payments import Outcome

# (button, what the payment domain found) → (answer, as an alert that must be dismissed)
_ANSWERS = {
    ("status", Outcome.PAID): ("payment.received", False),
    ("status", Outcome.ALREADY_PAID): ("payment.already_paid", False),
    ("status", Outcome.CLOSED): ("payment.not_pending", True),
    ("status", Outcome.MISMATCH): ("payment.needs_admin", True),
    ("status", Outcome.UNKNOWN): ("payment.unknown", True),
    ("cancel", Outcome.PAID): ("payment.paid_not_cancelled", True),
    ("cancel", Outcome.ALREADY_PAID): ("payment.paid_not_cancelled", True),
    ("cancel", Outcome.MISMATCH): ("payment.needs_admin", True),
    ("cancel", Outcome.UNKNOWN): ("payment.cancel_unknown", True),
    ("cancel", Outcome.CLOSED): ("payment.cancelled", False),
}


def check_status(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    say = app.say(user)
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
    key, alert = _ANSWERS["status", outcome]
    app.sender.answer(call.id, say.plain(key), alert=alert)


def cancel(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    say = app.say(user)
    if order.status != PENDING:
        app.sender.answer(call.id, say.plain("payment.already_paid" if order.status == PAID
                                             else "payment.not_pending"))
        return
    key, alert = _ANSWERS["cancel", app.payments.close(order, CANCELLED, source="customer")]
    app.sender.answer(call.id, say.plain(key), alert=alert)

"""The QR's buttons: "Status Pembayaran" and "Batalkan".

Both check that the order belongs to the presser. Status asks Pakasir now,
at most 5 times a minute per order, through the same confirmation path as
the webhook and the polling job, and delivers if paid.
"""
from __future__ import annotations

from telebot import TeleBot, types

from quickcart import orders, texts
from quickcart.callbacks import Callback
from quickcart.handlers.common import CallbackRouter, Context
from quickcart.models import CANCELLED, PAID, PENDING, User
from quickcart.payments import Outcome, PaymentService
from quickcart.timeutil import format_jakarta


def register(bot: TeleBot, ctx: Context, router: CallbackRouter) -> None:
    payments: PaymentService = ctx.services["payments"]

    @router.route("chk")
    def check_status(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        order = orders.owned(cb.int(0), user.id)
        if order is None:
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            return
        if order.status == PAID:
            ctx.sender.answer(call.id, texts.PAYMENT_ALREADY_PAID)
            return
        if not ctx.payment_checks.hit(order.id).allowed:
            ctx.sender.answer(call.id, texts.PAYMENT_CHECK_LIMIT, alert=True)
            return
        outcome = payments.confirm(order, "button")
        if outcome is Outcome.PAID:
            ctx.sender.answer(call.id, texts.PAYMENT_RECEIVED)
        elif outcome is Outcome.ALREADY_PAID:
            ctx.sender.answer(call.id, texts.PAYMENT_ALREADY_PAID)
        elif outcome is Outcome.PENDING:
            ctx.sender.answer(call.id, texts.payment_pending(format_jakarta(order.expires_at)), alert=True)
        elif outcome is Outcome.CLOSED:
            ctx.sender.answer(call.id, texts.ORDER_NOT_PENDING, alert=True)
        elif outcome is Outcome.MISMATCH:
            ctx.sender.answer(call.id, texts.NEEDS_ADMIN_TOAST, alert=True)
        else:
            ctx.sender.answer(call.id, texts.PAYMENT_UNKNOWN, alert=True)

    @router.route("cnl")
    def cancel(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        order = orders.owned(cb.int(0), user.id)
        if order is None:
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            return
        if order.status != PENDING:
            ctx.sender.answer(call.id, texts.PAYMENT_ALREADY_PAID if order.status == PAID
                              else texts.ORDER_NOT_PENDING)
            return
        outcome = payments.close(order, CANCELLED, source="customer")
        if outcome in (Outcome.PAID, Outcome.ALREADY_PAID):
            ctx.sender.answer(call.id, texts.PAID_NOT_CANCELLED, alert=True)
        elif outcome is Outcome.MISMATCH:
            ctx.sender.answer(call.id, texts.NEEDS_ADMIN_TOAST, alert=True)
        elif outcome is Outcome.UNKNOWN:
            ctx.sender.answer(call.id, texts.CANCEL_UNKNOWN, alert=True)
        else:
            ctx.sender.answer(call.id, texts.CANCELLED_TOAST)

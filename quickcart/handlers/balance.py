"""Saldo: the balance, its recent movements, and topping it up by QRIS."""
from __future__ import annotations

from telebot import types

from quickcart import balance, views
from quickcart.callbacks import Callback, encode, new_nonce
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import Screen, checkout_token, open_orders_screen, send_qr, show
from quickcart.i18n import Speaker
from quickcart.models import User
from quickcart.money import parse_rupiah
from quickcart.payments import CheckoutFailure

PRESETS = (10_000, 20_000, 50_000, 100_000, 200_000, 500_000)
TOPUP_AMOUNT = "topup_amount"  # the prompt: the customer types an amount


def balance_screen(say: Speaker, user: User) -> Screen:
    text = views.balance_screen(say, user.account_balance, balance.recent(user))
    return text, inline([[(say.plain("btn.topup"), encode("bal"))]])


def topup_screen(app: App, say: Speaker) -> Screen:
    shop = app.config.shop
    nonce = new_nonce()
    amounts = [amount for amount in PRESETS if shop.topup_min <= amount <= shop.topup_max]
    rows = [[(say.plain("btn.topup_amount", amount=amount), encode("top", amount, nonce))
             for amount in amounts[i:i + 3]] for i in range(0, len(amounts), 3)]
    rows.append([(say.plain("btn.topup_custom"), encode("topc"))])
    return say("balance.topup_choose", minimum=shop.topup_min, maximum=shop.topup_max), inline(rows)


def _start_topup(app: App, say: Speaker, user: User, amount: int, token: str, chat_id: int) -> Screen | None:
    """Open the QR for a top-up; return the screen to show on failure, or None."""
    checkout = app.payments.checkout_topup(user, amount, token, chat_id)
    if checkout.failure is CheckoutFailure.DUPLICATE:
        return say("checkout.in_progress"), None
    if checkout.failure is CheckoutFailure.TOO_MANY_PENDING:
        return open_orders_screen(say, checkout.open_orders)
    if checkout.failure is CheckoutFailure.GATEWAY_DOWN:
        return say("checkout.gateway_down"), None
    if checkout.failure is not None:
        return say("checkout.gateway_error"), None
    return None if send_qr(app, say, chat_id, checkout.order) else (say("gate.error"), None)


def show_balance(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *balance_screen(app.say(user), user))


def topup_menu(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    show(app, call, *topup_screen(app, app.say(user)))


def topup_preset(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say, shop, amount = app.say(user), app.config.shop, cb.int(0)
    if amount not in PRESETS or not shop.topup_min <= amount <= shop.topup_max:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return
    app.sender.answer(call.id, say.plain("checkout.creating_qr"))
    failure = _start_topup(app, say, user, amount, checkout_token(user.id, cb.args[1]), call.message.chat.id)
    show(app, call, *(failure or (say("payment.topup_qr_below", amount=amount), None)))


def topup_custom(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say, shop = app.say(user), app.config.shop
    app.prompts.ask(user.id, TOPUP_AMOUNT)
    app.sender.answer(call.id)
    app.sender.post_text(call.message.chat.id, say("balance.topup_ask", minimum=shop.topup_min,
                                                   maximum=shop.topup_max))


def typed_amount(app: App, message: types.Message, user: User) -> None:
    """The answer to "type an amount" (the prompt stays open until a valid one)."""
    say, shop = app.say(user), app.config.shop
    try:
        amount = parse_rupiah(message.text or "")
    except ValueError:
        amount = 0
    if not shop.topup_min <= amount <= shop.topup_max:
        app.sender.post_text(message.chat.id, say("balance.topup_invalid", minimum=shop.topup_min,
                                                  maximum=shop.topup_max))
        return
    app.prompts.done(user.id)
    failure = _start_topup(app, say, user, amount, f"{user.id}-m{message.message_id}", message.chat.id)
    if failure is not None:
        app.sender.post_text(message.chat.id, *failure)

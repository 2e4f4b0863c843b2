"""Saldo: the balance, its recent movements, and topping it up by QRIS."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from telebot import TeleBot, types

from quickcart import balance, texts
from quickcart.callbacks import Callback, encode
from quickcart.handlers.common import CallbackRouter, Context, inline
from quickcart.handlers.shop import checkout_token, new_nonce, open_orders_screen, send_qr, show
from quickcart.models import User
from quickcart.money import format_rupiah, parse_rupiah
from quickcart.payments import CheckoutFailure, PaymentService
from quickcart.timeutil import format_jakarta

PRESETS = (10_000, 20_000, 50_000, 100_000, 200_000, 500_000)
ASK_TTL_SECONDS = 600


class AmountPrompts:
    """Users we asked to type a top-up amount (bounded, expiring)."""

    def __init__(self, max_users: int = 10_000):
        self._asked: OrderedDict[int, float] = OrderedDict()
        self._max = max_users
        self._lock = threading.Lock()

    def ask(self, user_id: int) -> None:
        with self._lock:
            self._asked.pop(user_id, None)
            self._asked[user_id] = time.monotonic() + ASK_TTL_SECONDS
            while len(self._asked) > self._max:
                self._asked.popitem(last=False)

    def waiting(self, user_id: int) -> bool:
        with self._lock:
            deadline = self._asked.get(user_id)
            if deadline is None:
                return False
            if deadline < time.monotonic():
                del self._asked[user_id]
                return False
            return True

    def done(self, user_id: int) -> None:
        with self._lock:
            self._asked.pop(user_id, None)


def register(bot: TeleBot, ctx: Context, router: CallbackRouter) -> None:
    payments: PaymentService = ctx.services["payments"]
    shop = ctx.config.shop
    prompts = AmountPrompts()

    def balance_screen(user: User) -> tuple[str, types.InlineKeyboardMarkup]:
        text = texts.balance_screen(user.account_balance, balance.recent(user),
                                    lambda moment: format_jakarta(moment).split()[0])
        return text, inline([[(texts.BTN_TOPUP, encode("bal"))]])

    def topup_screen() -> tuple[str, types.InlineKeyboardMarkup]:
        nonce = new_nonce()
        amounts = [amount for amount in PRESETS if shop.topup_min <= amount <= shop.topup_max]
        rows = [[(format_rupiah(amount), encode("top", amount, nonce)) for amount in amounts[i:i + 3]]
                for i in range(0, len(amounts), 3)]
        rows.append([(texts.BTN_TOPUP_CUSTOM, encode("topc"))])
        return texts.topup_choose(shop.topup_min, shop.topup_max), inline(rows)

    def start_topup(user: User, amount: int, token: str, chat_id: int):
        """Open the QR for a top-up; return the screen (text, buttons) to show on failure, or None."""
        checkout = payments.checkout_topup(user, amount, token, chat_id)
        if checkout.failure is CheckoutFailure.DUPLICATE:
            return texts.ORDER_IN_PROGRESS, None
        if checkout.failure is CheckoutFailure.TOO_MANY_PENDING:
            return open_orders_screen(checkout.open_orders)
        if checkout.failure is CheckoutFailure.GATEWAY_DOWN:
            return texts.PAKASIR_DOWN, None
        if checkout.failure is not None:
            return texts.PAKASIR_ERROR, None
        return None if send_qr(ctx, payments, chat_id, checkout) else (texts.ERROR, None)

    @bot.message_handler(commands=["saldo"], chat_types=["private"])
    def balance_command(message: types.Message) -> None:
        show_balance(message)

    @bot.message_handler(func=lambda m: m.text == texts.BTN_BALANCE, chat_types=["private"])
    def show_balance(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        ctx.sender.post_text(message.chat.id, *balance_screen(user))

    @router.route("bal")
    def topup_menu(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        show(ctx, call, *topup_screen())

    @router.route("top")
    def topup_preset(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        amount = cb.int(0)
        if amount not in PRESETS or not shop.topup_min <= amount <= shop.topup_max:
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            return
        ctx.sender.answer(call.id, "⏳ Membuat QRIS…")
        failure = start_topup(user, amount, checkout_token(user.id, cb.args[1]), call.message.chat.id)
        if failure is None:
            show(ctx, call, f"➕ Isi saldo {format_rupiah(amount)}: scan QR di bawah 👇", None)
        else:
            show(ctx, call, *failure)

    @router.route("topc")
    def topup_custom(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        prompts.ask(user.id)
        ctx.sender.answer(call.id)
        ctx.sender.post_text(call.message.chat.id, texts.topup_ask_amount(shop.topup_min, shop.topup_max))

    @bot.message_handler(func=lambda m: bool(m.text) and not m.text.startswith("/")
                         and prompts.waiting(m.from_user.id), chat_types=["private"])
    def typed_amount(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        try:
            amount = parse_rupiah(message.text)
        except ValueError:
            amount = 0
        if not shop.topup_min <= amount <= shop.topup_max:
            ctx.sender.post_text(message.chat.id, texts.topup_invalid_amount(shop.topup_min, shop.topup_max))
            return
        prompts.done(user.id)
        failure = start_topup(user, amount, f"{user.id}-m{message.message_id}", message.chat.id)
        if failure is not None:
            ctx.sender.post_text(message.chat.id, *failure)

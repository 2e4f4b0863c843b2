"""Browsing and buying: categories → products → card → payment method → QR.

Every screen after the first edits the same message. Button data is never
trusted: the product must exist and be active, the quantity must be within
1 and the smaller of stock and the per-order maximum, and each checkout
button carries a one-time nonce so a double tap makes one order.
"""
from __future__ import annotations

import logging
import secrets
import string

from telebot import TeleBot, types

from quickcart import catalogue, orders, texts
from quickcart.callbacks import Callback, encode
from quickcart.handlers.common import CallbackRouter, Context, inline
from quickcart.models import User
from quickcart.payments import CheckoutFailure, PaymentService
from quickcart.qr import render_qr_png
from quickcart.telegram.pacing import URGENT, sending_priority
from quickcart.telegram.sender import MessageGone, TelegramError
from quickcart.timeutil import format_jakarta

log = logging.getLogger(__name__)

_NONCE_ALPHABET = string.ascii_letters + string.digits


def new_nonce() -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(8))


def checkout_token(user_id: int, nonce: str) -> str:
    return f"{user_id}-{nonce}"


class Screens:
    """Text and buttons of each catalogue screen."""

    def __init__(self, ctx: Context):
        self._ctx = ctx

    def categories(self, user: User, page: int = 0) -> tuple[str, types.InlineKeyboardMarkup | None]:
        found = catalogue.categories()
        if not found:
            return texts.CATALOGUE_EMPTY, None
        if len(found) == 1:
            return self.products(found[0], 0, user)
        shown = catalogue.paginate(found, page, catalogue.CATEGORIES_PER_PAGE)
        rows = [[(f"{category.name} ({category.products})", encode("cat", category.key, 0))]
                for category in shown.items]
        rows += self._pager(shown.page, shown.pages, lambda p: encode("cats", p))
        return texts.CATEGORIES_TITLE, inline(rows)

    def products(self, category: catalogue.Category, page: int,
                 user: User) -> tuple[str, types.InlineKeyboardMarkup]:
        shown = catalogue.products_page(category.name, page)
        rows = []
        for product in shown.items:
            price = product.price_for(user)
            rows.append([(texts.product_button(product.name, price, product.stock_count),
                          encode("prod", product.id, 1))])
        rows += self._pager(shown.page, shown.pages, lambda p: encode("cat", category.key, p))
        if len(catalogue.categories()) > 1:
            rows.append([(texts.BTN_BACK, encode("cats", 0))])
        return texts.products_title(category.name, shown.page, shown.pages), inline(rows)

    def card(self, product, quantity: int, user: User) -> tuple[str, types.InlineKeyboardMarkup]:
        price = product.price_for(user)
        rows = []
        if product.stock_count:
            rows.append([(texts.BTN_MINUS, encode("prod", product.id, max(quantity - 1, 0))),
                         (str(quantity), encode("noop")),
                         (texts.BTN_PLUS, encode("prod", product.id, quantity + 1))])
            rows.append([(texts.BTN_BUY, encode("buy", product.id, quantity))])
        rows.append([(texts.BTN_BACK, encode("cat", catalogue.category_key(product.category), 0))])
        return texts.product_card(product, price, quantity, user.is_reseller), inline(rows)

    def payment_choice(self, product, quantity: int, user: User,
                       fees) -> tuple[str, types.InlineKeyboardMarkup]:
        price = product.price_for(user)
        subtotal = price * quantity
        fee = fees.fee(subtotal)
        enough = user.account_balance >= subtotal
        nonce = new_nonce()
        # The buttons carry the subtotal shown here: a press pays exactly that or nothing.
        methods = [(texts.BTN_PAY_QRIS, encode("pay", "q", product.id, quantity, nonce, subtotal))]
        if enough:
            methods.append((texts.BTN_PAY_BALANCE, encode("pay", "b", product.id, quantity, nonce, subtotal)))
        rows = [methods, [(texts.BTN_BACK, encode("prod", product.id, quantity))]]
        text = texts.choose_payment(product.name, quantity, price, subtotal, fee,
                                    user.account_balance, enough)
        return text, inline(rows)

    @staticmethod
    def _pager(page: int, pages: int, target) -> list[list[tuple[str, str]]]:
        if pages <= 1:
            return []
        row = []
        if page > 0:
            row.append((texts.BTN_PREV, target(page - 1)))
        row.append((f"{page + 1}/{pages}", encode("noop")))
        if page < pages - 1:
            row.append((texts.BTN_NEXT, target(page + 1)))
        return [row]


def show(ctx: Context, call: types.CallbackQuery, text: str, markup) -> None:
    """Edit the pressed message into the next screen (or send it anew)."""
    try:
        ctx.sender.edit_text(call.message.chat.id, call.message.message_id, text, markup)
    except MessageGone:
        ctx.sender.send_text(call.message.chat.id, text, markup)


def send_qr(ctx: Context, payments: PaymentService, chat_id: int, checkout) -> bool:
    """Send the QR photo of a fresh checkout; if it cannot be shown, undo the order."""
    order = checkout.order
    items = orders.items(order)
    caption = texts.qr_caption(order, items, format_jakarta(order.expires_at))
    markup = inline([
        [(texts.BTN_CHECKOUT_PAGE, ctx.gateway.checkout_url(order.invoice_id, order.gateway_amount)),
         (texts.BTN_CHECK_STATUS, encode("chk", order.id))],
        [(texts.BTN_CANCEL, encode("cnl", order.id))],
    ])
    try:
        with sending_priority(URGENT):  # the customer is waiting to pay
            sent = ctx.sender.send_photo(chat_id, render_qr_png(order.payment_number), caption, markup,
                                         filename=f"{order.invoice_id}.png")
    except TelegramError as exc:
        log.warning("QR for %s could not be sent (%s); cancelling", order.invoice_id, exc.description)
        payments.abandon(order)
        return False
    orders.set_qr_message(order, sent.message_id)
    return True


def tell_checkout_failure(ctx: Context, call: types.CallbackQuery, checkout, screens: Screens,
                          product_id: int, quantity: int, user: User) -> None:
    failure = checkout.failure
    if failure is CheckoutFailure.DUPLICATE:
        ctx.sender.answer(call.id, texts.ORDER_IN_PROGRESS)
    elif failure is CheckoutFailure.UNAVAILABLE:
        ctx.sender.answer(call.id, texts.PRODUCT_UNAVAILABLE, alert=True)
        show(ctx, call, *screens.categories(user))
    elif failure is CheckoutFailure.STOCK_SHORT:
        ctx.sender.answer(call.id, texts.stock_short(checkout.available), alert=True)
        product = catalogue.active_product(product_id)
        if product is not None:
            show(ctx, call, *screens.card(product, max(1, min(quantity, checkout.available)), user))
    elif failure is CheckoutFailure.GATEWAY_DOWN:
        show(ctx, call, texts.PAKASIR_DOWN, inline([[(texts.BTN_BACK, encode("prod", product_id, quantity))]]))
    elif failure is CheckoutFailure.GATEWAY_ERROR:
        show(ctx, call, texts.PAKASIR_ERROR, inline([[(texts.BTN_BACK, encode("prod", product_id, quantity))]]))
    elif failure in (CheckoutFailure.INSUFFICIENT_BALANCE, CheckoutFailure.PRICE_CHANGED):
        refusal = (texts.PRICE_CHANGED if failure is CheckoutFailure.PRICE_CHANGED
                   else texts.balance_insufficient(checkout.balance, checkout.needed))
        ctx.sender.answer(call.id, refusal, alert=True)
        product = catalogue.active_product(product_id)
        if product is not None:
            show(ctx, call, *screens.payment_choice(product, quantity, ctx.user_of(call.from_user),
                                                    ctx.services["payments"].fees))
    elif failure is CheckoutFailure.BELOW_MINIMUM:
        show(ctx, call, texts.below_gateway_minimum(checkout.needed, ctx.gateway.minimum_amount),
             inline([[(texts.BTN_BACK, encode("prod", product_id, quantity))]]))
    elif failure is CheckoutFailure.TOO_MANY_PENDING:
        show(ctx, call, *open_orders_screen(checkout.open_orders))


def open_orders_screen(open_orders) -> tuple[str, types.InlineKeyboardMarkup]:
    """The customer's unpaid orders, each a button to its QR's Status and Batalkan."""
    rows = [[(texts.open_order_button(order), encode("ord", order.id, 0))] for order in open_orders]
    return texts.too_many_pending(len(open_orders)), inline(rows)


def register(bot: TeleBot, ctx: Context, router: CallbackRouter) -> None:
    screens = Screens(ctx)
    payments: PaymentService = ctx.services["payments"]

    @bot.message_handler(commands=["produk"], chat_types=["private"])
    def products_command(message: types.Message) -> None:
        open_catalogue(message)

    @bot.message_handler(func=lambda m: m.text == texts.BTN_PRODUCTS, chat_types=["private"])
    def open_catalogue(message: types.Message) -> None:
        user = ctx.user_of(message.from_user)
        ctx.sender.post_text(message.chat.id, *screens.categories(user))

    @router.route("noop")
    def noop(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        ctx.sender.answer(call.id)

    @router.route("cats")
    def categories(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        show(ctx, call, *screens.categories(user, cb.int(0)))

    @router.route("cat")
    def category(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        found = catalogue.category_by_key(cb.args[0])
        if found is None:
            ctx.sender.answer(call.id, texts.STALE_BUTTON)
            show(ctx, call, *screens.categories(user))
            return
        show(ctx, call, *screens.products(found, cb.int(1), user))

    def active_product_or_back(call: types.CallbackQuery, product_id: int, user: User):
        """The product a button names, or None after sending the user back to the categories."""
        product = catalogue.active_product(product_id)
        if product is None:
            ctx.sender.answer(call.id, texts.PRODUCT_UNAVAILABLE, alert=True)
            show(ctx, call, *screens.categories(user))
        return product

    @router.route("prod")
    def product_card(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        product = active_product_or_back(call, cb.int(0), user)
        if product is None:
            return
        quantity = cb.int(1)
        limit = catalogue.max_quantity(product, ctx.config.shop.max_quantity)
        if limit == 0:
            quantity = 1
        elif quantity < 1:
            ctx.sender.answer(call.id, texts.QTY_MIN)
            return
        elif quantity > limit:
            ctx.sender.answer(call.id, texts.qty_max(limit))
            if quantity - 1 <= limit and call.message.text and "Jumlah" in call.message.text:
                return  # the card already shows the maximum
            quantity = limit
        show(ctx, call, *screens.card(product, quantity, user))

    @router.route("buy")
    def buy(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        product = active_product_or_back(call, cb.int(0), user)
        if product is None:
            return
        quantity = cb.int(1)
        limit = catalogue.max_quantity(product, ctx.config.shop.max_quantity)
        if limit == 0:
            ctx.sender.answer(call.id, texts.OUT_OF_STOCK, alert=True)
            show(ctx, call, *screens.card(product, 1, user))
            return
        if not 1 <= quantity <= limit:
            ctx.sender.answer(call.id, texts.stock_short(product.stock_count) if quantity > product.stock_count
                              else texts.qty_max(limit), alert=True)
            show(ctx, call, *screens.card(product, max(1, min(quantity, limit)), user))
            return
        show(ctx, call, *screens.payment_choice(product, quantity, user, payments.fees))

    @router.route("pay")
    def pay(call: types.CallbackQuery, cb: Callback, user: User) -> None:
        method, product_id, quantity, nonce, quoted = cb.args[0], cb.int(1), cb.int(2), cb.args[3], cb.int(4)
        token = checkout_token(user.id, nonce)
        chat_id = call.message.chat.id
        if method == "b":
            checkout = payments.pay_with_balance(user, product_id, quantity, token, chat_id, quoted)
            if not checkout.ok:
                tell_checkout_failure(ctx, call, checkout, screens, product_id, quantity, user)
                return
            ctx.sender.answer(call.id, "✅ Dibayar dengan saldo")
            show(ctx, call, f"✅ Dibayar dengan saldo — invoice <code>{texts.e(checkout.order.invoice_id)}</code>."
                            " Barang dikirim di bawah 👇", None)
            return
        ctx.sender.answer(call.id, "⏳ Membuat QRIS…")
        checkout = payments.checkout_qris(user, product_id, quantity, token, chat_id, quoted)
        if not checkout.ok:
            tell_checkout_failure(ctx, call, checkout, screens, product_id, quantity, user)
            return
        if send_qr(ctx, payments, chat_id, checkout):
            try:
                ctx.sender.delete(chat_id, call.message.message_id)
            except TelegramError:
                pass
        else:
            show(ctx, call, texts.ERROR, None)

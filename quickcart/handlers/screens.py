"""What several conversations share: showing a screen, the pager, checkout tokens, the QR.

A "screen" is (text, inline keyboard). Buttons edit the message they are on
(:func:`show`); the QR goes out as a new photo (:func:`send_qr`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from telebot import types

from quickcart import orders, views
from quickcart.callbacks import encode
from quickcart.handlers.context import App, inline
from quickcart.i18n import Speaker
from quickcart.models import Order, User
from quickcart.qr import render_qr_png
from quickcart.telegram.pacing import URGENT, sending_priority
from quickcart.telegram.sender import BotBlocked, MessageGone, TelegramError

log = logging.getLogger(__name__)

Screen = tuple[str, types.InlineKeyboardMarkup | None]
# A screen that may be a photo: (text or caption, keyboard, Telegram file_id of the photo or None).
PhotoScreen = tuple[str, types.InlineKeyboardMarkup | None, str | None]


def checkout_token(user_id: int, nonce: str) -> str:
    return f"{user_id}-{nonce}"


def show(app: App, call: types.CallbackQuery, text: str, markup, photo: str | None = None) -> None:
    """Edit the pressed message into the next screen (``photo``: a photo with ``text`` as its caption).

    Telegram cannot edit a text message into a photo or back: such a screen
    is sent anew and the pressed message deleted, so the chat shows one
    screen as before. A message that can no longer be edited is answered
    with a new one.
    """
    chat_id, message_id = call.message.chat.id, call.message.message_id
    if (photo is None) == (call.message.content_type != "photo"):
        try:
            if photo is None:
                app.sender.edit_text(chat_id, message_id, text, markup)
            else:
                app.sender.edit_caption(chat_id, message_id, text, markup)
        except MessageGone:
            send_screen(app, chat_id, text, markup, photo)
        return
    send_screen(app, chat_id, text, markup, photo)
    try:
        app.sender.delete(chat_id, message_id)
    except TelegramError:
        pass  # too old to delete (48 hours): it stays above the new screen


def send_screen(app: App, chat_id: int, text: str, markup, photo: str | None = None) -> None:
    """A screen as a new message; a photo Telegram no longer has is left out rather than the screen."""
    if photo is not None:
        try:
            app.sender.send_photo_id(chat_id, photo, text, markup)
            return
        except BotBlocked:
            raise
        except TelegramError as exc:
            log.warning("a product photo could not be sent (%s); the card goes without it", exc.description)
    app.sender.send_text(chat_id, text, markup)


def owned_order(app: App, call: types.CallbackQuery, order_id: int, user: User) -> Order | None:
    """The order a button names if it is the presser's; else the press is told the button is stale."""
    order = orders.owned(order_id, user.id)
    if order is None:
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
    return order


def pager(say: Speaker, page: int, pages: int, target: Callable[[int], str]) -> list[list[tuple[str, str]]]:
    """◀️ 2/5 ▶️ under a list, when it has more than one page."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append((say.plain("btn.prev"), target(page - 1)))
    row.append((say.plain("btn.page", page=page + 1, pages=pages), encode("noop")))
    if page < pages - 1:
        row.append((say.plain("btn.next"), target(page + 1)))
    return [row]


def back_to_product(say: Speaker, product_id: int, quantity: int) -> types.InlineKeyboardMarkup:
    return inline([[(say.plain("btn.back"), encode("prod", product_id, quantity))]])


def open_orders_screen(say: Speaker, open_orders) -> Screen:
    """The customer's unpaid orders, each a button to its detail with Status and Batalkan."""
    rows = [[(say.plain("btn.open_order", invoice=order.invoice_id, total=order.total_bill),
              encode("ord", order.id, 0))] for order in open_orders]
    return say("checkout.too_many_pending", count=len(open_orders)), inline(rows)


def qr_buttons(app: App, say: Speaker, order: Order) -> types.InlineKeyboardMarkup:
    return inline([
        [(say.plain("btn.checkout_page"), app.gateway.checkout_url(order.invoice_id, order.gateway_amount)),
         (say.plain("btn.check_status"), encode("chk", order.id))],
        [(say.plain("btn.cancel"), encode("cnl", order.id))],
    ])


def send_qr(app: App, say: Speaker, chat_id: int, order: Order) -> bool:
    """Send the QR photo of a fresh checkout; if it cannot be shown, undo the order."""
    caption = views.qr_caption(say, order, orders.items(order))
    try:
        with sending_priority(URGENT):  # the customer is waiting to pay
            sent = app.sender.send_photo(chat_id, render_qr_png(order.payment_number), caption,
                                         qr_buttons(app, say, order), filename=f"{order.invoice_id}.png")
    except TelegramError as exc:
        log.warning("QR for %s could not be sent (%s); cancelling", order.invoice_id, exc.description)
        app.payments.abandon(order)
        return False
    orders.set_qr_message(order, sent.message_id)
    return True

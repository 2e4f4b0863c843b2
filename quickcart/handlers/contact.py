"""Hubungi Admin: a customer writes to the admins, an admin's reply comes back through the bot.

A customer opens it from the main menu, from an order in Riwayat (the
message is then about that order), or from the answer to a text the shop
did not understand ("send this to the admins?"). They write one text or
photo; every admin gets a copy saying who wrote and about which order. An
admin answers with Telegram's "reply" on that copy: the bot sends the answer
to the customer, naming the order, with a button to write back.

Which copy belongs to whom lives in the database (:mod:`quickcart.contacts`),
as does the rate limit; the audit log says who wrote to whom, never what.
Photos travel by Telegram ``file_id``: the bot never downloads them.
"""
from __future__ import annotations

import logging

from telebot import types

from quickcart import admin_views, contacts, orders, users, views
from quickcart.callbacks import Callback, encode
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import owned_order, show
from quickcart.handlers.start import unknown_message
from quickcart.i18n import Speaker
from quickcart.models import Order, User
from quickcart.telegram.sender import TelegramError

log = logging.getLogger(__name__)

MESSAGE = "contact_message"  # the prompt: the customer was asked to write to the admins
MEDIA = ("text", "photo")
TEXT_BUDGET = 3500  # of a customer's text in the admins' copy (Telegram: 4096 with the header)
CAPTION_BUDGET = 600  # of a photo's caption in the copy (Telegram: 1024 with the header)


def reply_button(say: Speaker, order_id: int) -> types.InlineKeyboardMarkup:
    return inline([[(say.plain("btn.contact_reply"), encode("ask", order_id))]])


# --- the customer asks to write ---------------------------------------------------

def ask(app: App, message: types.Message, user: User) -> None:
    """The main menu's 💬 Hubungi Admin."""
    _ask(app, message.chat.id, user, None)


def ask_about_order(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """💬 Hubungi Admin under an order (or ✍️ Balas under an admin's answer; order 0: none)."""
    order = None
    if cb.int(0):
        order = owned_order(app, call, cb.int(0), user)
        if order is None:
            return
    app.sender.answer(call.id)
    _ask(app, call.message.chat.id, user, order)


def _ask(app: App, chat_id: int, user: User, order: Order | None) -> None:
    say = app.say(user)
    if not contacts.may_write(user.id):
        app.sender.post_text(chat_id, _too_many(say))
        return
    app.prompts.ask(user.id, MESSAGE, about=order.id if order else 0)
    app.sender.post_text(chat_id, views.contact_ask(say, order.invoice_id if order else None),
                         inline([[(say.plain("btn.contact_cancel"), encode("askx"))]]))


def cancel(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    if app.prompts.waiting(user.id) == MESSAGE:
        app.prompts.done(user.id)
    show(app, call, app.say(user)("contact.cancelled"), None)


def _too_many(say: Speaker) -> str:
    return say("contact.too_many", count=contacts.MESSAGES_PER_WINDOW,
               minutes=int(contacts.WINDOW.total_seconds() // 60))


# --- the customer writes ----------------------------------------------------------

def written(app: App, message: types.Message, user: User) -> None:
    """What the customer wrote when asked: forwarded to every admin."""
    about = app.prompts.subject(user.id, MESSAGE)
    app.prompts.done(user.id)
    _forward(app, message.chat.id, message, user, orders.owned(about, user.id) if about else None)


def offer(app: App, message: types.Message, user: User) -> None:
    """A text or photo outside any conversation: not understood, so offer to send it to the admins."""
    if app.is_admin(user.id) or message.content_type not in MEDIA:
        unknown_message(app, message, user)
        return
    say = app.say(user)
    app.sender.send_text(message.chat.id, say("contact.offer"),
                         inline([[(say.plain("btn.contact_send"), encode("fwd"))]]), reply_to=message.message_id)


def send_offered(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """💬 Kirim ke Admin under that offer: the message it answers goes to the admins."""
    original = call.message.reply_to_message
    if (original is None or original.from_user is None or original.from_user.id != user.id
            or original.content_type not in MEDIA):
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    app.sender.answer(call.id)
    app.sender.edit_markup(call.message.chat.id, call.message.message_id, None)
    _forward(app, call.message.chat.id, original, user, None)


def _forward(app: App, chat_id: int, original: types.Message, customer: User, order: Order | None) -> None:
    say = app.say(customer)
    if contacts.already_forwarded(customer.id, original.message_id):
        app.sender.post_text(chat_id, say("contact.already_sent"))
        return
    if not contacts.may_write(customer.id):
        app.sender.post_text(chat_id, _too_many(say))
        return
    kind = original.content_type
    copies = {}
    for admin_id in sorted(app.config.telegram.admin_ids):
        sent = _copy_to(app, admin_id, original, customer, order)
        if sent is not None:
            copies[admin_id] = sent
    if not copies:
        log.warning("message from user %s reached no admin", customer.id)
        app.sender.post_text(chat_id, say("contact.unreachable"))
        return
    contacts.record_forwarded(customer.id, order, original.message_id, copies, kind)
    log.info("%s from user %s forwarded to %d admin(s)", kind, customer.id, len(copies))
    app.sender.post_text(chat_id, say("contact.sent"))


def _copy_to(app: App, admin_id: int, original: types.Message, customer: User, order: Order | None) -> int | None:
    """Send an admin their copy; its message id, or None if it could not be sent."""
    say = app.say(users.get(admin_id))
    try:
        if original.content_type == "photo":
            caption = admin_views.contact_copy(say, customer, order, _cut(say, original.caption, CAPTION_BUDGET))
            sent = app.sender.send_photo_id(admin_id, original.photo[-1].file_id, caption)
        else:
            sent = app.sender.send_text(admin_id, admin_views.contact_copy(say, customer, order,
                                                                           _cut(say, original.text, TEXT_BUDGET)))
    except TelegramError as exc:
        log.warning("copy of a message from user %s to admin %s failed: %s", customer.id, admin_id,
                    exc.description)
        return None
    return sent.message_id if sent is not None else None


def _cut(say: Speaker, text: str | None, budget: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= budget else text[:budget] + say.plain("admin.cut_line")


# --- an admin answers -----------------------------------------------------------------

def admin_reply(app: App, message: types.Message, admin: User) -> bool:
    """An admin's reply to a copy of a customer's message goes to that customer.

    Returns False when the replied-to message is not such a copy (the
    message then goes wherever it would have gone otherwise).
    """
    copy = contacts.copy_at(admin.id, message.reply_to_message.message_id)
    if copy is None:
        return False
    say = app.say(admin)
    if message.content_type not in MEDIA:
        reply(app, message, say("admin.contact.text_or_photo"))
        return True
    customer = users.get(copy.user_id)
    order = orders.get(copy.order_id) if copy.order_id else None
    customer_say = app.say(customer)
    invoice = order.invoice_id if order else None
    markup = reply_button(customer_say, order.id if order else 0)
    try:
        if message.content_type == "photo":
            app.sender.send_photo_id(customer.id, message.photo[-1].file_id,
                                     views.admin_answer(customer_say, invoice, _cut(say, message.caption,
                                                                                    CAPTION_BUDGET)), markup)
        else:
            app.sender.send_text(customer.id, views.admin_answer(customer_say, invoice,
                                                                 _cut(say, message.text, TEXT_BUDGET)), markup)
    except TelegramError as exc:
        log.info("answer to user %s not delivered: %s", customer.id, exc.description)
        reply(app, message, say("admin.contact.not_sent", user=admin_views.user_label(say, customer)))
        return True
    contacts.record_reply(admin.id, copy, message.content_type)
    reply(app, message, say("admin.contact.sent", user=admin_views.user_label(say, customer)))
    return True

"""From an admitted update to its handler, by the tables in :mod:`quickcart.handlers.routes`.

The gate (:mod:`quickcart.handlers.gate`) has already claimed the update,
registered the user and applied the rules (ban, flood, maintenance). Here a
button press goes by its parsed action; a message goes, in this order, to an
admin command (admins only), an admin's reply to a customer's message, a
file or photo that answers the question its sender was asked (an admin's
reply to a manual order's buyer), a file an admin sent without a command
(stock: which product?), a command, a
main-menu label (in any language, so an old keyboard keeps working), the
question the user was asked (a text, or what else that question takes), or
the "not understood" answer (which offers to send it to the admins).
"""
from __future__ import annotations

import logging

from telebot import types

from quickcart import callbacks
from quickcart.admin_syntax import split_command
from quickcart.handlers import routes
from quickcart.handlers.context import App
from quickcart.models import User

log = logging.getLogger(__name__)


def dispatch(app: App, update: types.Update, user: User) -> None:
    if update.callback_query is not None:
        press(app, update.callback_query, user)
    elif update.message is not None:
        message_in(app, update.message, user)


def press(app: App, call: types.CallbackQuery, user: User) -> None:
    parsed = callbacks.parse(call.data)
    handler = routes.BUTTONS.get(parsed.action) if parsed else None
    if handler is None or call.message is None or call.message.chat.id != call.from_user.id:
        log.info("ignored button %r", (call.data or "")[:64])
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    handler(app, call, parsed, user)
    if not app.sender.answered(call.id):
        app.sender.answer(call.id)


def message_in(app: App, message: types.Message, user: User) -> None:
    command = split_command(message.text if message.content_type == "text" else message.caption)
    is_admin = app.is_admin(user.id)
    if command is not None and is_admin:
        admin_handler = (routes.ADMIN_COMMANDS.get(command.name) if message.content_type == "text"
                         else routes.ADMIN_CAPTIONS.get((message.content_type, command.name)))
        if admin_handler is not None:
            routes.admin.run(app, message, command, admin_handler, user)
            return
    if is_admin and message.reply_to_message is not None and routes.ADMIN_REPLY(app, message, user):
        return
    prompt = app.prompts.waiting(user.id)
    if command is None and message.content_type != "text" and message.content_type in routes.PROMPT_MEDIA.get(
            prompt, ()):
        routes.PROMPTS[prompt](app, message, user)
        return
    if is_admin and message.content_type == "document" and command is None:
        routes.ADMIN_FILE(app, message, user)
        return
    if message.content_type == "text" and message.text.startswith("/"):
        handler = routes.COMMANDS.get(command.name) if command else None
        (handler or routes.UNKNOWN_COMMAND)(app, message, user)
        return
    if message.content_type == "text":
        menu_key = app.menu_labels().get(message.text)
        if menu_key is not None:
            routes.MENU[menu_key](app, message, user)
            return
    if prompt is not None and (message.content_type == "text"
                               or message.content_type in routes.PROMPT_MEDIA.get(prompt, ())):
        routes.PROMPTS[prompt](app, message, user)
        return
    routes.UNKNOWN_MESSAGE(app, message, user)

"""What every handler module shares: the context, the button router, menus."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from telebot import TeleBot, types

from quickcart import callbacks, texts, users
from quickcart.config import Config
from quickcart.gateways.base import PaymentGateway
from quickcart.models import User
from quickcart.notices import AdminNotifier
from quickcart.telegram.sender import Sender
from quickcart.throttle import RateLimiter

log = logging.getLogger(__name__)

MAX_TEXT_IN = 4096  # longer user texts are refused before any parsing

CallbackHandler = Callable[[types.CallbackQuery, callbacks.Callback, User], None]


@dataclass
class Context:
    """The services handlers call; built once by :mod:`quickcart.app`."""
    config: Config
    bot: TeleBot
    sender: Sender
    gateway: PaymentGateway
    notifier: AdminNotifier
    payment_checks: RateLimiter
    services: dict = field(default_factory=dict)  # feature services by name (payments, ...)

    def user_of(self, tg_user: types.User) -> User:
        """The registered user behind an update (the gate registered them)."""
        user = users.get(tg_user.id)
        if user is None:
            user, _ = users.register(users.TelegramIdentity.from_telegram(tg_user))
        return user

    def is_admin(self, user_id: int) -> bool:
        return self.config.is_admin(user_id)


class CallbackRouter:
    """Dispatches button presses by their parsed action; answers the rest."""

    def __init__(self, sender: Sender):
        self._sender = sender
        self._routes: dict[str, CallbackHandler] = {}

    def route(self, action: str) -> Callable[[CallbackHandler], CallbackHandler]:
        if action not in callbacks.ACTIONS:
            raise ValueError(f"unknown callback action {action!r}")

        def register(handler: CallbackHandler) -> CallbackHandler:
            self._routes[action] = handler
            return handler
        return register

    def dispatch(self, call: types.CallbackQuery, user: User) -> None:
        parsed = callbacks.parse(call.data)
        handler = self._routes.get(parsed.action) if parsed else None
        if handler is None or call.message is None or call.message.chat.id != call.from_user.id:
            log.info("ignored button %r", (call.data or "")[:64])
            self._sender.answer(call.id, texts.STALE_BUTTON)
            return
        handler(call, parsed, user)
        if not self._sender.answered(call.id):
            self._sender.answer(call.id)


def main_menu() -> types.ReplyKeyboardMarkup:
    markup = types.ReplyKeyboardMarkup(resize_keyboard=True, is_persistent=True)
    for row in texts.MAIN_MENU:
        markup.row(*(types.KeyboardButton(label) for label in row))
    return markup


def inline(rows: list[list[tuple[str, str]]]) -> types.InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback data or URL)."""
    markup = types.InlineKeyboardMarkup()
    for row in rows:
        buttons = []
        for label, target in row:
            if target.startswith(("http://", "https://")):
                buttons.append(types.InlineKeyboardButton(label, url=target))
            else:
                buttons.append(types.InlineKeyboardButton(label, callback_data=target))
        markup.row(*buttons)
    return markup


def command_argument(text: str | None) -> str:
    """What follows ``/command`` (or ``/command@bot``) on the first line and below."""
    if not text:
        return ""
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, tail = head.partition("\n")
        rest = tail + (" " + rest if rest else "")
    return rest.strip()

"""The gate every update passes before a handler sees it.

In order: tag the logs with the update's correlation id; claim the update id
(a redelivered update is skipped); follow block/unblock notices of private
chats (the bot removed from a group is not a user blocking it); drop what
is not a private chat, and commands addressed to another bot
(``/start@otherbot``: pyTelegramBotAPI's command filter drops any
``@name``, so it would answer them as ours); register or refresh the user;
refuse oversize text;
then the rules — banned users get one short notice and nothing else,
maintenance mode answers customers with a notice (admins work as usual),
floods are dropped with one polite notice a minute. Only then is the update
dispatched to the handlers. An exception in a handler is logged, reported
to the admins (throttled), answered with a short "coba lagi", and never
stops other updates.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from telebot import types

from quickcart import settings, users
from quickcart.db import database
from quickcart.handlers.context import App
from quickcart.logging_setup import correlation
from quickcart.models import User
from quickcart.throttle import RateLimiter
from quickcart.timeutil import utcnow

log = logging.getLogger(__name__)

CUSTOMER_MESSAGES_PER_MINUTE = 10
CUSTOMER_PRESSES_PER_MINUTE = 60
ADMIN_PER_MINUTE = 100
MAX_TEXT_IN = 4096  # longer user texts are refused before any parsing


def claim_update(update_id: int) -> bool:
    """True the first time an update id is seen; False for a redelivery."""
    cursor = database.execute_sql(
        "INSERT OR IGNORE INTO processed_update (update_id, created_at) VALUES (?, ?)",
        (update_id, utcnow()))
    return cursor.rowcount == 1


def addressed_bot(text: str | None) -> str | None:
    """The bot a command is addressed to: ``/start@toko_bot 5`` → ``toko_bot``; None if it names none."""
    if not text or not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0]
    _, at, name = head.partition("@")
    return name if at else None


class Gate:
    def __init__(self, app: App, dispatch: Callable[[App, types.Update, User], None],
                 bot_username: str | None = None):
        self._app = app
        self._dispatch = dispatch
        # From getMe at start-up; None while unknown, and then no command is refused for its @name.
        self.bot_username = bot_username
        self._messages = RateLimiter(CUSTOMER_MESSAGES_PER_MINUTE)
        self._presses = RateLimiter(CUSTOMER_PRESSES_PER_MINUTE)

    def handle(self, update: types.Update) -> None:
        with correlation(f"upd-{update.update_id}"):
            if not claim_update(update.update_id):
                log.info("update %s already handled; skipped", update.update_id)
                return
            try:
                self._handle(update)
            except Exception as exc:
                log.exception("handler failed")
                self._app.notifier.error(f"{exc.__class__.__name__} while handling an update")
                self._apologise(update)

    def _handle(self, update: types.Update) -> None:
        if update.my_chat_member is not None:
            self._follow_membership(update.my_chat_member)
            return
        message, call = update.message, update.callback_query
        source = message or call
        if source is None or source.from_user is None or source.from_user.is_bot:
            return
        chat = message.chat if message else (call.message.chat if call.message else None)
        if chat is None or chat.type != "private":
            if call is not None:
                self._app.sender.answer(call.id)
            return
        if message is not None and self._for_another_bot(message):
            log.info("command for another bot ignored")
            return
        known = users.get(source.from_user.id)
        user, created = users.register(users.TelegramIdentity.from_telegram(source.from_user))
        if created:
            log.info("new user %s registered", user.id)
        elif known.blocked_bot:
            log.info("user %s is reachable again", user.id)
            self._app.delivery.redeliver_to(user.id)
        kind = "press" if call else "message"
        log.info("%s from user %s", kind, user.id)
        if message is not None and len(message.text or message.caption or "") > MAX_TEXT_IN:
            self._app.sender.post_text(chat.id, self._app.say(user)("gate.text_too_long"))
            return
        if not self._admitted(user, chat.id, call):
            return
        self._dispatch(self._app, update, user)

    def _admitted(self, user, chat_id: int, call: types.CallbackQuery | None) -> bool:
        sender = self._app.sender
        is_admin = self._app.is_admin(user.id)
        say = self._app.say(user)
        if user.is_banned and not is_admin:
            if call is not None:
                sender.answer(call.id, say.plain("gate.banned"), alert=True)
            elif users.claim_ban_notice(user.id):
                sender.post_text(chat_id, say("gate.banned"))
            return False
        limiter = self._presses if call is not None else self._messages
        verdict = limiter.hit(user.id, ADMIN_PER_MINUTE if is_admin else None)
        if not verdict.allowed:
            log.info("flood from user %s dropped", user.id)
            if call is not None:
                sender.answer(call.id, say.plain("gate.flood") if verdict.notify else None)
            elif verdict.notify:
                sender.post_text(chat_id, say("gate.flood"))
            return False
        if not is_admin and settings.maintenance_on():
            if call is not None:
                sender.answer(call.id, say.plain("gate.maintenance"), alert=True)
            else:
                sender.post_text(chat_id, say("gate.maintenance"))
            return False
        return True

    def _for_another_bot(self, message: types.Message) -> bool:
        name = addressed_bot(message.text or message.caption)
        return name is not None and self.bot_username is not None and name.lower() != self.bot_username.lower()

    def _follow_membership(self, member: types.ChatMemberUpdated) -> None:
        if member.chat is None or member.chat.type != "private":
            # The bot added to or removed from a group or channel: says nothing
            # about whether the person who did it can be reached in private.
            log.info("membership change in a %s chat ignored", member.chat.type if member.chat else "unknown")
            return
        status = member.new_chat_member.status if member.new_chat_member else ""
        if status in ("kicked", "left"):
            log.info("user %s blocked the bot", member.from_user.id)
            users.mark_blocked(member.from_user.id, True)
        elif status == "member":
            users.mark_blocked(member.from_user.id, False)
            self._app.delivery.redeliver_to(member.from_user.id)

    def _apologise(self, update: types.Update) -> None:
        source = update.callback_query or update.message
        say = self._app.say(users.get(source.from_user.id) if source and source.from_user else None)
        if update.callback_query is not None:
            self._app.sender.answer(update.callback_query.id, say.plain("gate.error"), alert=True)
        elif update.message is not None:
            self._app.sender.post_text(update.message.chat.id, say("gate.error"))

"""The one way QuickCart talks to users: typed errors over pyTelegramBotAPI.

Every call goes through :class:`~quickcart.telegram.transport.TelegramTransport`
(pacing and retries). Here Telegram's answers become outcomes:

- "message is not modified" is success (the screen already shows it);
- "query is too old" is ignored (the button press timed out; nothing to do);
- 403 means the user blocked the bot (or never started it): the user is
  marked through ``on_blocked`` and :class:`BotBlocked` is raised;
- a message that can no longer be edited raises :class:`MessageGone`, so a
  caller can send a fresh message instead;
- anything else raises :class:`TelegramError` saying whether a later retry
  could help (``permanent=False``) or not.

All texts are HTML (``parse_mode="HTML"``); callers escape what they insert.
Message texts never reach a log line. ``post_*`` sends through the
:class:`~quickcart.telegram.outbox.Outbox`, for replies a handler does not
need to wait for.
"""
from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from typing import BinaryIO

import requests
from telebot import TeleBot, types
from telebot.apihelper import ApiException, ApiTelegramException

from quickcart.telegram.outbox import Outbox

log = logging.getLogger(__name__)

Markup = types.InlineKeyboardMarkup | types.ReplyKeyboardMarkup | types.ReplyKeyboardRemove | None

MAX_TEXT = 4096
MAX_CAPTION = 1024


class TelegramError(Exception):
    """A Bot API call failed; ``permanent`` says a retry would not help."""

    def __init__(self, description: str, permanent: bool, error_code: int | None = None):
        super().__init__(description)
        self.description = description
        self.permanent = permanent
        self.error_code = error_code


class BotBlocked(TelegramError):
    """The user blocked the bot or never started it (403)."""


class MessageGone(TelegramError):
    """The message to edit or delete no longer exists or cannot be edited."""


_GONE_MARKERS = ("message to edit not found", "message to delete not found",
                 "message can't be edited", "message can't be deleted",
                 "there is no text in the message to edit", "there is no caption in the message to edit")


def _translate(exc: Exception) -> TelegramError | None:
    """Map a pyTelegramBotAPI/requests exception to ours; None means "fine"."""
    if isinstance(exc, ApiTelegramException):
        description = exc.description or ""
        lowered = description.lower()
        if "message is not modified" in lowered or "query is too old" in lowered:
            return None
        if exc.error_code == 403:
            return BotBlocked(description, permanent=True, error_code=403)
        if exc.error_code == 400 and any(marker in lowered for marker in _GONE_MARKERS):
            return MessageGone(description, permanent=True, error_code=400)
        permanent = exc.error_code not in (429,) and exc.error_code < 500
        return TelegramError(description, permanent=permanent, error_code=exc.error_code)
    if isinstance(exc, ApiException):  # a non-JSON answer, e.g. a proxy's 502 page
        return TelegramError(exc.__class__.__name__, permanent=False)
    if isinstance(exc, requests.exceptions.RequestException):
        return TelegramError(exc.__class__.__name__, permanent=False)
    raise exc


def _upload(data: bytes | BinaryIO) -> BinaryIO:
    """What a file upload hands pyTelegramBotAPI: a file object, never the bytes themselves.

    pyTelegramBotAPI writes every request into a debug log line, formatted
    whether or not debug logging is on: bytes come out as their repr, up to
    four times their size, copied twice more — a 17 MB export cost 400 MB
    of memory that way. A file object's repr is one short line.
    """
    return io.BytesIO(data) if isinstance(data, bytes) else data


def _replying(message_id: int | None) -> types.ReplyParameters | None:
    if message_id is None:
        return None
    return types.ReplyParameters(message_id, allow_sending_without_reply=True)


class Sender:
    """Send, edit and delete messages; answer button presses."""

    def __init__(self, bot: TeleBot, on_blocked: Callable[[int], None] | None = None,
                 outbox: Outbox | None = None):
        self.bot = bot
        self._on_blocked = on_blocked
        self.outbox = outbox or Outbox()
        self._answered = threading.local()

    def _call(self, what: str, chat_id: int | None, func: Callable, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            error = _translate(exc)
            if error is None:
                return None
            if isinstance(error, BotBlocked) and chat_id is not None:
                log.info("telegram %s: chat %s has blocked the bot", what, chat_id)
                if self._on_blocked is not None:
                    self._on_blocked(chat_id)
            elif not isinstance(error, MessageGone):
                log.warning("telegram %s to chat %s failed: %s", what, chat_id, error.description)
            raise error from None

    def post_text(self, chat_id: int, text: str, markup: Markup = None) -> None:
        """Send ``text`` without waiting for it (in order with the chat's other posts)."""
        self.outbox.post(chat_id, lambda: self.send_text(chat_id, text, markup))

    def post_sticker(self, chat_id: int, sticker: str) -> None:
        self.outbox.post(chat_id, lambda: self.send_sticker(chat_id, sticker))

    def send_text(self, chat_id: int, text: str, markup: Markup = None,
                  reply_to: int | None = None) -> types.Message | None:
        """Send ``text``; ``reply_to``: the message in that chat it answers (sent anyway if that is gone)."""
        return self._call("sendMessage", chat_id, self.bot.send_message, chat_id, text,
                          parse_mode="HTML", reply_markup=markup,
                          link_preview_options=types.LinkPreviewOptions(is_disabled=True),
                          reply_parameters=_replying(reply_to))

    def send_photo(self, chat_id: int, png: bytes, caption: str, markup: Markup = None,
                   filename: str = "qris.png") -> types.Message | None:
        return self._call("sendPhoto", chat_id, self.bot.send_photo, chat_id,
                          (filename, _upload(png)),
                          caption=caption, parse_mode="HTML", reply_markup=markup)

    def send_photo_id(self, chat_id: int, file_id: str, caption: str | None = None, markup: Markup = None,
                      reply_to: int | None = None) -> types.Message | None:
        """Send a photo Telegram already holds (one a user sent us) by its ``file_id``."""
        return self._call("sendPhoto", chat_id, self.bot.send_photo, chat_id, file_id,
                          caption=caption, parse_mode="HTML" if caption else None, reply_markup=markup,
                          reply_parameters=_replying(reply_to))

    def send_document(self, chat_id: int, filename: str, data: bytes | BinaryIO, caption: str | None = None,
                      markup: Markup = None) -> types.Message | None:
        """Send a file: its bytes, or an open binary file (read from its start at each attempt)."""
        return self._call("sendDocument", chat_id, self.bot.send_document, chat_id, (filename, _upload(data)),
                          caption=caption, parse_mode="HTML" if caption else None,
                          reply_markup=markup)

    def send_document_id(self, chat_id: int, file_id: str, caption: str | None = None) -> types.Message | None:
        """Send a document Telegram already holds (one an admin uploaded) by its ``file_id``."""
        return self._call("sendDocument", chat_id, self.bot.send_document, chat_id, file_id,
                          caption=caption, parse_mode="HTML" if caption else None)

    def send_sticker(self, chat_id: int, sticker: str) -> types.Message | None:
        return self._call("sendSticker", chat_id, self.bot.send_sticker, chat_id, sticker)

    def edit_text(self, chat_id: int, message_id: int, text: str, markup: Markup = None) -> None:
        self._call("editMessageText", chat_id, self.bot.edit_message_text, text, chat_id, message_id,
                   parse_mode="HTML", reply_markup=markup,
                   link_preview_options=types.LinkPreviewOptions(is_disabled=True))

    def edit_caption(self, chat_id: int, message_id: int, caption: str, markup: Markup = None) -> None:
        self._call("editMessageCaption", chat_id, self.bot.edit_message_caption, caption, chat_id,
                   message_id, parse_mode="HTML", reply_markup=markup)

    def edit_markup(self, chat_id: int, message_id: int, markup: Markup = None) -> None:
        self._call("editMessageReplyMarkup", chat_id, self.bot.edit_message_reply_markup, chat_id,
                   message_id, reply_markup=markup)

    def delete(self, chat_id: int, message_id: int) -> None:
        self._call("deleteMessage", chat_id, self.bot.delete_message, chat_id, message_id)

    def answer(self, callback_query_id: str, text: str | None = None, alert: bool = False) -> None:
        """Answer a button press; failures are logged, never raised (it is cosmetic)."""
        self._answered.last = callback_query_id
        try:
            self._call("answerCallbackQuery", None, self.bot.answer_callback_query,
                       callback_query_id, text=text, show_alert=alert)
        except TelegramError:
            pass

    def answered(self, callback_query_id: str) -> bool:
        """Has this thread answered that press? (The router answers the rest.)"""
        return getattr(self._answered, "last", None) == callback_query_id

    def download(self, file_id: str, max_bytes: int) -> bytes:
        """Fetch a file a user sent; refuse files over ``max_bytes``."""
        info = self._call("getFile", None, self.bot.get_file, file_id)
        if info is None:
            raise TelegramError("file not found", permanent=True)
        if info.file_size and info.file_size > max_bytes:
            raise TelegramError("file too large", permanent=True)
        try:
            data = self.bot.download_file(info.file_path)
        except Exception as exc:
            raise _translate(exc) or TelegramError("download failed", permanent=False) from None
        if len(data) > max_bytes:
            raise TelegramError("file too large", permanent=True)
        return data

"""The in-memory Telegram behind the stand-in: the Bot API methods and the users' side.

:class:`TelegramBackend` owns all state behind one condition variable. Bot API calls
arrive from the HTTP handler threads; :class:`~quickcart.sandbox.telegram_users.FakeUser`
actions arrive from the test's thread; both notify the condition, which is what long
polling and test waits sleep on.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import mimetypes
import secrets
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from quickcart.sandbox.telegram_format import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    FormattedText,
    bad_request,
    command_entities,
    image_info,
    parse_formatted,
    parse_reply_markup,
)
from quickcart.sandbox.telegram_limits import StandInStats
from quickcart.sandbox.telegram_model import ButtonPress, CallbackAnswer, Chat, Message, StoredFile
from quickcart.sandbox.telegram_users import FakeUser
from quickcart.sandbox.waiting import wait_for

T = TypeVar("T")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
CALLBACK_QUERY_LIFETIME = 15 * 60
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
UNKNOWN_FILE_ID = "wrong remote file identifier specified: Wrong character in the string"
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                          "upload_document", "choose_sticker", "find_location", "record_video_note",
                          "upload_video_note"})
_FILE_ID_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI"}
_FILE_FOLDER = {"photo": "photos", "document": "documents", "sticker": "stickers"}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, bytes exactly as received."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Parameters of one Bot API call: query string and body merged, values as received."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)

    def integer(self, name: str, error: str) -> int | None:
        """The parameter as an int, None when absent; ``error`` is the Bad Request detail otherwise."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(error) from None

    def number(self, name: str) -> float | None:
        try:
            return float(self.values[name])
        except (KeyError, TypeError, ValueError):
            return None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json_value(self, name: str) -> Any:
        """A parameter that Telegram expects JSON-serialized (lists, objects); decoded."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def upload(self, name: str) -> Upload | None:
        return self.uploads.get(name)

    def chat_id_hint(self) -> int | None:
        """``chat_id`` if it is a plain integer; for logs, faults and flood control."""
        try:
            return int(self.values["chat_id"])
        except (KeyError, TypeError, ValueError):
            return None

    def loggable(self) -> dict[str, Any]:
        logged = dict(self.values)
        for name, upload in self.uploads.items():
            logged[name] = f"<upload {upload.filename!r}, {len(upload.data)} bytes>"
        return logged


class TelegramBackend:
    """Telegram's state for one bot: chats, files, the update queue, callback queries."""

    def __init__(self, bot_id: int, bot_username: str, bot_name: str, stats: StandInStats) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.stats = stats
        self.bot_json: dict[str, Any] = {"id": bot_id, "is_bot": True, "first_name": bot_name,
                                         "username": bot_username}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope JSON, language) -> commands
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, Chat] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._presses: dict[str, ButtonPress] = {}
        self._updates: deque[dict[str, Any]] = deque()
        # Every update ever queued (bounded), so a test can replay some as
        # Telegram does with updates a crashed bot never confirmed.
        self._history: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0
        self._version = 0
        self._ids = itertools.count(1)
        self._clock_offset = 0.0
        self._serving = False
        self._methods: dict[str, tuple[str, Callable[[Params], Any]]] = {
            name.lower(): (name, handler) for name, handler in {
                "getMe": self._get_me,
                "logOut": lambda params: True,
                "close": lambda params: True,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "sendPhoto": lambda params: self._send_media(params, "photo"),
                "sendDocument": lambda params: self._send_media(params, "document"),
                "sendSticker": lambda params: self._send_media(params, "sticker"),
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
                "getChat": self._get_chat,
            }.items()
        }

    # --- plumbing -------------------------------------------------------------------------

    def resolve(self, method: str) -> str | None:
        """Canonical name of a Bot API method (names are case-insensitive), None if unknown."""
        entry = self._methods.get(method.lower())
        return entry[0] if entry else None

    def call(self, method: str, params: Params) -> Any:
        """Run a resolved method; returns its ``result`` or raises :class:`ApiError`."""
        return self._methods[method.lower()][1](params)

    def now(self) -> float:
        """Telegram's clock (wall time plus :meth:`advance_clock`), for dates and query ages."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.cond:
            self._clock_offset += seconds
            self._changed()

    def set_serving(self, serving: bool) -> None:
        """While not serving, getUpdates returns at once (with no updates) so the server can stop."""
        with self.cond:
            self._serving = serving
            self._changed()

    def _changed(self) -> int:
        """Record a state change and wake every waiter; returns the new change counter."""
        self._version += 1
        self.cond.notify_all()
        return self._version

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        # Like Telegram, an update type the bot did not ask for is never created.
        if self._allowed_updates is not None and kind not in self._allowed_updates:
            return
        update = {"update_id": self._next_update_id, kind: payload}
        self._updates.append(update)
        self._history.append(update)
        self._next_update_id += 1

    def interrupt_polls(self) -> None:
        """Make a waiting getUpdates give up now (it answers 409), as when its connection drops."""
        with self.cond:
            self._poll_generation += 1
            self._changed()

    def replay_last_updates(self, count: int) -> list[int]:
        """Queue the last ``count`` updates again, ids unchanged (a redelivery)."""
        with self.cond:
            replay = list(self._history)[-count:]
            queued = {update["update_id"] for update in self._updates}
            merged = sorted([u for u in replay if u["update_id"] not in queued] + list(self._updates),
                            key=lambda update: update["update_id"])
            self._updates = deque(merged)
            self._poll_generation += 1  # a poll still waiting (from a dead bot) must not confirm them
            self._changed()
            return [update["update_id"] for update in replay]

    # --- state for tests ------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, username: str | None, last_name: str | None,
             language_code: str | None) -> FakeUser:
        with self.cond:
            existing = self._users.get(user_id)
            if existing is not None:
                return existing
            if user_id <= 0:
                raise ValueError("user ids are positive")
            user = FakeUser(self, user_id, first_name, username, last_name, language_code)
            self._users[user_id] = user
            self._chats[user_id] = Chat(user_id, first_name)
            return user

    def chat(self, chat_id: int) -> Chat:
        with self.cond:
            chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: create the user with standin.user({chat_id}) first")
        return chat

    def render_transcript(self, chat_id: int, last: int | None = None) -> str:
        with self.cond:
            return self.chat(chat_id).render(last)

    def file_at(self, file_path: str) -> bytes | None:
        with self.cond:
            stored = self._files_by_path.get(file_path)
        return stored.data if stored else None

    def wait_until(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        return wait_for(self.cond, lambda: self._version, predicate, timeout,
                        lambda: self._timeout_report(timeout, what))

    def _timeout_report(self, timeout: float, what: str) -> str:
        with self.cond:
            active = sorted((c for c in self._chats.values() if c.last_activity),
                            key=lambda c: c.last_activity, reverse=True)[:3]
            parts = [f"Timed out after {timeout:g}s waiting for {what or 'the condition'}."]
            for chat in active:
                parts.append(f"--- chat {chat.chat_id} ({chat.user_name}), latest entries ---\n{chat.render(last=15)}")
            if not active:
                parts.append("(no chat has any activity)")
            return "\n".join(parts)

    def wait_for_bot_message(self, user: FakeUser, predicate: Callable[[Message], Any] | None,
                             contains: str | None, timeout: float, after: Message | None) -> Message:
        chat = self.chat(user.id)
        with self.cond:
            since = after.seq if after is not None else user.last_action_seq

        def first_match() -> Message | None:
            with self.cond:
                events = chat.bot_events[bisect.bisect_right(chat.bot_events, since, key=lambda e: e[0]):]
            for _, message, text in events:
                if (contains is None or contains in text) and (predicate is None or predicate(message)):
                    return message
            return None

        what = f"a bot message to {user.first_name}" + (f" containing {contains!r}" if contains is not None else "")
        return self.wait_until(first_match, timeout, what + (" matching the predicate" if predicate else ""))

    def wait_for_answer(self, query_id: str, timeout: float) -> CallbackAnswer:
        with self.cond:
            press = self._presses.get(query_id)
        if press is None:
            raise KeyError(f"unknown callback query id {query_id!r}")
        return self.wait_until(lambda: press.answer, timeout, f"the bot to answer callback query {query_id}")

    # --- user actions ---------------------------------------------------------------------

    def post_message(self, user: FakeUser, kind: str, text: str | None, *, data: bytes | None = None,
                     file_name: str | None = None, mime_type: str | None = None,
                     reply_to: Message | int | None = None) -> Message:
        with self.cond:
            self._check_can_act(user)
            chat = self._chats[user.id]
            reply_id = reply_to if isinstance(reply_to, int) or reply_to is None else reply_to.message_id
            if reply_id is not None and (chat.get(reply_id) is None or chat.get(reply_id).deleted):
                raise AssertionError(f"message {reply_id} is not in the chat with {user.first_name}; cannot reply")
            stored = self._store_file(kind, data, file_name, mime_type) if data is not None else None
            seq = self._changed()
            message = Message(
                message_id=chat.new_message_id(), chat_id=user.id, from_bot=False, kind=kind, text=text,
                photo=data if kind == "photo" else None, document=data if kind == "document" else None,
                document_name=stored.file_name if stored and kind == "document" else None,
                date=int(self.now()), file=stored, entities=command_entities(text or ""), rendered_text=text,
                seq=seq, reply_to=reply_id)
            chat.add(message)
            chat.last_activity = time.monotonic()
            user.has_started = True
            user.last_action_seq = seq
            self._enqueue("message", self.message_json(message))
            return message

    def press_button(self, user: FakeUser, message: Message | int, button: str) -> str:
        with self.cond:
            target = self._pressable(user, message)
            buttons = [b for row in target.buttons() for b in row]
            found = ([b for b in buttons if b["text"] == button]
                     or [b for b in buttons if b.get("callback_data") == button]
                     or [b for b in buttons if button in b["text"]])
            if len(found) != 1 or "callback_data" not in found[0]:
                problem = ("matches no button" if not found else f"is ambiguous ({len(found)} buttons match)"
                           if len(found) > 1 else "is not a callback button (it opens a URL or similar)")
                listing = ", ".join(f"{b['text']!r} -> {b.get('callback_data', b.get('url'))!r}" for b in buttons)
                raise AssertionError(f"{button!r} {problem} on message {target.message_id}; "
                                     f"its buttons: {listing or 'none'}")
            return self.press(user, target, found[0]["callback_data"], found[0]["text"])

    def press(self, user: FakeUser, message: Message | int, data: str, button_text: str | None) -> str:
        with self.cond:
            target = self._pressable(user, message)
            chat = self._chats[user.id]
            seq = self._changed()
            query_id = str(next(self._ids) * 1_000_003 + 4_000_000_000_000_000)
            press = ButtonPress(query_id, target.message_id, data, button_text, self.now(), seq)
            chat.presses.append(press)
            chat.last_activity = time.monotonic()
            self._presses[query_id] = press
            user.has_started = True
            user.last_action_seq = seq
            self._enqueue("callback_query", {
                "id": query_id, "from": user.json(), "message": self.message_json(target),
                "chat_instance": str(6_000_000_000_000_000 + user.id), "data": data})
            return query_id

    def set_blocked(self, user: FakeUser, blocked: bool) -> None:
        with self.cond:
            if user.blocked == blocked:
                return
            user.blocked = blocked
            self._changed()
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self._enqueue("my_chat_member", {
                "chat": user.chat_json(), "from": user.json(), "date": int(self.now()),
                "old_chat_member": self._membership(old), "new_chat_member": self._membership(new)})

    def _membership(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"user": self.bot_json, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        return member

    def _check_can_act(self, user: FakeUser) -> None:
        if user.blocked:
            raise AssertionError(f"{user.first_name} has blocked the bot; call unblock_bot() first")

    def _pressable(self, user: FakeUser, message: Message | int) -> Message:
        self._check_can_act(user)
        message_id = message if isinstance(message, int) else message.message_id
        target = self._chats[user.id].get(message_id)
        if target is None or not target.from_bot:
            raise AssertionError(f"message {message_id} is not a bot message in the chat with {user.first_name}")
        if target.deleted:
            raise AssertionError(f"message {message_id} was deleted; its buttons are gone")
        return target

    # --- shared pieces of the Bot API methods ---------------------------------------------

    def message_json(self, message: Message, with_reply: bool = True) -> dict[str, Any]:
        """The Telegram ``Message`` object for a message as it is now.

        The message it replies to comes along as ``reply_to_message``, itself
        without one (as Telegram sends it), unless it was deleted.
        """
        user = self._users[message.chat_id]
        data: dict[str, Any] = {"message_id": message.message_id,
                                "from": self.bot_json if message.from_bot else user.json(),
                                "chat": user.chat_json(), "date": message.date}
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        stored = message.file
        if message.kind == "text":
            data["text"] = message.rendered_text
        elif stored is not None:
            data[message.kind] = self._media_json(stored)
        if message.kind in ("photo", "document") and message.rendered_text:
            data["caption"] = message.rendered_text
        if message.entities:
            data["entities" if message.kind == "text" else "caption_entities"] = message.entities
        inline = _inline_keyboard(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        if with_reply and message.reply_to is not None:
            target = self._chats[message.chat_id].get(message.reply_to)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.message_json(target, with_reply=False)
        return data

    @staticmethod
    def _media_json(stored: StoredFile) -> Any:
        ids = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}
        if stored.kind == "photo":
            return [{**ids, "width": stored.width, "height": stored.height}]
        if stored.kind == "sticker":
            return {**ids, "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
        return {**ids, "file_name": stored.file_name, "mime_type": stored.mime_type}

    def _store_file(self, kind: str, data: bytes, file_name: str | None, mime_type: str | None,
                    file_id: str | None = None) -> StoredFile:
        number = next(self._ids)
        info = image_info(data) if kind == "photo" else None
        if kind == "document":
            file_name = file_name or "document"
            mime_type = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            extension = ("." + file_name.rsplit(".", 1)[1]) if "." in file_name else ""
        else:
            extension = {"png": ".png", "jpeg": ".jpg"}.get(info.format, "") if info else ""
        token = base64.urlsafe_b64encode(struct.pack(">Q", number) + secrets.token_bytes(24)).decode().rstrip("=")
        stored = StoredFile(
            file_id=file_id or _FILE_ID_PREFIX[kind] + token,
            file_unique_id="AQAD" + base64.urlsafe_b64encode(struct.pack(">Q", number)).decode().rstrip("="),
            kind=kind, data=data, file_path=f"{_FILE_FOLDER[kind]}/file_{number}{extension}",
            file_name=file_name if kind == "document" else None, mime_type=mime_type,
            image_format=info.format if info else None, width=info.width if info else 0,
            height=info.height if info else 0)
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _chat_of(self, params: Params) -> Chat:
        if params.raw("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        chat = self._chats.get(params.integer("chat_id", "chat not found"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, params: Params) -> Chat:
        chat = self._chat_of(params)
        user = self._users[chat.chat_id]
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not user.has_started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _text_param(params: Params, name: str, entities_name: str, *, caption: bool) -> FormattedText:
        raw = params.text(name) or ""
        parse_mode = params.text("parse_mode")
        formatted = parse_formatted(raw, parse_mode)
        explicit_entities = params.json_value(entities_name)
        if explicit_entities and not parse_mode:
            formatted = FormattedText(raw, list(explicit_entities))
        if caption:
            if len(formatted.text) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        elif not formatted.text.strip():
            raise bad_request("message text is empty")
        elif len(formatted.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return formatted

    @staticmethod
    def _reply_target(chat: Chat, params: Params) -> int | None:
        """The message a send replies to (``reply_parameters`` or the older ``reply_to_message_id``)."""
        wanted = params.json_value("reply_parameters")
        if wanted is not None and not isinstance(wanted, dict):
            raise bad_request("can't parse reply parameters JSON object")
        wanted = wanted or {}
        message_id = wanted.get("message_id", params.integer("reply_to_message_id", "wrong reply message id"))
        if message_id is None:
            return None
        if not isinstance(message_id, int):
            raise bad_request("wrong reply message id")
        target = chat.get(message_id)
        if target is None or target.deleted:
            if wanted.get("allow_sending_without_reply") or params.flag("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _add_bot_message(self, chat: Chat, kind: str, params: Params, text_name: str, formatted: FormattedText,
                         markup: dict[str, Any] | None, stored: StoredFile | None = None) -> Message:
        reply_to = self._reply_target(chat, params)
        seq = self._changed()
        message = Message(
            message_id=chat.new_message_id(), chat_id=chat.chat_id, from_bot=True, kind=kind,
            text=params.text(text_name), parse_mode=params.text("parse_mode"), reply_markup=markup,
            photo=stored.data if stored and kind == "photo" else None,
            document=stored.data if stored and kind == "document" else None,
            document_name=stored.file_name if stored and kind == "document" else None,
            sticker=stored.file_id if stored and kind == "sticker" else None,
            date=int(self.now()), file=stored, entities=formatted.entities, rendered_text=formatted.text, seq=seq,
            reply_to=reply_to)
        chat.add(message)
        chat.last_activity = time.monotonic()
        if markup and "keyboard" in markup:
            chat.reply_keyboard = [[b["text"] if isinstance(b, dict) else b for b in row] for row in markup["keyboard"]]
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self.stats.messages_sent += 1
        return message

    # --- Bot API: bot and updates ---------------------------------------------------------

    def _get_me(self, params: Params) -> dict[str, Any]:
        return {**self.bot_json, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        offset = params.integer("offset", "wrong parameter offset")
        limit = min(100, max(1, params.integer("limit", "wrong parameter limit") or 100))
        timeout = max(0.0, params.number("timeout") or 0.0)
        allowed = params.json_value("allowed_updates")
        if allowed is not None and not (isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)):
            raise bad_request("can't parse allowed_updates JSON array")
        deadline = time.monotonic() + timeout
        with self.cond:
            self.stats.get_updates_calls += 1
            if allowed is not None:
                self._allowed_updates = frozenset(allowed) or None  # [] restores the default set
            # A newer poll supersedes a waiting one, which then answers 409 like Telegram.
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed()
            # Like Telegram, the offset confirms updates when the request arrives.
            self._confirm(offset)
            while True:
                if generation != self._poll_generation:
                    raise ApiError(409, CONFLICT)
                if self._updates:
                    return list(itertools.islice(self._updates, limit))
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._serving:
                    return []
                self.cond.wait(remaining)

    def _confirm(self, offset: int | None) -> None:
        """Forget updates the bot confirmed: ids below ``offset``, or all but the last -offset."""
        if offset is None:
            return
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _delete_webhook(self, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            with self.cond:
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        with self.cond:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.json_value("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.json_value("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not 1 <= len(name) <= 32 or not all(
                    c.islower() or c.isdigit() or c == "_" for c in name) or not name.isascii():
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self.cond:
            self.commands[self._commands_key(params)] = [
                {"command": c["command"], "description": c["description"]} for c in commands]
            self._changed()
        return True

    def _get_my_commands(self, params: Params) -> list[dict[str, Any]]:
        with self.cond:
            return list(self.commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: Params) -> bool:
        with self.cond:
            self.commands.pop(self._commands_key(params), None)
            self._changed()
        return True

    # --- Bot API: messages ----------------------------------------------------------------

    def _send_message(self, params: Params) -> dict[str, Any]:
        formatted = self._text_param(params, "text", "entities", caption=False)
        markup = parse_reply_markup(params.raw("reply_markup"))
        with self.cond:
            chat = self._writable_chat(params)
            return self.message_json(self._add_bot_message(chat, "text", params, "text", formatted, markup))

    def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        formatted = (self._text_param(params, "caption", "caption_entities", caption=True)
                     if kind != "sticker" else FormattedText(""))
        markup = parse_reply_markup(params.raw("reply_markup"))
        with self.cond:
            chat = self._writable_chat(params)
            stored = self._media_param(params, kind)
            message = self._add_bot_message(chat, kind, params, "caption", formatted, markup, stored)
            return self.message_json(message)

    def _media_param(self, params: Params, kind: str) -> StoredFile:
        """The file a send refers to: a multipart upload (direct or ``attach://``) or a file_id."""
        value = params.text(kind)
        upload = params.upload(kind)
        if upload is None and value and value.startswith("attach://"):
            upload = params.upload(value[len("attach://"):])
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._store_file(kind, upload.data, upload.filename, upload.content_type)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        known = self._files.get(value)
        if known is None:
            if kind == "sticker":  # any sticker id is accepted: the bot's sticker sets are not modelled
                return self._store_file("sticker", b"", None, "image/webp", file_id=value)
            raise bad_request(UNKNOWN_FILE_ID)
        if known.kind != kind:
            raise bad_request("type of file mismatch")
        return known

    def _send_chat_action(self, params: Params) -> bool:
        if params.text("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        with self.cond:
            self._writable_chat(params)
        return True

    def _editable(self, params: Params) -> tuple[Chat, Message]:
        if params.text("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._chat_of(params)
        if self._users[chat.chat_id].blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message = chat.get(params.integer("message_id", "message to edit not found") or 0)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit_message_text(self, params: Params) -> dict[str, Any]:
        formatted = self._text_param(params, "text", "entities", caption=False)
        markup = _edit_markup(params)
        with self.cond:
            chat, message = self._editable(params)
            if message.kind != "text":
                raise bad_request("there is no text in the message to edit")
            self._apply_edit(chat, message, params.text("text"), params.text("parse_mode"), formatted, markup)
            return self.message_json(message)

    def _edit_message_caption(self, params: Params) -> dict[str, Any]:
        formatted = self._text_param(params, "caption", "caption_entities", caption=True)
        markup = _edit_markup(params)
        with self.cond:
            chat, message = self._editable(params)
            if message.kind not in ("photo", "document"):
                raise bad_request("there is no caption in the message to edit")
            self._apply_edit(chat, message, params.text("caption"), params.text("parse_mode"), formatted, markup)
            return self.message_json(message)

    def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        markup = _edit_markup(params)
        with self.cond:
            chat, message = self._editable(params)
            current = FormattedText(message.rendered_text or "", message.entities)
            self._apply_edit(chat, message, message.text, message.parse_mode, current, markup)
            return self.message_json(message)

    def _apply_edit(self, chat: Chat, message: Message, text: str | None, parse_mode: str | None,
                    formatted: FormattedText, markup: dict[str, Any] | None) -> None:
        # Telegram drops the inline keyboard of an edit that does not repeat it.
        if ((formatted.text, formatted.entities) == (message.rendered_text or "", message.entities)
                and _inline_keyboard(markup) == _inline_keyboard(message.reply_markup)):
            raise bad_request(NOT_MODIFIED)
        message.history.append((message.text, message.reply_markup))
        message.text, message.parse_mode = text, parse_mode
        message.rendered_text, message.entities = formatted.text, formatted.entities
        message.reply_markup = markup
        message.edit_date = int(self.now())
        chat.bot_events.append((self._changed(), message, message.plain_text()))
        chat.last_activity = time.monotonic()

    def _delete_message(self, params: Params) -> bool:
        with self.cond:
            chat = self._chat_of(params)
            message = chat.get(params.integer("message_id", "message to delete not found") or 0)
            if message is None or message.deleted:
                raise bad_request("message to delete not found")
            message.deleted = True
            chat.last_activity = time.monotonic()
            self._changed()
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        text = params.text("text")
        if text and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        with self.cond:
            press = self._presses.get(params.text("callback_query_id") or "")
            if press is None or press.answer is not None or self.now() - press.created_at > CALLBACK_QUERY_LIFETIME:
                raise bad_request(QUERY_TOO_OLD)
            press.answer = CallbackAnswer(press.query_id, text, params.flag("show_alert"), time.time(),
                                          params.text("url"))
            self._changed()
        return True

    # --- Bot API: files and chats ---------------------------------------------------------

    def _get_file(self, params: Params) -> dict[str, Any]:
        with self.cond:
            stored = self._files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data),
                "file_path": stored.file_path}

    def _get_chat(self, params: Params) -> dict[str, Any]:
        with self.cond:
            chat = self._chat_of(params)
            return {**self._users[chat.chat_id].chat_json(), "accent_color_id": 0, "max_reaction_count": 11}


def _inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The inline keyboard part of a markup, None when there is none (or it has no rows)."""
    if markup and markup.get("inline_keyboard"):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _edit_markup(params: Params) -> dict[str, Any] | None:
    markup = parse_reply_markup(params.raw("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup

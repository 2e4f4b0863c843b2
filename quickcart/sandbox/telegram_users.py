"""Simulated Telegram users, driven by tests, the demo and the benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from quickcart.sandbox.telegram_model import CallbackAnswer, Message

if TYPE_CHECKING:
    from quickcart.sandbox.telegram_api import TelegramBackend


class FakeUser:
    """A Telegram user the test drives: sends messages, presses buttons, blocks the bot."""

    def __init__(self, backend: TelegramBackend, user_id: int, first_name: str, username: str | None,
                 last_name: str | None, language_code: str | None) -> None:
        self._backend = backend
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.last_name = last_name
        self.language_code = language_code
        self.has_started = False  # the bot may only message users who wrote to it first
        self.blocked = False
        self.last_action_seq = 0  # backend change counter at this user's last send or press

    def json(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> dict[str, Any]:
        """The Telegram ``Chat`` object of the private chat with this user."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def send_text(self, text: str, reply_to: Message | int | None = None) -> Message:
        """Send a text message (as a reply to ``reply_to``, when given); a leading ``/command`` gets its
        ``bot_command`` entity."""
        return self._backend.post_message(self, "text", text, reply_to=reply_to)

    def send_document(self, filename: str, data: bytes, caption: str | None = None,
                      mime_type: str = "text/plain", reply_to: Message | int | None = None) -> Message:
        """Send a file; the bot can fetch it through getFile and the file URL."""
        return self._backend.post_message(self, "document", caption, data=data, file_name=filename,
                                          mime_type=mime_type, reply_to=reply_to)

    def send_photo(self, data: bytes, caption: str | None = None, reply_to: Message | int | None = None) -> Message:
        return self._backend.post_message(self, "photo", caption, data=data, reply_to=reply_to)

    def press(self, message: Message | int, button: str) -> str:
        """Tap the inline button whose text is ``button`` (else whose callback_data is, else whose
        text contains it) under a bot message; returns the callback query id."""
        return self._backend.press_button(self, message, button)

    def press_callback_data(self, message: Message | int, data: str) -> str:
        """Send a callback query with arbitrary ``data``, as a forged or stale client would."""
        return self._backend.press(self, message, data, None)

    def tap_keyboard(self, text: str) -> Message:
        """Tap a reply-keyboard button, which must be on the chat's current keyboard."""
        keyboard = self._backend.chat(self.id).reply_keyboard
        if not keyboard or not any(text in row for row in keyboard):
            raise AssertionError(f"{text!r} is not on {self.first_name}'s reply keyboard; it has "
                                 f"{keyboard if keyboard else 'no reply keyboard'}")
        return self.send_text(text)

    def block_bot(self) -> None:
        self._backend.set_blocked(self, True)

    def unblock_bot(self) -> None:
        self._backend.set_blocked(self, False)

    def wait_for_message(self, predicate: Callable[[Message], Any] | None = None, contains: str | None = None,
                         timeout: float = 10.0, after: Message | None = None) -> Message:
        """The first bot message or edit in this chat since ``after`` (default: this user's last
        action) whose displayed text contains ``contains`` and that satisfies ``predicate``."""
        return self._backend.wait_for_bot_message(self, predicate, contains, timeout, after)

    def wait_for_answer(self, callback_query_id: str, timeout: float = 10.0) -> CallbackAnswer:
        return self._backend.wait_for_answer(callback_query_id, timeout)

    @property
    def messages(self) -> list[Message]:
        return self._backend.chat(self.id).messages

    @property
    def last_bot_message(self) -> Message | None:
        return self._backend.chat(self.id).last_bot_message

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

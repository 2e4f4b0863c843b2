"""What the Telegram stand-in remembers: files, messages, chats, button presses.

These are plain records. The stand-in mutates them under its lock; tests read them
(attribute reads are atomic, and every list handed out is a copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quickcart.sandbox.telegram_format import strip_markup


@dataclass(eq=False)
class StoredFile:
    """A file Telegram holds: uploaded by the bot or by a user, reachable by ``file_id``."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo", "document" or "sticker"
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    image_format: str | None = None  # "png"/"jpeg" when the bytes are a recognised image
    width: int = 0
    height: int = 0


@dataclass(eq=False)
class Message:
    """A message in a private chat, sent by the bot (``from_bot``) or by the user.

    ``text`` is the raw text or caption exactly as sent (HTML tags included) and
    ``parse_mode`` how to read it; :meth:`plain_text` is what the user sees.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    kind: str  # "text", "photo", "document" or "sticker"
    text: str | None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    document_name: str | None = None
    sticker: str | None = None
    deleted: bool = False
    history: list[tuple[str | None, dict[str, Any] | None]] = field(default_factory=list)  # earlier (text, markup)
    date: int = 0
    edit_date: int | None = None
    file: StoredFile | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)  # Telegram entities of plain_text()
    rendered_text: str | None = None  # text as displayed, computed when sent or edited
    seq: int = 0  # the stand-in's change counter when the message appeared; orders messages and edits
    reply_to: int | None = None  # the message (in the same chat) this one replies to

    def buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of the inline keyboard under this message (empty when it has none)."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    def button_texts(self) -> list[str]:
        return [button["text"] for row in self.buttons() for button in row]

    def plain_text(self) -> str:
        """The text or caption as the user reads it: tags removed, entities unescaped."""
        if self.rendered_text is not None:
            return self.rendered_text
        return strip_markup(self.text or "", self.parse_mode)

    @property
    def edited(self) -> bool:
        return self.edit_date is not None


@dataclass
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    answered_at: float
    url: str | None = None


@dataclass(eq=False)
class ButtonPress:
    """A user tapping an inline button; kept for transcripts and answer bookkeeping."""

    query_id: str
    message_id: int
    data: str
    button_text: str | None
    created_at: float  # stand-in clock, for the 15-minute answer deadline
    seq: int
    answer: CallbackAnswer | None = None


class Chat:
    """Transcript of one private chat between the bot and a user."""

    def __init__(self, chat_id: int, user_name: str) -> None:
        self.chat_id = chat_id
        self.user_name = user_name
        self._messages: list[Message] = []
        self._by_id: dict[int, Message] = {}
        self.presses: list[ButtonPress] = []
        # Every bot message and every edit, as (seq, message, plain text then): what waits look at.
        self.bot_events: list[tuple[int, Message, str]] = []
        self.reply_keyboard: list[list[str]] | None = None
        self.last_activity = 0.0  # time.monotonic() of the last message or press
        self._next_message_id = 1

    def new_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def add(self, message: Message) -> None:
        self._messages.append(message)
        self._by_id[message.message_id] = message
        if message.from_bot:
            self.bot_events.append((message.seq, message, message.plain_text()))

    def get(self, message_id: int) -> Message | None:
        return self._by_id.get(message_id)

    @property
    def messages(self) -> list[Message]:
        return list(self._messages)

    def bot_messages(self) -> list[Message]:
        return [message for message in self._messages if message.from_bot]

    @property
    def last_bot_message(self) -> Message | None:
        for message in reversed(self._messages):
            if message.from_bot:
                return message
        return None

    def render(self, last: int | None = None) -> str:
        """Human-readable transcript, oldest first; ``last`` limits it to the most recent entries."""
        entries: list[tuple[int, Message | ButtonPress]] = [(m.seq, m) for m in self._messages]
        entries += [(p.seq, p) for p in self.presses]
        entries.sort(key=lambda entry: entry[0])
        if last is not None:
            entries = entries[-last:]
        lines: list[str] = []
        for _, entry in entries:
            lines += self._render_press(entry) if isinstance(entry, ButtonPress) else self._render_message(entry)
        return "\n".join(lines) if lines else "(no messages)"

    def _render_message(self, message: Message) -> list[str]:
        who = "🤖 bot" if message.from_bot else f"👤 {self.user_name}"
        body = message.plain_text()
        if message.kind == "photo" and message.file:
            size = (f"{message.file.width}x{message.file.height} {message.file.image_format}"
                    if message.file.image_format else f"{len(message.file.data)} bytes, not an image")
            body = f"[photo {size}" + (f", caption: {body}]" if body else "]")
        elif message.kind == "document" and message.file:
            body = f"[document {message.document_name}, {len(message.file.data)} bytes" + (
                f", caption: {body}]" if body else "]")
        elif message.kind == "sticker":
            body = f"[sticker {message.sticker}]"
        if message.edited:
            body += " (edited)"
        if message.deleted:
            body += " (deleted)"
        first, *rest = body.split("\n")
        lines = [f"{who}: {first}"] + [f"    {line}" for line in rest]
        for row in message.buttons():
            lines.append("    " + " ".join(f"[ {button['text']} ]" for button in row))
        keyboard = (message.reply_markup or {}).get("keyboard")
        for row in keyboard or []:
            lines.append("    ⌨ " + " ".join(f"[ {_reply_button_text(button)} ]" for button in row))
        return lines

    def _render_press(self, press: ButtonPress) -> list[str]:
        label = press.button_text if press.button_text is not None else f"data={press.data!r}"
        line = f"👤 {self.user_name} pressed [ {label} ] on message {press.message_id}"
        answer = press.answer
        if answer is None:
            return [line, "    ↳ (not answered yet)"]
        if not answer.text:
            return [line, "    ↳ (answered)"]
        return [line, f"    ↳ {'⚠ alert' if answer.show_alert else '🔔'}: {answer.text}"]


def _reply_button_text(button: Any) -> str:
    return button["text"] if isinstance(button, dict) else str(button)

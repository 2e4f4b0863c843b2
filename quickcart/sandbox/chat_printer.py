"""Printing the Telegram stand-in's chats as a readable transcript, as they happen.

Used by the demo and by its interactive mode. Each call to
:meth:`ChatPrinter.flush` prints what happened in the watched chats since the
last call, in the order it happened (the stand-in numbers every change):
what the customer typed or tapped, what the bot sent, edited or deleted, the
pop-up answers to button taps. Photos and documents the bot sends are saved
to a directory and their paths printed.

The layout reads the same without colours; colours are added only when the
output is a terminal (and ``NO_COLOR`` is not set)::

    Budi ▸ /start
    Bot  ◂ 👋 Halo, Budi!
           Selamat datang di Toko Demo — toko produk digital otomatis.
           ⌨ [ 🛍 Produk ] [ 💰 Saldo ]
    Budi ▸ taps [ ➕ ]
    Bot  ✎ 📦 Netflix Premium 1 Bulan …
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from quickcart.sandbox.telegram_model import ButtonPress, Message
from quickcart.sandbox.telegram_server import TelegramStandIn

LEGEND = "▸ customer writes or taps   ◂ bot sends   ✎ bot edits its message   ✖ bot deletes it"


class Style:
    """ANSI colours, or nothing at all when the output is not a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: IO[str]) -> Style:
        is_tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(is_tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb")

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def customer(self, text: str) -> str:
        return self._wrap("1;36", text)

    def bot(self, text: str) -> str:
        return self._wrap("1;32", text)

    def header(self, text: str) -> str:
        return self._wrap("1;33", text)

    def button(self, text: str) -> str:
        return self._wrap("35", text)

    def error(self, text: str) -> str:
        return self._wrap("1;31", text)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class Output:
    """Where the transcript goes: the terminal (maybe coloured) and, plain, a file."""

    def __init__(self, stream: IO[str], copy_to: Path | None = None, style: Style | None = None):
        self.stream = stream
        self.style = style or Style.for_stream(stream)
        self._copy = open(copy_to, "w", encoding="utf-8") if copy_to else None  # noqa: SIM115 - closed by close()
        self.lock = threading.RLock()
        self.prompt_showing = False  # an input prompt is on the last line of the terminal
        self.is_tty = hasattr(stream, "isatty") and stream.isatty()

    def line(self, text: str = "") -> None:
        with self.lock:
            if self.prompt_showing:
                # Something arrived while a prompt waits: print above it, not after it.
                self.stream.write("\r\x1b[K" if self.is_tty else "\n")
                self.prompt_showing = False
            self.stream.write(text + "\n")
            self.stream.flush()
            if self._copy is not None:
                self._copy.write(strip_ansi(text) + "\n")
                self._copy.flush()

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None


@dataclass
class _Watched:
    chat_id: int
    person: str
    paused: bool = False  # collected only once resumed
    bot_events_seen: int = 0
    presses_seen: int = 0
    user_messages_seen: set[int] = field(default_factory=set)
    versions: dict[int, int] = field(default_factory=dict)  # message_id -> events printed
    unanswered: list[ButtonPress] = field(default_factory=list)
    alive: dict[int, Message] = field(default_factory=dict)  # printed bot messages not yet deleted


class ChatPrinter:
    """Prints new activity in the watched chats each time :meth:`flush` is called."""

    def __init__(self, telegram: TelegramStandIn, output: Output, bot_label: str = "Bot",
                 files_dir: Path | None = None):
        self.telegram = telegram
        self.out = output
        self.bot_label = bot_label
        self.files_dir = files_dir
        self.saved: dict[int, Path] = {}  # id(message) -> where its photo or document was saved
        self._chats: list[_Watched] = []
        self._primary: int | None = None
        self._lock = threading.RLock()
        self.last_inline: Message | None = None  # latest bot message in the primary chat with inline buttons
        self.reply_keyboard: list[list[str]] = []

    # --- set-up -------------------------------------------------------------------

    def watch(self, chat_id: int, person: str, primary: bool = False, paused: bool = False) -> None:
        """Print this chat; the primary chat's bot lines carry no "to <person>" tag.

        A paused chat is printed from where it was paused once :meth:`resume` is called.
        """
        with self._lock:
            self._chats.append(_Watched(chat_id, person, paused=paused))
            if primary or self._primary is None:
                self._primary = chat_id

    def resume(self, chat_id: int) -> None:
        with self._lock:
            for watched in self._chats:
                if watched.chat_id == chat_id:
                    watched.paused = False

    def skip(self, chat_id: int) -> None:
        """Mark everything so far in a chat as seen, without printing it."""
        with self._lock:
            for watched in self._chats:
                if watched.chat_id == chat_id:
                    self._collect(watched)

    @property
    def _width(self) -> int:
        return max([len(self.bot_label)] + [len(w.person) for w in self._chats])

    # --- printing -----------------------------------------------------------------

    def flush(self) -> int:
        """Print what happened since the last flush; return how many entries were printed."""
        with self._lock, self.out.lock:
            entries: list[tuple[int, int, _Watched, str, Any]] = []
            for watched in self._chats:
                if not watched.paused:
                    entries += self._collect(watched)
            entries.sort(key=lambda entry: (entry[0], entry[1]))
            printed = 0
            for _seq, _order, watched, kind, payload in entries:
                printed += 1
                if kind == "user":
                    self._print_user_message(watched, payload)
                elif kind == "press":
                    self._print_press(watched, payload)
                else:
                    message, text, version = payload
                    self._print_bot_message(watched, message, text, version)
            for watched in self._chats:
                if watched.paused:
                    continue
                printed += self._print_answers(watched)
                printed += self._print_deletions(watched)
            return printed

    def _collect(self, watched: _Watched) -> list[tuple[int, int, _Watched, str, Any]]:
        chat = self.telegram.chat(watched.chat_id)
        entries: list[tuple[int, int, _Watched, str, Any]] = []
        for message in chat.messages:
            if not message.from_bot and message.message_id not in watched.user_messages_seen:
                watched.user_messages_seen.add(message.message_id)
                entries.append((message.seq, 0, watched, "user", message))
        presses = chat.presses[watched.presses_seen:]
        watched.presses_seen += len(presses)
        for press in presses:
            entries.append((press.seq, 1, watched, "press", press))
            watched.unanswered.append(press)
        events = chat.bot_events[watched.bot_events_seen:]
        watched.bot_events_seen += len(events)
        for seq, message, text in events:
            version = watched.versions.get(message.message_id, 0)
            watched.versions[message.message_id] = version + 1
            watched.alive[message.message_id] = message
            entries.append((seq, 2, watched, "bot", (message, text, version)))
        return entries

    def _who(self, name: str) -> str:
        return name.ljust(self._width)

    def _indent(self) -> str:
        return " " * (self._width + 3)

    def _print_user_message(self, watched: _Watched, message: Message) -> None:
        style = self.out.style
        who = style.customer(self._who(watched.person))
        body = (message.text or "").split("\n")
        if message.kind == "document":
            body = [f"📄 sends a file {message.document_name}"] + body
        self.out.line(f"{who} ▸ {body[0]}")
        for line in body[1:]:
            self.out.line(f"{self._indent()}{line}")

    def _print_press(self, watched: _Watched, press: ButtonPress) -> None:
        style = self.out.style
        label = press.button_text if press.button_text is not None else press.data
        self.out.line(f"{style.customer(self._who(watched.person))} ▸ taps {style.button(f'[ {label} ]')}")
        self._print_answers(watched)

    def _print_answers(self, watched: _Watched) -> int:
        printed = 0
        for press in list(watched.unanswered):
            if press.answer is None:
                continue
            watched.unanswered.remove(press)
            if press.answer.text:
                kind = "pop-up" if press.answer.show_alert else "toast"
                self.out.line(f"{self.out.style.bot(self._who(self.bot_label))} ◂ 🔔 {kind}: "
                              f"{press.answer.text}")
                printed += 1
        return printed

    def _print_deletions(self, watched: _Watched) -> int:
        printed = 0
        for message_id, message in list(watched.alive.items()):
            if message.deleted:
                del watched.alive[message_id]
                first = (message.plain_text() or "").split("\n")[0][:60]
                what = {"photo": "the photo", "document": "the file", "sticker": "the sticker"}.get(
                    message.kind, "the message")
                self.out.line(f"{self.out.style.bot(self._who(self.bot_label))} ✖ deletes {what}"
                              + (f" “{first}”" if first else ""))
                printed += 1
        return printed

    def _print_bot_message(self, watched: _Watched, message: Message, text: str, version: int) -> None:
        style = self.out.style
        arrow = "✎" if version else "◂"
        who = style.bot(self._who(self.bot_label))
        tag = "" if watched.chat_id == self._primary else style.dim(f"(to {watched.person}) ")
        markup = self._markup_at(message, version)
        body = text.split("\n") if text else []
        head: list[str] = []
        if message.kind == "sticker":
            head = ["🏷 [sticker]"]
        elif message.kind == "photo" and version == 0:
            head = [self._describe_file(message, "🖼 photo")]
        elif message.kind == "document" and version == 0:
            head = [self._describe_file(message, "📄 file")]
        elif version:
            head = [style.dim("(edits its message)")] if message.kind != "text" else []
        lines = head + body or [""]
        self.out.line(f"{who} {arrow} {tag}{lines[0]}")
        for line in lines[1:]:
            self.out.line(f"{self._indent()}{line}" if line else "")
        inline_rows = (markup or {}).get("inline_keyboard") or []
        for row in inline_rows:
            self.out.line(self._indent() + "  ".join(style.button(f"[ {button_label(b)} ]") for b in row))
        keyboard = (markup or {}).get("keyboard") or []
        for row in keyboard:
            labels = [b["text"] if isinstance(b, dict) else str(b) for b in row]
            self.out.line(self._indent() + "⌨ " + "  ".join(style.button(f"[ {label} ]") for label in labels))
        if watched.chat_id == self._primary:
            if inline_rows:
                self.last_inline = message
            if keyboard:
                self.reply_keyboard = [[b["text"] if isinstance(b, dict) else str(b) for b in row]
                                       for row in keyboard]

    @staticmethod
    def _markup_at(message: Message, version: int) -> dict[str, Any] | None:
        # message.history holds every earlier (text, markup); version k of a
        # message is history[k], and the newest version is the message itself.
        history = list(message.history)
        return history[version][1] if version < len(history) else message.reply_markup

    def _describe_file(self, message: Message, what: str) -> str:
        stored = message.file
        if stored is None:
            return what
        size = (f"{stored.width}×{stored.height} {stored.image_format.upper()}" if stored.image_format
                else f"{len(stored.data)} bytes")
        name = f" {message.document_name}" if message.document_name else ""
        path = self._save(message)
        where = f" → saved to {display_path(path)}" if path else ""
        return f"{what}{name} ({size}){where}"

    def _save(self, message: Message) -> Path | None:
        if self.files_dir is None or message.file is None or not message.file.data:
            return None
        invoice = re.search(r"Invoice:\s*(\S+)", message.plain_text() or "")
        if message.kind == "photo":
            stem = f"qris-{invoice.group(1)}" if invoice else f"photo-{message.chat_id}-{message.message_id}"
            name = stem + "." + (message.file.image_format or "bin")
        else:
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", message.document_name or "file.bin")
            name = f"{message.chat_id}-{message.message_id}-{safe}"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / name
        path.write_bytes(message.file.data)
        self.saved[id(message)] = path
        return path


def button_label(button: dict[str, Any]) -> str:
    """An inline button's text; ↗ marks one that opens a link rather than talking to the bot."""
    return button["text"] + (" ↗" if "url" in button else "")


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is under it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

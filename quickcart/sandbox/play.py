"""``make play``: chat with your own shop in the terminal, as a customer (or as its admin).

The same stand-ins and seeded shop as the demo (:mod:`quickcart.sandbox.demo`),
but you type. Anything you type is sent to the bot as a Telegram message
(``/start``, ``/produk``, the menu labels, an amount); a number picks one of
the numbered choices printed under the latest message (its inline buttons,
then the menu keyboard); lines starting with ``:`` are for this tool::

    :pay         pay the newest unpaid QR (as if scanned and paid in a banking app)
    :admin       talk as the shop's admin, Sari (try /admin); :customer to switch back
    :say TEXT    send TEXT as it is, even if it is a number
    :log         the last lines of the shop's log
    :help        this help
    :quit        stop everything (Ctrl-D and Ctrl-C too)

``--catalogue CONFIG_OR_DB`` starts the shop on a *copy* of your own
database (or of the one your ``config.ini`` names), read through a read-only
connection, so you can try your real catalogue before going live without
touching it.
"""
from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quickcart.sandbox.chat_printer import button_label, display_path
from quickcart.sandbox.demo import (
    ADMIN_ID,
    ADMIN_NAME,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    DemoError,
    Stage,
    print_banner,
    stage,
)
from quickcart.sandbox.pakasir_server import TransactionStateError
from quickcart.sandbox.telegram_model import Message

REPLY_TIMEOUT = 8.0  # how long to wait for the bot's first answer to what you did
QUIET_SECONDS = 0.4  # then until it has been silent this long (it may send a few messages)

HELP = """\
   Type a message and press Enter: /start, /produk, /saldo, the menu labels, an amount …
   A number picks one of the numbered choices shown above the prompt.
   :pay  pay the newest unpaid QR       :admin / :customer  switch who you are
   :say TEXT  send TEXT as it is        :log  the shop's log      :help    :quit"""


class Session:
    """One interactive session on a running stage."""

    def __init__(self, st: Stage, stdin=None):
        self.st = st
        self.stdin = stdin or sys.stdin
        self.interactive_input = hasattr(self.stdin, "isatty") and self.stdin.isatty()
        telegram = st.telegram
        self.customer = telegram.user(CUSTOMER_ID, CUSTOMER_NAME, username="budi_s")
        self.admin = telegram.user(ADMIN_ID, ADMIN_NAME, username="sari_tokodemo")
        self.me = self.customer
        self.idle = threading.Event()  # set while waiting for you to type
        self.stopping = threading.Event()

    # --- what is on screen ------------------------------------------------------------

    def choices(self) -> list[tuple[str, Callable[[], None]]]:
        """The numbered choices: inline buttons of the newest message that has them, then the menu."""
        return [choice for group in self._choice_groups() for choice in group]

    def _choice_groups(self) -> list[list[tuple[str, Callable[[], None]]]]:
        buttons: list[tuple[str, Callable[[], None]]] = []
        chat = self.st.telegram.chat(self.me.id)
        for message in reversed(chat.bot_messages()):
            if message.deleted or not message.buttons():
                continue
            for row in message.buttons():
                for button in row:
                    buttons.append((f"[ {button_label(button)} ]", self._button_action(message, button)))
            break
        menu = [(label, lambda label=label: self.send(label, tap=True))
                for row in chat.reply_keyboard or [] for label in row]
        return [buttons, menu]

    def _button_action(self, message: Message, button: dict[str, Any]) -> Callable[[], None]:
        if "callback_data" in button:
            return lambda: self.press(message, button["text"])
        url = button.get("url", "")
        return lambda: self.st.out.line(f"   (this button opens a web page: {url})")

    def show_choices(self) -> None:
        """``1 [ ➖ ]  2 [ 2 ]  3 [ ➕ ] …`` then ``menu: 6 🛍 Produk …``, wrapped to the terminal."""
        out = self.st.out
        width = max(60, shutil.get_terminal_size((100, 24)).columns)
        number = 0
        for title, group in zip(("pick:", "menu:"), self._choice_groups(), strict=True):
            if not group:
                continue
            line, lines = f"   {title}", []
            for label, _ in group:
                number += 1
                cell = f"  {number} {label}"
                if len(line) + len(cell) > width and line.strip() != title:
                    lines.append(line)
                    line = " " * len(f"   {title}")
                line += cell
            lines.append(line)
            for text in lines:
                out.line(out.style.dim(text))

    def prompt(self) -> str:
        return f"{self.me.first_name}> "

    def show_prompt(self) -> None:
        out = self.st.out
        with out.lock:
            out.stream.write(out.style.bold(self.prompt()))
            out.stream.flush()
            out.prompt_showing = True

    # --- acting -------------------------------------------------------------------------

    def send(self, text: str, tap: bool = False) -> None:
        (self.me.tap_keyboard if tap else self.me.send_text)(text)
        self._settle()

    def press(self, message: Message, button_text: str) -> None:
        query_id = self.me.press(message, button_text)
        try:
            self.me.wait_for_answer(query_id, timeout=REPLY_TIMEOUT)
        except AssertionError:
            pass
        self._settle()

    def pay(self) -> None:
        pakasir = self.st.pakasir
        chat = self.st.telegram.chat(self.customer.id)
        for message in reversed(chat.bot_messages()):
            if message.kind != "photo" or message.deleted:
                continue
            invoice = next((line.split("Invoice:")[1].strip() for line in message.plain_text().splitlines()
                            if "Invoice:" in line), None)
            transaction = pakasir.transaction(invoice) if invoice else None
            if transaction is None or transaction.status != "pending":
                continue
            self.st.out.line(self.st.out.style.dim(
                f"   (paying {invoice}: Pakasir marks it paid and calls the shop's webhook)"))
            try:
                pakasir.complete(invoice)
            except TransactionStateError as exc:
                self.st.out.line(f"   {exc}")
                return
            self._settle(first=lambda m: "berhasil" in m.plain_text(), who=self.customer)
            return
        self.st.out.line("   No unpaid QR to pay: buy something and choose QRIS first.")

    def _settle(self, first: Callable[[Message], Any] | None = None, who=None) -> None:
        """Wait for the bot's answer, then until it goes quiet; print everything."""
        who = who or self.me
        try:
            who.wait_for_message(first, timeout=REPLY_TIMEOUT)
        except AssertionError:
            self.st.printer.flush()
            self.st.out.line(self.st.out.style.dim("   (no answer from the bot)"))
            return
        chat = self.st.telegram.chat(who.id)
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now_seen = len(chat.bot_events) + sum(1 for m in chat.messages if m.deleted)
            if now_seen != seen:
                seen, quiet_since = now_seen, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_SECONDS:
                break
            self.stopping.wait(0.05)
        self.st.printer.flush()

    def switch(self, to_admin: bool) -> None:
        self.me = self.admin if to_admin else self.customer
        printer = self.st.printer
        printer._primary = self.me.id
        who = f"{ADMIN_NAME}, the shop's admin (id {ADMIN_ID})" if to_admin else f"{CUSTOMER_NAME}, a customer"
        self.st.out.line(f"   You are now {who}." + ("  Try /admin." if to_admin else ""))

    def show_log(self) -> None:
        for line in self.st.shop.logs().splitlines()[-20:]:
            self.st.out.line("   " + line)

    # --- the loop -------------------------------------------------------------------------

    def read_line(self) -> str | None:
        out = self.st.out
        self.idle.set()
        try:
            if self.interactive_input:
                with out.lock:
                    out.prompt_showing = True
                prompt = self.prompt()
                if out.style.enabled:  # \001 \002 tell readline the colour codes take no room
                    prompt = f"\001\x1b[1m\002{prompt}\001\x1b[0m\002"
                try:
                    return input(prompt)
                except EOFError:
                    return None
            self.show_prompt()
            line = self.stdin.readline()
            if not line:
                return None
            line = line.rstrip("\n")
            with out.lock:  # echo piped input so the transcript reads like a session
                if out.prompt_showing:
                    out.stream.write(line + "\n")
                else:
                    out.stream.write(out.style.bold(self.prompt()) + line + "\n")
            return line
        finally:
            self.idle.clear()
            with out.lock:
                out.prompt_showing = False

    def watch_in_background(self) -> threading.Thread:
        """Print what arrives while you are typing (a delivery, an expiry, a notice)."""
        def loop() -> None:
            while not self.stopping.wait(0.1):
                if not self.idle.is_set():
                    continue
                with self.st.out.lock:
                    if self.idle.is_set() and self.st.printer.flush():
                        self.show_choices()
                        self.show_prompt()
        thread = threading.Thread(target=loop, name="play-printer", daemon=True)
        thread.start()
        return thread

    def handle(self, line: str) -> bool:
        """Act on one line; False to quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            command, _, rest = text[1:].partition(" ")
            command = command.lower()
            if command in ("q", "quit", "exit"):
                return False
            if command == "pay":
                self.pay()
            elif command == "admin":
                self.switch(True)
            elif command == "customer":
                self.switch(False)
            elif command == "say" and rest:
                self.send(rest)
            elif command == "log":
                self.show_log()
            else:
                self.st.out.line(HELP)
            return True
        if text.isdigit():
            listed = self.choices()
            number = int(text)
            if 1 <= number <= len(listed):
                listed[number - 1][1]()
                return True
        self.send(text)
        return True

    def run(self) -> None:
        out = self.st.out
        print_banner(self.st, "play: chat with the shop as a customer")
        out.line(HELP)
        out.line(out.style.dim(f"   The owner, {ADMIN_NAME} (id {ADMIN_ID}), is the shop's admin; "
                               "her notices are shown as “(to Sari)”."))
        self.st.printer.watch(self.customer.id, CUSTOMER_NAME, primary=True)
        self.st.printer.watch(self.admin.id, ADMIN_NAME)
        self.admin.send_text("/start")  # so that the bot may send her notices
        self.admin.wait_for_message(contains="Selamat datang", timeout=REPLY_TIMEOUT)
        self.st.printer.skip(self.admin.id)
        out.line("")
        self.send("/start")
        self.watch_in_background()
        try:
            while True:
                self.show_choices()
                line = self.read_line()
                if line is None or not self.handle(line):
                    break
        finally:
            self.stopping.set()
            self.idle.clear()
        out.line("")
        out.line(f"   Bye! This session's transcript: {display_path(self.st.output_dir / 'play-transcript.txt')}")


def run_interactive(output_dir: Path, catalogue_from: Path | None = None, stdin=None) -> int:
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    with stage(output_dir, sys.stdout, catalogue_from=catalogue_from,
               transcript_name="play-transcript.txt") as st:
        try:
            Session(st, stdin).run()
        except DemoError as exc:
            st.out.line(f"play: {exc}")
            return 1
    print("   Everything stopped.", flush=True)
    return 0

"""The application object every handler receives, and what handlers share: prompts, keyboards.

:class:`App` is built once by :mod:`quickcart.app` and passed by parameter:
no lookup of services by name, no globals. A handler is a plain function
``handler(app, message_or_press, ..., user)``; :mod:`quickcart.handlers.routes`
says which update goes to which.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from telebot import types

from quickcart.admin_cards import AdminDesk
from quickcart.broadcast import Broadcaster
from quickcart.config import Config
from quickcart.decisions import Decisions
from quickcart.delivery import Delivery
from quickcart.gateways.base import PaymentGateway
from quickcart.handlers.pending import AcceptedTerms, Confirmations, Expiring
from quickcart.i18n import Catalogue, Speaker, speaker_for
from quickcart.models import User
from quickcart.notices import AdminNotifier
from quickcart.payments import PaymentService
from quickcart.restock import RestockAlerts
from quickcart.telegram.sender import Sender
from quickcart.throttle import RateLimiter

PAYMENT_CHECKS_PER_MINUTE = 5
PROMPT_TTL_SECONDS = 600

# The main menu's rows, as catalogue keys of their labels.
MAIN_MENU = (("menu.products", "menu.balance"), ("menu.history", "menu.account"), ("menu.help", "menu.contact"))
# Telegram's command menu: each entry's name and description in every language are
# commands.<entry>.name and commands.<entry>.about (each name is routed in handlers.routes.COMMANDS).
COMMAND_MENU = ("start", "products", "balance", "history", "account", "help", "language")


class Prompts:
    """Who was asked to type something, and what (bounded, expiring): ``"topup_amount"``.

    ``about`` is what the question was about, when it was about something:
    the order a message to the admins is about (0 when not), which order an
    admin's reply is for, the fields a buyer typed so far, the checkout a
    promo code is for. A user's updates are handled one at a time, so a
    handler reads and replaces it without a race.
    """

    def __init__(self, max_users: int = 10_000):
        self._asked: OrderedDict[int, tuple[str, float, object]] = OrderedDict()
        self._max = max_users
        self._lock = threading.Lock()

    def ask(self, user_id: int, kind: str, about: object = 0) -> None:
        with self._lock:
            self._asked.pop(user_id, None)
            self._asked[user_id] = (kind, time.monotonic() + PROMPT_TTL_SECONDS, about)
            while len(self._asked) > self._max:
                self._asked.popitem(last=False)

    def _open(self, user_id: int) -> tuple[str, float, object] | None:
        with self._lock:
            found = self._asked.get(user_id)
            if found is None:
                return None
            if found[1] < time.monotonic():
                del self._asked[user_id]
                return None
            return found

    def waiting(self, user_id: int) -> str | None:
        """What the user was asked to type, if the question is still open."""
        found = self._open(user_id)
        return found[0] if found else None

    def subject(self, user_id: int, kind: str) -> object:
        """What the open question of that ``kind`` is about (None if another, or none, is open)."""
        found = self._open(user_id)
        return found[2] if found and found[0] == kind else None

    def done(self, user_id: int) -> None:
        with self._lock:
            self._asked.pop(user_id, None)


class Drafts:
    """What a buyer typed before paying (a manual product's fields), by checkout token (bounded, expiring).

    The pay buttons carry only the token (Telegram's 64 bytes); the values
    are stored with the order when it is made. Lost on a restart: the buyer
    is then asked to start again.
    """

    def __init__(self, max_drafts: int = 10_000):
        self._drafts: Expiring[tuple[str, ...]] = Expiring(PROMPT_TTL_SECONDS * 3, max_drafts)

    def keep(self, token: str, values: tuple[str, ...]) -> None:
        self._drafts.put((token,), values)

    def get(self, token: str) -> tuple[str, ...] | None:
        return self._drafts.get((token,))


@dataclass
class BotProfile:
    """What Telegram told us about the bot (``getMe`` at start-up): its username, for t.me links; None until known."""
    username: str | None = None


@dataclass(frozen=True)
class App:
    """The shop's services, for handlers."""
    config: Config
    sender: Sender
    gateway: PaymentGateway
    payments: PaymentService
    delivery: Delivery
    notifier: AdminNotifier
    broadcaster: Broadcaster
    texts: Catalogue
    desk: AdminDesk
    decisions: Decisions
    restock: RestockAlerts
    prompts: Prompts = field(default_factory=Prompts)
    drafts: Drafts = field(default_factory=Drafts)
    payment_checks: RateLimiter = field(default_factory=lambda: RateLimiter(PAYMENT_CHECKS_PER_MINUTE))
    confirmations: Confirmations = field(default_factory=Confirmations)  # admins' one-time confirm buttons
    accepted_terms: AcceptedTerms = field(default_factory=AcceptedTerms)  # checkouts that accepted a product's SNK
    bot: BotProfile = field(default_factory=BotProfile)

    def is_admin(self, user_id: int) -> bool:
        return self.config.is_admin(user_id)

    def say(self, user: User | None = None) -> Speaker:
        """The catalogue in the user's language (an admin's too); the shop's default for nobody in particular."""
        return speaker_for(user)

    def menu_keyboard(self, say: Speaker) -> types.ReplyKeyboardMarkup:
        markup = types.ReplyKeyboardMarkup(resize_keyboard=True, is_persistent=True)
        for row in MAIN_MENU:
            markup.row(*(types.KeyboardButton(say.plain(key)) for key in row))
        return markup

    def command_menu(self, say: Speaker) -> list[tuple[str, str]]:
        """Telegram's command menu in ``say``'s language: (command, what it does)."""
        return [(say.plain(f"commands.{entry}.name"), say.plain(f"commands.{entry}.about"))
                for entry in COMMAND_MENU]

    def menu_labels(self) -> dict[str, str]:
        """Every language's menu label → its key: an old keyboard keeps working after a switch."""
        return {self.texts.plain(language, key): key
                for language in self.texts.languages for row in MAIN_MENU for key in row}


def inline(rows: Iterable[Iterable[tuple[str, str]]]) -> types.InlineKeyboardMarkup:
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

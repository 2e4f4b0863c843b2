"""What admins read, rendered from the catalogue as Telegram shows it: tests name keys, not sentences."""
from __future__ import annotations

from quickcart import admin_views
from quickcart.admin_syntax import UsageError
from quickcart.i18n import speaker
from quickcart.sandbox.telegram_format import strip_markup

SAY = speaker()  # admins read the shop's default language


def shown(html: str) -> str:
    """Telegram HTML as the reader sees it: tags removed, entities unescaped."""
    return strip_markup(html, "HTML")


def says(key: str, /, **values: object) -> str:
    """The text of ``key`` as an admin reads it."""
    return shown(SAY(key, **values))


def syntax_of(command: str) -> str:
    """The "Format: ..." line of a command's usage answer."""
    return shown(SAY("admin.usage_syntax", syntax=admin_views.command_text(SAY, command, "syntax")))


def usage_of(command: str) -> str:
    """The part of every usage answer after its first line: the syntax and an example."""
    return shown(admin_views.usage(SAY, UsageError(command))).split("\n", 1)[1]


def refusal(command: str, reason: str, /, **values: object) -> str:
    """A whole usage answer: why the command was refused, its syntax and an example."""
    return shown(admin_views.usage(SAY, UsageError(command, reason, **values)))

"""What admins read, rendered from the catalogue as Telegram shows it: tests name keys, not sentences.

- :func:`says` renders a key with known values (``says("admin.user.missing", query="@x")``);
- :func:`pattern` matches a key's text whatever fills it, for a message whose
  figures are not known in advance, and reads them back
  (``pattern("admin.broadcast.progress").search(text)["done"]``).
"""
from __future__ import annotations

import re
from functools import cache

from quickcart import admin_views
from quickcart.gateways.pakasir import PakasirGateway
from quickcart.i18n import speaker
from quickcart.sandbox.telegram_format import strip_markup

SAY = speaker()  # admins read the shop's default language
GATEWAY = PakasirGateway.title  # the gateway the end-to-end shop talks to
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?::[a-z]+)?\}")
_SLOT = "\ue000"  # a private-use character: marks where a placeholder was, through the markup stripping


def shown(html: str) -> str:
    """Telegram HTML as the reader sees it: tags removed, entities unescaped."""
    return strip_markup(html, "HTML")


def says(key: str, /, **values: object) -> str:
    """The text of ``key`` as an admin reads it."""
    return shown(SAY(key, **values))


@cache
def pattern(key: str) -> re.Pattern:
    """The text of ``key`` as shown, whatever fills its placeholders: each a named group of one line."""
    template = SAY.texts.template(SAY.language, key)
    names = _PLACEHOLDER.findall(template)
    literals = shown(_PLACEHOLDER.sub(_SLOT, template)).split(_SLOT)
    regex, seen = re.escape(literals[0]), set()
    for name, literal in zip(names, literals[1:], strict=True):
        anything = "[^\n]*" if not literal else "[^\n]*?"  # a value at the very end runs to the line's end
        regex += f"(?P={name})" if name in seen else f"(?P<{name}>{anything})"
        regex += re.escape(literal)
        seen.add(name)
    return re.compile(regex)


def user_label(name: str, user_id: int) -> str:
    """How admin answers name a user (HTML, to fill a ``{user:html}`` placeholder)."""
    return SAY("admin.user.label", name=name, id=user_id)


def syntax_of(command: str) -> str:
    """The "Format: ..." line of a command's usage answer."""
    return shown(SAY("admin.usage_syntax", syntax=admin_views.command_text(SAY, command, "syntax")))


def usage_of(command: str) -> str:
    """The part of every usage answer after its first line: the syntax and an example."""
    return shown(admin_views.usage(SAY, command)).split("\n", 1)[1]


def refusal(command: str, reason: str, /, **values: object) -> str:
    """A whole usage answer: why the command was refused, its syntax and an example."""
    return shown(admin_views.usage(SAY, command, reason, values))


def reason(key: str, /, **values: object) -> str:
    """Why a command was refused, as the first line of its usage answer says it."""
    return shown(admin_views.reason(SAY, key, values))

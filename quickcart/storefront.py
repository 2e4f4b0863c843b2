"""The shop's own words, set by its admins from Telegram: welcome, help, shop name, support contact.

Each is stored in the ``setting`` table and read on every use, so a change
shows at once, without a restart. Without one, the catalogue's text (and
the config's ``[shop] name`` / ``support_contact``) is used. The welcome and
the help are words in a language: ``welcome`` and ``help`` are the shop's
own language's, ``welcome_en`` and ``help_en`` English readers'; a reader
whose language has no text of the admins' gets that language's default,
never another language's text. The name and the contact are for everyone.

``welcome`` and ``help`` are formatted text (:mod:`quickcart.richtext`,
checked when saved) and may hold placeholders, filled when shown: the
welcome ``{name}`` (the customer's first name) and ``{shop}``, the help
``{shop}`` and ``{minutes}`` (how long a QR is valid). The shop name and
the contact are plain text on one line.
"""
from __future__ import annotations

import html

from quickcart import audit, richtext, settings
from quickcart.db import immediate
from quickcart.i18n import DEFAULT_LANGUAGE
from quickcart.models import Setting
from quickcart.richtext import FormatError

FORMATTED = ("welcome", "help", "welcome_en", "help_en")
PLAIN = ("shopname", "contact")
NAMES = FORMATTED + PLAIN
PLACEHOLDERS = {"welcome": ("name", "shop"), "help": ("shop", "minutes"),
                "welcome_en": ("name", "shop"), "help_en": ("shop", "minutes")}
MAX_FORMATTED = 3500  # as shown; leaves room for the filled placeholders under Telegram's 4096
MAX_PLAIN = {"shopname": 64, "contact": 200}
_PREFIX = "storefront."


def custom(name: str) -> str | None:
    """The admins' text for ``name``, or None while the default is used."""
    row = Setting.get_or_none(Setting.key == _PREFIX + name)
    return row.value if row is not None else None


def in_language(name: str, language: str) -> str:
    """Which text ``name`` (``welcome``, ``help``) is for readers of ``language``: ``welcome``, ``welcome_en``."""
    return name if language == DEFAULT_LANGUAGE else f"{name}_{language}"


def language_of(name: str) -> str:
    """The language of readers a text is for (``welcome_en`` → ``en``); the shop's own for the others."""
    base, _, language = name.rpartition("_")
    return language if base in FORMATTED else DEFAULT_LANGUAGE


def for_reader(name: str, language: str) -> str | None:
    """The admins' ``name`` text for readers of ``language``, or None while that language's default is used."""
    found = in_language(name, language)
    return custom(found) if found in NAMES else None


def shop_name(default: str) -> str:
    return custom("shopname") or default


def contact(default: str) -> str:
    return custom("contact") or default


def clean(name: str, value: str) -> str:
    """``value`` as it would be stored for ``name``, or :class:`FormatError` saying why not."""
    if name in FORMATTED:
        return richtext.clean(value, MAX_FORMATTED)
    value = value.strip()
    if "\n" in value:
        raise FormatError("admin.format.one_line")
    if len(value) > MAX_PLAIN[name]:
        raise FormatError("admin.format.too_long", limit=MAX_PLAIN[name], length=len(value))
    return value


def save(admin_id: int, name: str, value: str) -> str:
    """Store an admin's text for ``name`` (audited); returns it as stored."""
    value = clean(name, value)
    with immediate():
        before = custom(name)
        settings.put(_PREFIX + name, value)
        audit.record("storefront.set", actor_id=admin_id, subject=f"setting:{_PREFIX}{name}",
                     before={"text": before}, after={"text": value})
    return value


def reset(admin_id: int, name: str) -> bool:
    """Back to the default (audited); returns whether there was a custom text."""
    with immediate():
        before = custom(name)
        Setting.delete().where(Setting.key == _PREFIX + name).execute()
        audit.record("storefront.reset", actor_id=admin_id, subject=f"setting:{_PREFIX}{name}",
                     before={"text": before}, after={"text": None})
    return before is not None


def fill(template: str, **values: object) -> str:
    """A custom formatted text with its placeholders filled, each value escaped (quotes too: a placeholder
    may sit in a link's address); other braces stay as typed."""
    for placeholder, value in values.items():
        template = template.replace("{" + placeholder + "}", html.escape(str(value), quote=True))
    return template

"""Every word the shop says, looked up by key and language in one catalogue.

Each language is one file, ``quickcart/locales/<language>.toml``: its texts
under dotted keys (``[shop]`` + ``welcome = "..."`` is ``shop.welcome``),
and a ``[format]`` table with that language's way of writing money,
numbers, dates and times. Adding a language is adding a file.

Templates are Telegram HTML with ``{placeholders}``. What fills a
placeholder is escaped, so a name like ``<b>Tom & Jerry</b>`` shows as
typed; a format spec says how to write it:

- ``{total:money}`` → ``Rp50.000``; ``{count:number}`` → ``1.234``;
- ``{moment:datetime}`` / ``{moment:date}`` / ``{moment:time}`` for a
  stored naive-UTC datetime, written in Asia/Jakarta time (``%b`` is the
  language's ``months``, ``%-d`` the day without a leading zero);
- ``{lines:html}`` for text that is already HTML (built from other keys).

A template may depend on a count: a table ``{one = "...", other = "..."}``
is chosen by the ``count`` value (Indonesian needs only ``other``).

:meth:`Catalogue.html` renders for message texts and captions;
:meth:`Catalogue.plain` for buttons and button-press answers, which
Telegram shows as typed (nothing is escaped, tags are not allowed).
"""
from __future__ import annotations

import html
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from quickcart.timeutil import to_jakarta

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "id"
ENGLISH = "en"
# Telegram language codes whose speakers read Indonesian best: Indonesian itself, Malay, Javanese
# and Sundanese. Anyone else gets English; no code at all, the shop's own language.
READS_INDONESIAN = frozenset({"id", "ms", "jv", "su"})
# Telegram's command menu by its language_code ("": everyone without a menu of their own) → ours.
TELEGRAM_MENUS = {"": ENGLISH, **{code: DEFAULT_LANGUAGE for code in sorted(READS_INDONESIAN)}}
FORMAT_TABLE = "format"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)(?::([a-z]+))?\}")
SPECS = frozenset({"", "money", "number", "datetime", "date", "time", "html"})


class MissingText(KeyError):
    """A key the catalogue of that language does not have."""


@dataclass(frozen=True)
class Conventions:
    """How a language writes numbers and moments (its file's ``[format]`` table)."""
    thousands: str
    money: str  # with {amount}: "Rp{amount}"
    datetime: str  # strftime patterns, applied to Jakarta time
    date: str
    time: str
    months: tuple[str, ...] = ()  # for %b: the language's month abbreviations

    def number(self, value: int) -> str:
        sign = "-" if value < 0 else ""
        return sign + f"{abs(value):,}".replace(",", self.thousands)

    def money_of(self, value: int) -> str:
        sign = "-" if value < 0 else ""
        return sign + self.money.format(amount=self.number(abs(value)))

    def moment(self, value: datetime, pattern: str) -> str:
        local = to_jakarta(value)
        if self.months:
            pattern = pattern.replace("%b", self.months[local.month - 1])
        # The day without a leading zero ("7 Nov"), which strftime spells differently on each platform.
        pattern = pattern.replace("%-d", str(local.day))
        return local.strftime(pattern)


def _flatten(table: Mapping, prefix: str = "") -> dict[str, str | dict[str, str]]:
    """Nested TOML tables → dotted keys; a table of only plural forms is one entry."""
    flat: dict[str, str | dict[str, str]] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, str):
            flat[key] = value
        elif isinstance(value, Mapping) and value and set(value) <= {"zero", "one", "other"}:
            flat[key] = dict(value)
        elif isinstance(value, Mapping):
            flat.update(_flatten(value, key + "."))
        else:
            raise ValueError(f"{key}: a text must be a string, got {type(value).__name__}")
    return flat


class _Formatter(string.Formatter):
    def __init__(self, conventions: Conventions, escape: bool):
        self._conventions = conventions
        self._escape = escape

    def format_field(self, value: object, spec: str) -> str:
        c = self._conventions
        if spec == "money":
            text = c.money_of(int(value))
        elif spec == "number":
            text = c.number(int(value))
        elif spec in ("datetime", "date", "time"):
            text = c.moment(value, getattr(c, spec))
        elif spec == "html":
            return str(value)  # already HTML, built from the catalogue
        else:
            text = format(value, spec)
        return html.escape(text, quote=False) if self._escape else text


class Catalogue:
    """All languages' texts; look one up with :meth:`html` or :meth:`plain`."""

    def __init__(self, languages: Mapping[str, Mapping]):
        self._texts: dict[str, dict[str, str | dict[str, str]]] = {}
        self._conventions: dict[str, Conventions] = {}
        for language, table in languages.items():
            table = dict(table)
            conventions = table.pop(FORMAT_TABLE, None)
            if conventions is None:
                raise ValueError(f"{language}: the [{FORMAT_TABLE}] table is missing")
            conventions = dict(conventions)
            conventions["months"] = tuple(conventions.get("months", ()))
            self._conventions[language] = Conventions(**conventions)
            self._texts[language] = _flatten(table)
            for key in self._texts[language]:
                unknown = set(self.placeholders(language, key).values()) - SPECS
                if unknown:
                    raise ValueError(f"{language}: {key}: unknown format {sorted(unknown)}")

    @classmethod
    def load(cls, directory: Path = LOCALES) -> Catalogue:
        """Every ``<language>.toml`` in ``directory``."""
        files = sorted(directory.glob("*.toml"))
        return cls({path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in files})

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._texts)

    def keys(self, language: str) -> set[str]:
        return set(self._texts[language])

    def has(self, language: str, key: str) -> bool:
        return key in self._texts.get(language, {})

    def template(self, language: str, key: str, count: int | None = None) -> str:
        try:
            entry = self._texts[language][key]
        except KeyError:
            raise MissingText(f"{language}: no text {key!r}") from None
        if isinstance(entry, dict):
            form = "one" if count == 1 and "one" in entry else ("zero" if count == 0 and "zero" in entry
                                                                else "other")
            return entry[form]
        return entry

    def placeholders(self, language: str, key: str) -> dict[str, str]:
        """``{name: format spec}`` of every form of the text."""
        entry = self._texts[language][key]
        forms = entry.values() if isinstance(entry, dict) else [entry]
        return {name: spec or "" for form in forms for name, spec in _PLACEHOLDER.findall(form)}

    def conventions(self, language: str) -> Conventions:
        return self._conventions[language]

    def html(self, language: str, key: str, /, **values: object) -> str:
        """The text as Telegram HTML: what fills the placeholders is escaped."""
        return self._render(language, key, values, escape=True)

    def plain(self, language: str, key: str, /, **values: object) -> str:
        """The text as shown without markup (buttons, button-press answers)."""
        return self._render(language, key, values, escape=False)

    def _render(self, language: str, key: str, values: Mapping[str, object], escape: bool) -> str:
        count = values.get("count")
        template = self.template(language, key, count if isinstance(count, int) else None)
        return _Formatter(self._conventions[language], escape).vformat(template, (), values)


@cache
def catalogue() -> Catalogue:
    """The shop's catalogue, read once."""
    return Catalogue.load()


@dataclass(frozen=True)
class Speaker:
    """The catalogue in one person's language: ``say("shop.welcome", name=...)``."""
    language: str
    texts: Catalogue

    def __call__(self, key: str, /, **values: object) -> str:
        return self.texts.html(self.language, key, **values)

    def plain(self, key: str, /, **values: object) -> str:
        return self.texts.plain(self.language, key, **values)

    def money(self, amount: int) -> str:
        return self.texts.conventions(self.language).money_of(amount)

    def number(self, value: int) -> str:
        return self.texts.conventions(self.language).number(value)

    def moment(self, value: datetime, kind: str = "datetime") -> str:
        conventions = self.texts.conventions(self.language)
        return conventions.moment(value, getattr(conventions, kind))


def language_for_telegram(language_code: str | None) -> str:
    """The language a new user gets from their Telegram app's ``language_code`` (``en-US``, ``id``, none)."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.strip().lower().replace("_", "-").split("-")[0]
    return DEFAULT_LANGUAGE if not primary or primary in READS_INDONESIAN else ENGLISH


def speaker(language: str | None = None) -> Speaker:
    """The catalogue in ``language``; the shop's default for none, or one it has no file for."""
    texts = catalogue()
    return Speaker(language if language in texts.languages else DEFAULT_LANGUAGE, texts)


def speaker_for(user) -> Speaker:
    """The catalogue in ``user``'s language (the shop's default for nobody in particular)."""
    return speaker(getattr(user, "language", None))

"""The shop's words as a test sees them, looked up in the catalogue by key.

Tests name a text by its key (``quickcart/locales/<language>.toml``) instead
of copying the sentence, so rewording a text changes no test:

- :func:`button` — a button label or a button-press answer, as typed;
- :func:`says` — a message as the user reads it (``Message.plain_text()``);
- :func:`fragment` — the start of a message, up to the first value the
  test does not give: for waiting on a text whose other values it does
  not know (``contains=fragment("delivery.late_credited")``).

These read the shop's default language (Indonesian), which test users get;
``Words("en")`` has the same three for another language (``EN.button(...)``).
"""
from __future__ import annotations

from datetime import datetime

from quickcart.i18n import DEFAULT_LANGUAGE, ENGLISH, catalogue
from quickcart.sandbox.telegram_format import strip_markup

LANGUAGE = DEFAULT_LANGUAGE

_UNKNOWN_TEXT = "\ue000"  # a private-use character: never in a text of ours
_UNKNOWN_NUMBER = 987_654_321_012
_UNKNOWN_MOMENT = datetime(1911, 11, 11, 11, 11)


class Words:
    """The catalogue in one language, as a test sees it."""

    def __init__(self, language: str):
        self.language = language

    def button(self, key: str, /, **values: object) -> str:
        """A button's label or a button-press answer, as Telegram shows it (nothing escaped)."""
        return catalogue().plain(self.language, key, **values)

    def says(self, key: str, /, **values: object) -> str:
        """A message text as the user reads it: the HTML rendered, tags dropped, entities unescaped."""
        return strip_markup(catalogue().html(self.language, key, **values), "HTML")

    def fragment(self, key: str, /, **values: object) -> str:
        """What :meth:`says` shows before the first placeholder that ``values`` leaves out."""
        texts = catalogue()
        stand_ins, marks = dict(values), []
        for name, spec in texts.placeholders(self.language, key).items():
            if name in values:
                continue
            stand_in, mark = self._stand_in(spec)
            stand_ins[name] = stand_in
            marks.append(mark)
        shown = self.says(key, **stand_ins)
        cut = min((shown.find(mark) for mark in marks if mark in shown), default=len(shown))
        words = shown[:cut]
        assert words.strip(), f"{key}: no fixed words before its first unknown value; give more values"
        return words

    def _stand_in(self, spec: str) -> tuple[object, str]:
        """A value for a placeholder the test does not know, and how it reads once rendered."""
        conventions = catalogue().conventions(self.language)
        if spec == "money":
            return _UNKNOWN_NUMBER, conventions.money_of(_UNKNOWN_NUMBER)
        if spec == "number":
            return _UNKNOWN_NUMBER, conventions.number(_UNKNOWN_NUMBER)
        if spec in ("datetime", "date", "time"):
            return _UNKNOWN_MOMENT, conventions.moment(_UNKNOWN_MOMENT, getattr(conventions, spec))
        return _UNKNOWN_TEXT, _UNKNOWN_TEXT


ID = Words(LANGUAGE)
EN = Words(ENGLISH)

button = ID.button
says = ID.says
fragment = ID.fragment

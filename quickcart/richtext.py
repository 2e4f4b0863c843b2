"""The formatting sellers may use in descriptions, terms and storefront texts: a strict subset of Telegram HTML.

Allowed: ``<b>`` ``<strong>`` (bold), ``<i>`` ``<em>`` (italic), ``<u>``
``<ins>`` (underline), ``<s>`` ``<strike>`` ``<del>`` (strikethrough),
``<code>`` and ``<a href="https://...">`` (links: http, https or tg), and
the entities Telegram knows: ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` and
numeric ones (``&#128512;``). A bare ``&`` or ``>`` is written for the
seller as ``&amp;``/``&gt;``; anything else Telegram would refuse, or that
this subset leaves out, is a :class:`FormatError` naming the problem, when
the text is saved (:func:`clean`) — never when a customer is sent it.

Stricter than Telegram on purpose: no attributes but ``href``, nothing
inside ``<code>``, no ``<code>`` or link inside a link (Telegram cannot show
those and would drop or refuse them).

Lengths are counted as Telegram counts message limits, in UTF-16 code
units of the text as shown (tags removed, entities decoded):
:func:`visible_length`. :func:`cut` shortens a text to fit, tags kept
balanced.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# tag → the tag Telegram treats it as (for the nesting rules)
ALLOWED_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u",
                "s": "s", "strike": "s", "del": "s", "code": "code", "a": "a"}
LINK_SCHEMES = ("http", "https", "tg")

_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITY = re.compile(r"&[A-Za-z][A-Za-z0-9]*;")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_OPEN_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)((?:\s+[^\s=>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(r"\s+([^\s=>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ANY_OPEN_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^>]*)?>")
_TEXT_RUN = re.compile(r"[^<&>]+")


class FormatError(ValueError):
    """A text that is not in the allowed formatting: ``key`` (in the catalogue) says why, ``values`` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class _Piece:
    kind: str  # "text" (raw HTML without tags: entities kept), "open", "close"
    raw: str
    shown: str = ""  # the text it shows ("text" only)
    tag: str = ""  # the tag's name ("open"/"close")


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _snippet(text: str, at: int) -> str:
    return text[at:at + 20].split("\n", 1)[0]


def _entity(text: str, at: int, strict: bool) -> tuple[str, str] | None:
    """``(raw, shown)`` of the entity at ``at``; None for a bare ``&``; FormatError for one Telegram refuses."""
    match = _ENTITY.match(text, at)
    if match is None:
        if strict and _NAMED_ENTITY.match(text, at):
            raise FormatError("admin.format.unknown_entity", entity=_NAMED_ENTITY.match(text, at).group())
        return None
    named, decimal, hexadecimal = match.groups()
    if named:
        return match.group(), _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise FormatError("admin.format.unknown_entity", entity=match.group())
    return match.group(), chr(code)


def _pieces(text: str, strict: bool) -> list[_Piece]:
    """The text split into runs of text, entities and tags.

    ``strict``: a seller's text, checked against the allowed subset (bare
    ``&`` and ``>`` become entities). Not strict: HTML the shop built itself,
    read only to measure or cut it.
    """
    pieces: list[_Piece] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "&":
            found = _entity(text, at, strict)
            raw, shown = found or ("&amp;", "&")
            pieces.append(_Piece("text", raw, shown))
            at += len(found[0]) if found else 1
        elif char == ">":
            pieces.append(_Piece("text", "&gt;", ">"))
            at += 1
        elif char == "<":
            piece, at = _tag(text, at, strict)
            pieces.append(piece)
        else:
            run = _TEXT_RUN.match(text, at).group()
            pieces.append(_Piece("text", run, run))
            at += len(run)
    return pieces


def _tag(text: str, at: int, strict: bool) -> tuple[_Piece, int]:
    closing = _CLOSE_TAG.match(text, at)
    if closing is not None:
        return _Piece("close", closing.group(), tag=closing.group(1).lower()), closing.end()
    loose = _ANY_OPEN_TAG.match(text, at)
    if loose is None:
        raise FormatError("admin.format.bare_less_than", typed=_snippet(text, at))
    name = loose.group(1).lower()
    if not strict:
        return _Piece("open", loose.group(), tag=name), loose.end()
    opening = _OPEN_TAG.match(text, at)
    _check_tag(name, opening.group(2) if opening else None)
    return _Piece("open", opening.group(), tag=name), opening.end()


def _check_tag(name: str, attributes: str | None) -> None:
    """``attributes``: None when they are not written ``name="value"``."""
    if name not in ALLOWED_TAGS:
        raise FormatError("admin.format.unknown_tag", tag=name, allowed=", ".join(ALLOWED_TAGS))
    if attributes is None:
        raise FormatError("admin.format.attribute", tag=name)
    found = {match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
             for match in _ATTRIBUTE.finditer(attributes)}
    if name != "a":
        if found:
            raise FormatError("admin.format.attribute", tag=name)
        return
    if set(found) != {"href"}:
        raise FormatError("admin.format.link_needs_href")
    href = "".join(piece.shown for piece in _pieces(found["href"], strict=True) if piece.kind == "text")
    parts = urlsplit(href.strip())
    if parts.scheme.lower() not in LINK_SCHEMES or (parts.scheme.lower() != "tg" and not parts.netloc):
        raise FormatError("admin.format.bad_link", href=href[:60])


def _balanced(pieces: list[_Piece]) -> None:
    """Every tag closed, in order; nothing inside ``<code>``; no link or code inside a link."""
    open_tags: list[str] = []
    for piece in pieces:
        if piece.kind == "open":
            inside = {ALLOWED_TAGS[name] for name in open_tags}
            kind = ALLOWED_TAGS[piece.tag]
            if "code" in inside or ("a" in inside and kind in ("a", "code")):
                raise FormatError("admin.format.not_inside", tag=piece.tag, outer=open_tags[-1])
            open_tags.append(piece.tag)
        elif piece.kind == "close":
            if not open_tags:
                raise FormatError("admin.format.close_without_open", tag=piece.tag)
            if open_tags[-1] != piece.tag:
                raise FormatError("admin.format.wrong_close", expected=open_tags[-1], tag=piece.tag)
            open_tags.pop()
    if open_tags:
        raise FormatError("admin.format.not_closed", tag=open_tags[-1])


def clean(text: str, limit: int) -> str:
    """A seller's formatted text as it is stored: checked, bare ``&``/``>`` escaped, trimmed.

    Raises :class:`FormatError` for anything outside the allowed subset, and
    for a text longer than ``limit`` (as shown).
    """
    pieces = _pieces(text.strip(), strict=True)
    _balanced(pieces)
    shown = units("".join(piece.shown for piece in pieces))
    if shown > limit:
        raise FormatError("admin.format.too_long", limit=limit, length=shown)
    return "".join(piece.raw for piece in pieces)


def escape(text: str) -> str:
    """Plain text as a formatted text that shows it as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def visible(html: str) -> str:
    """What a reader sees of Telegram HTML: tags removed, entities decoded."""
    return "".join(piece.shown for piece in _pieces(html, strict=False))


def visible_length(html: str) -> int:
    return units(visible(html))


def cut(html: str, limit: int, mark: str) -> str:
    """``html`` shortened to at most ``limit`` units as shown, ending in ``mark`` (plain text) when cut;
    tags stay balanced."""
    pieces = _pieces(html, strict=False)
    if units("".join(piece.shown for piece in pieces)) <= limit:
        return html
    budget = limit - units(mark)
    kept: list[_Piece] = []
    for piece in pieces:
        if piece.kind == "text" and units(piece.shown) > budget:
            fitting = _fitting(piece.shown, budget) if piece.raw == piece.shown else ""  # an entity is whole
            if fitting:
                kept.append(_Piece("text", fitting))
            break
        budget -= units(piece.shown)
        kept.append(piece)
    while kept and kept[-1].kind == "open":  # a tag left empty by the cut
        kept.pop()
    open_tags: list[str] = []
    for piece in kept:
        if piece.kind == "open":
            open_tags.append(piece.tag)
        elif piece.kind == "close":
            open_tags.pop()
    return ("".join(piece.raw for piece in kept) + escape(mark)
            + "".join(f"</{tag}>" for tag in reversed(open_tags)))


def _fitting(text: str, budget: int) -> str:
    fitted = []
    for char in text:
        budget -= units(char)
        if budget < 0:
            break
        fitted.append(char)
    return "".join(fitted)

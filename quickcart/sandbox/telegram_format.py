"""Telegram's rules for message text, keyboards and images, as pure functions.

Used by the Telegram stand-in (:mod:`quickcart.sandbox.telegram_server`) to accept or
refuse what the bot sends exactly where Telegram would, with Telegram's error texts.
The HTML parser follows TDLib's ``parse_html`` (same tags, attribute rules and error
messages) with one deliberate difference: a bare ``&`` or ``>`` is refused. The Bot API
documentation requires escaping them and TDLib merely tolerates them, so a bot that
forgets ``html.escape`` on user data ("A & B", "a<b") fails here on the first try
instead of on the first customer whose name contains a ``<``.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass(frozen=True)
class FormattedText:
    """Text as the recipient sees it, plus the entities that style it."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def parse_formatted(raw: str, parse_mode: str | None) -> FormattedText:
    """Apply ``parse_mode`` like Telegram; raise 400 "can't parse entities" on bad markup."""
    mode = (parse_mode or "").lower()
    if not mode:
        return FormattedText(raw)
    parsers = {"html": _parse_html, "markdown": _parse_markdown, "markdownv2": _parse_markdown_v2}
    if mode not in parsers:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    try:
        return parsers[mode](raw)
    except _MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def strip_markup(raw: str, parse_mode: str | None) -> str:
    """Readable text of something that already passed :func:`parse_formatted`."""
    try:
        return parse_formatted(raw, parse_mode).text
    except ApiError:
        return raw


class _MarkupError(Exception):
    pass


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


# --- HTML ---------------------------------------------------------------------------------

_HTML_TAG_ENTITY = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_PLAIN_RUN = re.compile(r"[^<>&]+")
_HTML_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_char_ref(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_REFS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if 0xD800 <= code <= 0xDFFF:
        raise _MarkupError("Text contains invalid Unicode characters after decoding HTML entities, "
                           "check for unmatched surrogate code units")
    return chr(code) if 0 < code <= 0x10FFFF else None


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    argument: str = ""  # href of <a>, language of <code>
    expandable: bool = False
    # (end, language) of a <code class="language-x"> that opened with this <pre>
    inner_code: tuple[int, str] | None = None


class _HtmlParser:
    """TDLib's HTML dialect: one pass, UTF-16 offsets, errors carry UTF-8 byte offsets."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> FormattedText:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "<":
                if src.startswith("</", self.pos):
                    self._end_tag()
                else:
                    self._start_tag()
            elif char == "&":
                match = _HTML_CHAR_REF.match(src, self.pos)
                decoded = _decode_char_ref(match) if match else None
                if match is None or decoded is None:
                    raise _MarkupError(f"Character '&' at byte offset {_byte_offset(src, self.pos)} "
                                       "must be escaped as &amp;")
                self._emit(decoded)
                self.pos = match.end()
            elif char == ">":
                raise _MarkupError(f"Character '>' at byte offset {_byte_offset(src, self.pos)} "
                                   "must be escaped as &gt;")
            else:
                run = _HTML_PLAIN_RUN.match(src, self.pos)
                assert run is not None
                self._emit(run.group())
                self.pos = run.end()
        if self.stack:
            raise _MarkupError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.out), self.entities)

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _start_tag(self) -> None:
        src, begin = self.src, self.pos
        at = _byte_offset(src, begin)
        i = begin + 1
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        if i == len(src):
            raise _MarkupError(f"Unclosed start tag at byte offset {at}")
        name = src[begin + 1:i].lower()
        if name not in _HTML_TAG_ENTITY:
            raise _MarkupError(f'Unsupported start tag "{name}" at byte offset {at}')
        tag = _OpenTag(name, self.offset)
        span_class = ""
        while True:
            while i < len(src) and src[i].isspace():
                i += 1
            if i == len(src):
                raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {at}')
            if src[i] == ">":
                break
            attr_begin = i
            while i < len(src) and not src[i].isspace() and src[i] not in "=>":
                i += 1
            attr = src[attr_begin:i].lower()
            if not attr:
                raise _MarkupError(f'Empty attribute name in the tag "{name}" at byte offset {at}')
            while i < len(src) and src[i].isspace():
                i += 1
            if i == len(src) or src[i] != "=":
                if name == "blockquote" and attr == "expandable":
                    tag.expandable = True
                continue
            i += 1
            while i < len(src) and src[i].isspace():
                i += 1
            if i == len(src):
                raise _MarkupError(f'Unclosed start tag "{name}" at byte offset {at}')
            value, i = self._attribute_value(i)
            if i == len(src):
                raise _MarkupError(f"Unclosed start tag at byte offset {at}")
            if name == "a" and attr == "href":
                tag.argument = value
            elif name == "code" and attr == "class" and value.startswith("language-"):
                tag.argument = value[len("language-"):]
            elif name == "span" and attr == "class":
                span_class = value
            elif name == "blockquote" and attr == "expandable":
                tag.expandable = True
        if name == "span" and span_class != "tg-spoiler":
            raise _MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.pos = i + 1
        self.stack.append(tag)

    def _attribute_value(self, i: int) -> tuple[str, int]:
        """Read a quoted string or an unquoted name token starting at ``i``."""
        src = self.src
        quote = src[i]
        if quote not in "'\"":
            begin = i
            while i < len(src) and (src[i].isalnum() or src[i] in ".-"):
                i += 1
            if i == len(src) or (not src[i].isspace() and src[i] != ">"):
                raise _MarkupError(f"Unexpected end of name token at byte offset {_byte_offset(src, begin)}")
            return src[begin:i].lower(), i
        i += 1
        value: list[str] = []
        while i < len(src) and src[i] != quote:
            match = _HTML_CHAR_REF.match(src, i) if src[i] == "&" else None
            decoded = _decode_char_ref(match) if match else None
            if match and decoded is not None:
                value.append(decoded)
                i = match.end()
            else:
                value.append(src[i])
                i += 1
        return "".join(value), min(i + 1, len(src))

    def _end_tag(self) -> None:
        src, begin = self.src, self.pos
        at = _byte_offset(src, begin)
        if not self.stack:
            raise _MarkupError(f"Unexpected end tag at byte offset {at}")
        i = begin + 2
        while i < len(src) and not src[i].isspace() and src[i] != ">":
            i += 1
        end_name = src[begin + 2:i].lower()
        while i < len(src) and src[i].isspace():
            i += 1
        if i == len(src) or src[i] != ">":
            raise _MarkupError(f"Unclosed end tag at byte offset {at}")
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise _MarkupError(f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                               f'found "</{end_name}>"')
        self.pos = i + 1
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.offset - tag.start
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and tag.argument and parent and parent.name == "pre" and parent.start == tag.start:
            # <pre><code class="language-x">…</code></pre> is one pre entity with a language;
            # decided when the <pre> closes, because only a <code> spanning all of it merges.
            parent.inner_code = (self.offset, tag.argument)
            return
        if length == 0:
            return
        entity: dict[str, Any] = {"type": _HTML_TAG_ENTITY[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            if not tag.argument:
                return
            entity["url"] = tag.argument
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "pre" and tag.inner_code:
            code_end, language = tag.inner_code
            if code_end == self.offset:
                entity["language"] = language
            elif code_end > tag.start:
                self.entities.append({"type": "code", "offset": tag.start, "length": code_end - tag.start})
        self.entities.append(entity)


def _parse_html(src: str) -> FormattedText:
    return _HtmlParser(src).parse()


# --- Markdown (legacy) --------------------------------------------------------------------

_MD_ENTITY = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}


def _parse_markdown(src: str) -> FormattedText:
    """Legacy ``Markdown``: *bold* _italic_ `code` ```pre``` [text](url); no nesting."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    i = 0
    while i < len(src):
        char = src[i]
        if char == "\\" and i + 1 < len(src) and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            offset += 1
            i += 2
            continue
        if char not in _MD_ENTITY:
            out.append(char)
            offset += utf16_len(char)
            i += 1
            continue
        begin = i
        is_pre = src.startswith("```", i)
        language = ""
        i += 3 if is_pre else 1
        if is_pre:
            line_end = i
            while line_end < len(src) and src[line_end] not in " \n":
                line_end += 1
            if line_end < len(src) and src[line_end] == "\n":
                language, i = src[i:line_end], line_end + 1
        closing = "```" if is_pre else ("]" if char == "[" else char)
        end = src.find(closing, i)
        if end < 0:
            raise _MarkupError(f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}")
        content = src[i:end]
        i = end + len(closing)
        entity: dict[str, Any] = {"type": "pre" if is_pre else _MD_ENTITY[char], "offset": offset,
                                  "length": utf16_len(content)}
        if language:
            entity["language"] = language
        if char == "[":
            url = ""
            if i < len(src) and src[i] == "(":
                url_end = src.find(")", i)
                if url_end >= 0:
                    url, i = src[i + 1:url_end], url_end + 1
            if url:
                entity["url"] = url
            else:
                entity = {}
        out.append(content)
        offset += utf16_len(content)
        if entity and entity["length"]:
            entities.append(entity)
    return FormattedText("".join(out), entities)


# --- MarkdownV2 ---------------------------------------------------------------------------

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
               "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl"}


def _mdv2_closes(kind: str, src: str, i: int) -> bool:
    char, following = src[i], src[i + 1:i + 2]
    return {
        "bold": char == "*",
        "italic": char == "_" and following != "_",
        "underline": src.startswith("__", i),
        "strikethrough": char == "~",
        "spoiler": src.startswith("||", i),
        "code": char == "`",
        "pre": src.startswith("```", i),
        "text_link": char == "]",
    }[kind]


def _mdv2_url(src: str, begin: int) -> tuple[str, int]:
    """Read a link target up to its unescaped ``)``; returns it unescaped and the index after."""
    url: list[str] = []
    i = begin
    while i < len(src) and src[i] != ")":
        if src[i] == "\\" and i + 1 < len(src):
            i += 1
        url.append(src[i])
        i += 1
    if i == len(src):
        raise _MarkupError(f"Can't find end of a URL at byte offset {_byte_offset(src, begin)}")
    return "".join(url), i + 1


def _parse_markdown_v2(src: str) -> FormattedText:
    """``MarkdownV2`` after TDLib: nesting allowed, every reserved character must be escaped.

    Blockquotes are recognised line by line (``>`` at a line start); the expandable
    ``**>…||`` form and custom emoji are not.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int, str]] = []  # kind, utf16 start, byte offset, pre language
    quote_start: int | None = None
    offset = 0
    i = 0

    def emit(text: str) -> None:
        nonlocal offset
        out.append(text)
        offset += utf16_len(text)

    while i < len(src):
        char = src[i]
        at_line_start = i == 0 or src[i - 1] == "\n"
        if at_line_start and quote_start is not None and char != ">":
            entities.append({"type": "blockquote", "offset": quote_start, "length": offset - quote_start})
            quote_start = None
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        if char == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126:
            emit(src[i + 1])
            i += 2
            continue
        if at_line_start and char == ">" and not in_code:
            if quote_start is None:
                quote_start = offset
            i += 1
            continue
        if char not in _MDV2_RESERVED or (in_code and char != "`"):
            emit(char)
            i += 1
            continue
        if stack and _mdv2_closes(stack[-1][0], src, i):
            kind, start, _, language = stack.pop()
            i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
            entity: dict[str, Any] = {"type": kind, "offset": start, "length": offset - start}
            if kind == "pre" and language:
                entity["language"] = language
            if kind == "text_link":
                url = ""
                if src.startswith("(", i):
                    url, i = _mdv2_url(src, i + 1)
                if not url:
                    continue
                entity["url"] = url
            if entity["length"]:
                entities.append(entity)
            continue
        begin_byte = _byte_offset(src, i)
        language = ""
        if src.startswith("__", i):
            kind, i = "underline", i + 2
        elif src.startswith("||", i):
            kind, i = "spoiler", i + 2
        elif src.startswith("```", i):
            kind, i = "pre", i + 3
            line_end = src.find("\n", i)
            if line_end >= 0 and " " not in src[i:line_end]:
                language, i = src[i:line_end], line_end + 1
        elif char in "*_~`[":
            kind, i = {"*": "bold", "_": "italic", "~": "strikethrough", "`": "code", "[": "text_link"}[char], i + 1
        else:
            raise _MarkupError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        stack.append((kind, offset, begin_byte, language))
    if stack:
        kind, _, begin_byte, _ = stack[-1]
        raise _MarkupError(f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {begin_byte}")
    if quote_start is not None:
        entities.append({"type": "blockquote", "offset": quote_start, "length": offset - quote_start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText("".join(out), entities)


# --- commands -----------------------------------------------------------------------------

_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram attaches to a message starting with ``/command``."""
    match = _LEADING_COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


# --- reply markup -------------------------------------------------------------------------

_INLINE_ACTIONS = ("url", "callback_data", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
                   "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text")
_MARKUP_UNPARSABLE = "can't parse reply keyboard markup JSON object"


def parse_reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate ``reply_markup`` (a JSON string or an already-decoded object) like Telegram.

    Returns the decoded markup, or None when the parameter is absent.
    """
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError:
            raise bad_request(_MARKUP_UNPARSABLE) from None
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_UNPARSABLE)
    if "inline_keyboard" in markup:
        _check_rows(markup["inline_keyboard"], "inline_keyboard", "InlineKeyboardMarkup")
        for row in markup["inline_keyboard"]:
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup:
        _check_rows(markup["keyboard"], "keyboard", "ReplyKeyboardMarkup")
        for row in markup["keyboard"]:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str):
                    raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request(_MARKUP_UNPARSABLE)


def _check_rows(rows: Any, name: str, type_name: str) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'can\'t parse reply keyboard markup JSON object: Field "{name}" of the '
                          f"{type_name} should be an Array of Arrays")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton should be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # Telegram silently keeps one of them (url wins); refusing catches the bot bug.
        raise bad_request(f"can't parse inline keyboard button: a button must have exactly one of "
                          f"{', '.join(actions)}")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme.lower() not in ("http", "https", "tg"):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol")
        if parts.scheme.lower() != "tg" and not parts.hostname:
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


# --- images -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers; C4, C8 and CC share the range but are not frames.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_info(data: bytes) -> ImageInfo | None:
    """Format and pixel size of a PNG or JPEG, read from its header; None for anything else."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("png", width, height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            (segment_length,) = struct.unpack(">H", data[i + 2:i + 4])
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return ImageInfo("jpeg", width, height)
            i += 2 + segment_length
    return None

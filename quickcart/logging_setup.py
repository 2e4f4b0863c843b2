"""Logging: one line per event, a correlation id on each, no secrets.

The bot token sits in every Telegram URL, Pakasir's api_key in the query
string of ``transactiondetail``, and pyTelegramBotAPI puts message texts
(delivered goods included) in the query string of every send. So every
formatted line, exception text included, passes through :func:`redact`,
which removes the configured secrets, anything shaped like a bot token, and
every URL query string. The HTTP libraries' own loggers are held at WARNING
so that their debug lines (full URLs, response bodies) are never produced.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import secrets
import sys
from collections.abc import Iterable, Iterator

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_TOKEN_RE = re.compile(r"(?<![0-9])[0-9]{3,20}:[A-Za-z0-9_-]{20,}")
_QUERY_RE = re.compile(r"(\?)[^\s'\"<>)]+")
_KEY_VALUE_RE = re.compile(r"(api_key|token|secret|password)(['\"]?\s*[=:]\s*['\"]?)[^\s'\"&,}]+",
                           re.IGNORECASE)

# Loggers of libraries that would print URLs, parameters or bodies at DEBUG/INFO.
_QUIET_LOGGERS = ("urllib3", "requests", "TeleBot", "telebot", "waitress", "werkzeug",
                  "apscheduler.executors", "apscheduler.scheduler", "PIL")

_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Make ``value`` disappear from every log line from now on."""
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    for value in sorted(_secrets, key=len, reverse=True):
        text = text.replace(value, "***")
    text = _TOKEN_RE.sub("<bot-token>", text)
    text = _QUERY_RE.sub(r"\1<redacted>", text)
    return _KEY_VALUE_RE.sub(r"\1\2***", text)


def mask(value: str | None, keep: int = 2) -> str:
    """Mask personal data for logs: ``Budiman`` → ``Bu*****``."""
    if not value:
        return "-"
    return value[:keep] + "*" * max(len(value) - keep, 1)


def new_correlation_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def correlation(cid: str) -> Iterator[str]:
    """Tag every log line in this block (and this thread) with ``cid``."""
    token = _correlation_id.set(cid)
    try:
        yield cid
    finally:
        _correlation_id.reset(token)


def current_correlation_id() -> str:
    return _correlation_id.get()


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.cid = _correlation_id.get()
        return redact(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        from datetime import datetime, timezone
        return datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


FORMAT = "%(asctime)s %(levelname)s %(name)s [%(cid)s] %(message)s"


def setup_logging(level: str = "INFO", file: str = "", secret_values: Iterable[str] = ()) -> None:
    """Log to stdout (journald picks it up) and optionally to a file."""
    for value in secret_values:
        register_secret(value)
    formatter = RedactingFormatter(FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if file:
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        quiet.setLevel(logging.WARNING)
        # pyTelegramBotAPI attaches its own stderr handler at import; route
        # its lines through ours so they are redacted like everything else.
        for handler in list(quiet.handlers):
            quiet.removeHandler(handler)
        quiet.propagate = True

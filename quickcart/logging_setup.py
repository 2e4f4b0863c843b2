"""Logging: one line per event, a correlation id on each, no secrets.

The bot token sits in every Telegram URL, Pakasir's api_key in the query
string of ``transactiondetail``, and pyTelegramBotAPI puts message texts
(delivered goods included) in the query string of every send. So every
formatted line, exception text included, passes through :func:`redact`,
which removes the configured secrets, anything shaped like a bot token, and
every URL query string. The HTTP libraries' own loggers are held at WARNING
so that their debug lines (full URLs, response bodies) are never produced;
waitress's at ERROR, since its warnings come one per event from strangers on
the web port (queue depth, connection limit), which
:mod:`quickcart.web_server` counts instead.

Under systemd the log is stdout, kept by journald (``journalctl -u
quickcart``). ``logging.file`` adds an optional file, private to the service
user (0600) and rotated at ``LOG_FILE_BYTES`` with ``LOG_FILE_BACKUPS`` old
files kept, so a flood cannot fill the disk.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import logging.handlers
import os
import re
import secrets
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_TOKEN_RE = re.compile(r"(?<![0-9])[0-9]{3,20}:[A-Za-z0-9_-]{20,}")
_QUERY_RE = re.compile(r"(\?)[^\s'\"<>)]+")
_KEY_VALUE_RE = re.compile(r"(api_key|token|secret|password)(['\"]?\s*[=:]\s*['\"]?)[^\s'\"&,}]+",
                           re.IGNORECASE)

# Loggers of libraries that would print URLs, parameters or bodies at DEBUG/INFO.
_QUIET_LOGGERS = {"urllib3": logging.WARNING, "requests": logging.WARNING, "TeleBot": logging.WARNING,
                  "telebot": logging.WARNING, "waitress": logging.ERROR, "werkzeug": logging.WARNING,
                  "apscheduler.executors": logging.WARNING, "apscheduler.scheduler": logging.WARNING,
                  "PIL": logging.WARNING}

LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5

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


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that is created, and re-created at each rotation, as 0600.

    The log names users and orders; whatever the umask of whoever started
    the shop, nobody but the service user reads it.
    """

    def _open(self) -> TextIO:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def file_handler(path: str) -> logging.Handler:
    return PrivateRotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                      encoding="utf-8")


def setup_logging(level: str = "INFO", file: str = "", secret_values: Iterable[str] = ()) -> None:
    """Log to stdout (journald picks it up) and optionally to a file."""
    for value in secret_values:
        register_secret(value)
    formatter = RedactingFormatter(FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if file:
        handlers.append(file_handler(file))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if isinstance(handler, logging.FileHandler):
            handler.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    for name, quiet_level in _QUIET_LOGGERS.items():
        quiet = logging.getLogger(name)
        quiet.setLevel(quiet_level)
        # pyTelegramBotAPI attaches its own stderr handler at import; route
        # its lines through ours so they are redacted like everything else.
        for handler in list(quiet.handlers):
            quiet.removeHandler(handler)
        quiet.propagate = True

"""The HTTP layer under pyTelegramBotAPI: every Bot API call passes here.

pyTelegramBotAPI lets us replace its request function
(``apihelper.CUSTOM_REQUEST_SENDER``); we do, so that every call made by any
part of QuickCart is paced and retried in one place:

- messages (``send*``, copy, forward) are paced by :class:`Pacer` to
  Telegram's global and per-chat limits;
- a 429 is fed to the pacer, which pauses the whole bot for ``retry_after``
  and slows down (see ``pacing``); the call is retried after the pause.
  Calls that are not paced (edits, button answers) wait the pause out too,
  so no call goes inside a window Telegram has announced;
- 5xx answers and dropped or refused connections are retried with
  exponential backoff and jitter. Both almost always mean the request was
  not acted on (a stale keep-alive connection is the common case), so the
  retry sends the message once; in the rare case where it was, the customer
  sees a message twice, which we prefer to not at all. A read timeout is
  different (the request reached Telegram and may have been acted on) and is
  retried only for methods that are safe to repeat;
- ``getUpdates`` is passed straight through: the poller owns its own
  retry policy, and a long poll must not wait behind message pacing.

pyTelegramBotAPI itself retries neither 429 nor 5xx. Bot API parameters go
in the query string even on POST, so URLs here are never logged.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from telebot import apihelper

from quickcart.telegram.pacing import Pacer

log = logging.getLogger(__name__)

PACED_METHODS = frozenset(m.lower() for m in (
    "sendMessage", "sendPhoto", "sendDocument", "sendSticker", "sendAnimation", "sendVideo",
    "sendAudio", "sendVoice", "sendMediaGroup", "copyMessage", "forwardMessage"))
# Safe to repeat even when the first attempt may have been acted on.
IDEMPOTENT_METHODS = frozenset(m.lower() for m in (
    "getMe", "getFile", "getChat", "editMessageText", "editMessageCaption",
    "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery", "setMyCommands",
    "deleteMyCommands"))

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30


@dataclass
class TransportHealth:
    """What /health reports about Telegram, and the poller's liveness."""
    last_success: float = 0.0  # monotonic
    last_failure: float = 0.0
    last_failure_reason: str = ""
    consecutive_failures: int = 0
    calls: int = 0
    retries: int = 0
    throttled_429: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, ok: bool, reason: str = "") -> None:
        with self.lock:
            now = time.monotonic()
            if ok:
                self.last_success = now
                self.consecutive_failures = 0
            else:
                self.last_failure = now
                self.last_failure_reason = reason
                self.consecutive_failures += 1

    @property
    def reachable(self) -> bool:
        with self.lock:
            return self.consecutive_failures < 3 or self.last_success > self.last_failure


def _method_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def _chat_id(params: dict[str, Any] | None) -> int | None:
    if not params or "chat_id" not in params:
        return None
    try:
        return int(params["chat_id"])
    except (TypeError, ValueError):
        return None


def _retry_after(response: requests.Response) -> float:
    try:
        return float(response.json()["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return 1.0


def _rewind(files: dict[str, Any] | None) -> None:
    for value in (files or {}).values():
        handle = value[1] if isinstance(value, tuple) and len(value) > 1 else value
        if hasattr(handle, "seek"):
            handle.seek(0)


class TelegramTransport:
    """Installed as pyTelegramBotAPI's request sender; see the module doc."""

    def __init__(self, api_url: str, pacer: Pacer | None = None, max_attempts: int = 5,
                 max_429_waits: int = 10, base_backoff: float = 0.3, max_backoff: float = 8.0,
                 pool_size: int = 32):
        self.api_url = api_url.rstrip("/")
        self.pacer = pacer or Pacer()
        self.health = TransportHealth()
        self._max_attempts = max_attempts
        self._max_429_waits = max_429_waits
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # Long polls get their own connection so a send never queues behind one.
        self._poll_session = requests.Session()

    def install(self) -> None:
        apihelper.API_URL = self.api_url + "/bot{0}/{1}"
        apihelper.FILE_URL = self.api_url + "/file/bot{0}/{1}"
        apihelper.CONNECT_TIMEOUT = CONNECT_TIMEOUT
        apihelper.READ_TIMEOUT = READ_TIMEOUT
        apihelper.RETRY_ON_ERROR = False
        apihelper.session = self._session
        apihelper.CUSTOM_REQUEST_SENDER = self.request

    def close(self) -> None:
        if self.request == apihelper.CUSTOM_REQUEST_SENDER:
            apihelper.CUSTOM_REQUEST_SENDER = None
        self._session.close()
        self._poll_session.close()

    def request(self, method: str, url: str, params: dict[str, Any] | None = None,
                files: dict[str, Any] | None = None, timeout: Any = None,
                proxies: Any = None) -> requests.Response:
        api_method = _method_name(url).lower()
        if api_method == "getupdates":
            return self._poll_session.request(method, url, params=params, files=files,
                                              timeout=timeout, proxies=proxies)
        chat_id = _chat_id(params)
        paced = api_method in PACED_METHODS
        repeatable = api_method in IDEMPOTENT_METHODS
        attempt = 0
        waits_429 = 0
        while True:
            attempt += 1
            _rewind(files)  # an upload sent again is sent whole
            try:
                if paced:
                    with self.pacer.sending(chat_id) as sent_at:
                        response = self._send(method, url, params, files, timeout, proxies)
                else:
                    self.pacer.wait_out_pause()
                    sent_at = self.pacer.now()
                    response = self._send(method, url, params, files, timeout, proxies)
            except requests.exceptions.ReadTimeout:
                self.health.record(False, "read timeout")
                if not repeatable or attempt >= self._max_attempts:
                    raise
                self._backoff(api_method, attempt, "read timeout")
                continue
            except (requests.exceptions.ConnectionError, requests.exceptions.ConnectTimeout) as exc:
                self.health.record(False, "connection failed")
                if attempt >= self._max_attempts:
                    raise
                self._backoff(api_method, attempt, exc.__class__.__name__)
                continue
            with self.health.lock:
                self.health.calls += 1
            if response.status_code == 429:
                self.health.record(True)
                retry_after = _retry_after(response)
                self.pacer.throttled(retry_after, sent_at)
                with self.health.lock:
                    self.health.throttled_429 += 1
                waits_429 += 1
                log.warning("telegram 429 on %s; pausing sends %.1fs, then %.1f messages/s",
                            api_method, retry_after, self.pacer.rate())
                if waits_429 > self._max_429_waits:
                    return response
                attempt -= 1  # a 429 is a delay, not a failure of the call
                continue
            if response.status_code >= 500:
                self.health.record(False, f"HTTP {response.status_code}")
                if attempt >= self._max_attempts:
                    return response
                self._backoff(api_method, attempt, f"HTTP {response.status_code}")
                continue
            self.health.record(True)
            return response

    def _send(self, method: str, url: str, params: dict[str, Any] | None, files: dict[str, Any] | None,
              timeout: Any, proxies: Any) -> requests.Response:
        return self._session.request(method, url, params=params, files=files,
                                     timeout=timeout or (CONNECT_TIMEOUT, READ_TIMEOUT), proxies=proxies)

    def _backoff(self, api_method: str, attempt: int, reason: str) -> None:
        delay = min(self._max_backoff, self._base_backoff * 2 ** (attempt - 1))
        delay = random.uniform(delay / 2, delay)
        with self.health.lock:
            self.health.retries += 1
        log.warning("telegram %s failed (%s); retry %d in %.2fs", api_method, reason, attempt, delay)
        time.sleep(delay)

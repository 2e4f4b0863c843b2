"""``quickcart.py check-config``: is this configuration ready to go live?

One line per check, ``ok`` or ``FAIL`` with the reason; exit status 0 when
all pass, 1 otherwise. Nothing is written anywhere.
"""
from __future__ import annotations

import os
from pathlib import Path

import requests
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException

from quickcart.config import Config
from quickcart.pakasir import PakasirClient, PakasirRejected, PakasirUnavailable, TransactionNotFound
from quickcart.telegram.transport import TelegramTransport


def _line(ok: bool, what: str, detail: str) -> bool:
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
    return ok


def check_telegram(config: Config) -> bool:
    transport = TelegramTransport(config.telegram.api_url, max_attempts=1)
    transport.install()
    try:
        me = TeleBot(config.telegram.token, threaded=False).get_me()
    except ApiTelegramException as exc:
        return _line(False, "telegram", f"{exc.error_code} {exc.description}")
    except requests.exceptions.RequestException as exc:
        return _line(False, "telegram", f"cannot reach {config.telegram.api_url} ({exc.__class__.__name__})")
    finally:
        transport.close()
    return _line(True, "telegram", f"token accepted, bot is @{me.username}")


def check_pakasir(config: Config) -> bool:
    client = PakasirClient(config.pakasir, attempts=1)
    if not client.probe():
        return _line(False, "pakasir", f"cannot reach {config.pakasir.base_url}")
    try:
        client.detail("QUICKCART-CHECK", 1000)
    except TransactionNotFound:
        return _line(True, "pakasir", f"reachable; project {config.pakasir.project!r} and api_key accepted")
    except PakasirRejected as exc:
        return _line(False, "pakasir", f"project or api_key refused ({exc})")
    except PakasirUnavailable as exc:
        return _line(False, "pakasir", f"transactiondetail failed ({exc})")
    return _line(True, "pakasir", "reachable")


def check_database(config: Config) -> bool:
    path = Path(config.database.path)
    directory = path.parent
    if not directory.exists():
        return _line(os.access(directory.parent, os.W_OK), "database",
                     f"{directory} will be created" if os.access(directory.parent, os.W_OK)
                     else f"{directory} does not exist and cannot be created")
    writable = os.access(directory, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    return _line(writable, "database", f"{path} is writable" if writable else f"{path} is not writable")


def check_config(config: Config) -> int:
    _line(True, "config", f"{config.source} is valid ({len(config.telegram.admin_ids)} admin id(s))")
    results = [check_database(config), check_telegram(config), check_pakasir(config)]
    if not config.telegram.admin_ids:
        print("warn admins: telegram.admin_ids is empty; nobody will get sale notices or run /admin")
    if not config.web.admin_token:
        print("info web: web.admin_token is empty; GET /admin/stats is off")
    return 0 if all(results) else 1

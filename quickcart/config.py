"""Configuration: ``config.ini``, overridden by ``.env`` and the environment.

Every key can be overridden by an environment variable named
``QUICKCART_<SECTION>_<KEY>`` (for example ``QUICKCART_TELEGRAM_TOKEN``),
which may also come from a ``.env`` file next to the config file. Real
environment variables win over ``.env``, which wins over ``config.ini``.

Validation happens once, at start-up, and reports every problem at once:
:class:`ConfigError` carries one line per problem, each naming its key, so
that ``quickcart.py`` can print them and exit with status 2 instead of a
traceback (and the owner fixes them all in one go, not one per start).
Secrets are kept out of ``repr`` so that a config object never leaks them
into a log line.
"""
from __future__ import annotations

import configparser
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from quickcart.stockcrypt import parse_key
from quickcart.validation import http_url, non_empty

ENV_PREFIX = "QUICKCART_"
DEFAULT_STOCK_KEY_FILE = "quickcart.key"  # next to the database

T = TypeVar("T")


class ConfigError(Exception):
    """Missing or invalid settings: ``problems``, one line each naming its key (the message joins them)."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(repr=False)
    api_url: str
    admin_ids: frozenset[int]
    welcome_sticker: str


@dataclass(frozen=True)
class PaymentConfig:
    """The payment gateway in use and the settings every gateway shares.

    They are read from the gateway's own section (``[pakasir]``), together
    with the keys that gateway declares (``settings``: project, api_key, ...).
    """
    gateway: str  # a name in quickcart.gateways.GATEWAYS
    webhook_secret: str = field(repr=False)
    fee_percent_bp: int
    fee_flat: int
    qr_ttl_minutes: int
    poll_interval_seconds: int
    timeout_seconds: float
    settings: Mapping[str, object] = field(repr=False)  # the gateway's own keys, validated by it
    secrets: tuple[str, ...] = field(repr=False, default=())  # values to keep out of every log line


@dataclass(frozen=True)
class WebConfig:
    host: str
    port: int
    admin_token: str = field(repr=False)


@dataclass(frozen=True)
class DatabaseConfig:
    path: Path
    stock_key_file: Path
    stock_key: str = field(repr=False)


@dataclass(frozen=True)
class ShopConfig:
    name: str
    max_quantity: int
    low_stock_threshold: int
    topup_min: int
    topup_max: int
    support_contact: str
    max_pending_orders: int
    manual_sla_minutes: int
    # Referrals: a referrer earns this percent of each paid purchase subtotal of a customer they brought
    # (0: no referral program), for that customer's first referral_days days and referral_orders paid
    # purchases after joining, whichever ends first (0: no limit of that kind).
    referral_percent: int = 0
    referral_days: int = 0
    referral_orders: int = 0

    @property
    def referrals_on(self) -> bool:
        return self.referral_percent > 0


@dataclass(frozen=True)
class LoggingConfig:
    level: str
    file: str


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig
    payment: PaymentConfig
    web: WebConfig
    database: DatabaseConfig
    shop: ShopConfig
    logging: LoggingConfig
    source: Path

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.telegram.admin_ids


# Every key the code reads, with its default (None = required). The test
# that compares config.example.ini with the code reads this table.
DEFAULTS: dict[str, dict[str, str | None]] = {
    "telegram": {
        "token": None,
        "api_url": "https://api.telegram.org",
        "admin_ids": "",
        "welcome_sticker": "CAACAgIAAxkBAAIDbWkLZHuqPRCqCqmL9flozT9YJdWOAAIZUAAC4KOCB7lIn3OKexieNgQ",
    },
    "payment": {
        "gateway": "pakasir",
    },
    "web": {
        "host": "127.0.0.1",
        "port": "8080",
        "admin_token": "",
    },
    "database": {
        "path": "data/quickcart.db",
        "stock_key_file": "",
        "stock_key": "",
    },
    "shop": {
        "name": "QuickCart",
        "max_quantity": "10",
        "low_stock_threshold": "5",
        "topup_min": "10000",
        "topup_max": "5000000",
        "support_contact": "",
        "max_pending_orders": "2",
        "manual_sla_minutes": "30",
        "referral_percent": "0",
        "referral_days": "30",
        "referral_orders": "0",
    },
    "logging": {
        "level": "INFO",
        "file": "",
    },
}

# Keys every gateway's section has, besides its own (``SETTINGS`` in its module).
SHARED_GATEWAY_KEYS: dict[str, str] = {
    "webhook_secret": "",
    "fee_percent_bp": "70",
    "fee_flat": "310",
    "qr_ttl_minutes": "10",
    "poll_interval_seconds": "20",
    "timeout_seconds": "10",
}


def _gateway_sections() -> dict[str, dict[str, str | None]]:
    """One section per registered gateway: its own keys, then the shared ones."""
    from quickcart.gateways import GATEWAYS, gateway_module

    return {name: {**{key: spec.default for key, spec in gateway_module(name).SETTINGS.items()},
                   **SHARED_GATEWAY_KEYS} for name in GATEWAYS}


DEFAULTS.update(_gateway_sections())

_TOKEN_RE = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{5,100}$")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _Reader:
    """Looks a key up in the environment, then ``.env``, then the ini file; collects what is wrong."""

    def __init__(self, parser: configparser.ConfigParser, env: Mapping[str, str],
                 dotenv: Mapping[str, str | None]):
        self._parser = parser
        self._env = env
        self._dotenv = dotenv
        self.problems: list[str] = []

    def raw(self, section: str, key: str) -> str:
        env_name = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
        if env_name in self._env:
            return self._env[env_name].strip()
        dotenv_value = self._dotenv.get(env_name)
        if dotenv_value is not None:
            return dotenv_value.strip()
        if self._parser.has_option(section, key):
            return self._parser.get(section, key).strip()
        default = DEFAULTS[section][key]
        if default is None:
            raise ConfigError(f"{section}.{key}: missing (set it in the config file or {env_name})")
        return default

    def get(self, section: str, key: str, convert: Callable[[str], T]) -> T | None:
        """The converted value; None (and the problem noted) when it is missing or invalid."""
        try:
            return convert(self.raw(section, key))
        except ConfigError as exc:
            self.problems.append(str(exc))
        except ValueError as exc:
            self.problems.append(f"{section}.{key}: {exc}")
        return None

    def problem(self, line: str) -> None:
        self.problems.append(line)


def _int_between(low: int, high: int, unit: str = "") -> Callable[[str], int]:
    """A whole number in [low, high]; ``unit`` says what it counts, in a refusal ("of minutes")."""
    what = f"a whole number {unit}".rstrip()

    def convert(value: str) -> int:
        if not re.fullmatch(r"-?[0-9]+", value):
            raise ValueError(f"must be {what}, got {value!r}")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"must be {what} between {low} and {high}, got {number}")
        return number
    return convert


BASIS_POINTS = "of basis points (1/100 of a percent: 70 = 0.7%, 100 = 1%)"


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number of seconds, got {value!r}") from None
    if not 0 < number <= 120:
        raise ValueError(f"must be between 0 and 120 seconds, got {value}")
    return number


def _token(value: str) -> str:
    if not value:
        raise ValueError("missing (the bot token from @BotFather)")
    if not _TOKEN_RE.fullmatch(value):
        raise ValueError("does not look like a bot token (expected digits:letters from @BotFather)")
    return value


def _admin_ids(value: str) -> frozenset[int]:
    ids = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"[0-9]{1,20}", part):
            raise ValueError(f"must be a comma-separated list of numeric Telegram ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _stock_key(value: str) -> str:
    if value:
        parse_key(value)  # KeyFormatError is a ValueError; its message holds no key material
    return value


def _level(value: str) -> str:
    if value.upper() not in _LEVELS:
        raise ValueError(f"must be one of {', '.join(_LEVELS)}, got {value!r}")
    return value.upper()


def _one_of(names: Mapping[str, object]) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in names:
            raise ValueError(f"must be one of {', '.join(names)}, got {value!r}")
        return value
    return convert


def _payment_config(read: _Reader) -> PaymentConfig | None:
    from quickcart.gateways import GATEWAYS, gateway_module

    name = read.get("payment", "gateway", _one_of(GATEWAYS))
    if name is None:
        return None
    specs = gateway_module(name).SETTINGS
    settings = {key: read.get(name, key, spec.convert) for key, spec in specs.items()}
    return PaymentConfig(
        gateway=name,
        webhook_secret=read.get(name, "webhook_secret", str),
        fee_percent_bp=read.get(name, "fee_percent_bp", _int_between(0, 1000, BASIS_POINTS)),
        fee_flat=read.get(name, "fee_flat", _int_between(0, 100_000, "of rupiah")),
        qr_ttl_minutes=read.get(name, "qr_ttl_minutes", _int_between(1, 1440, "of minutes")),
        poll_interval_seconds=read.get(name, "poll_interval_seconds", _int_between(1, 3600, "of seconds")),
        timeout_seconds=read.get(name, "timeout_seconds", _positive_float),
        settings=settings,
        secrets=tuple(str(settings[key]) for key, spec in specs.items() if spec.secret and settings[key] is not None),
    )


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read, merge and validate the configuration; raise :class:`ConfigError`."""
    path = Path(path)
    env = os.environ if env is None else env
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found (copy config.example.ini to {path} and fill it in)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    except configparser.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise ConfigError(f"config file {path}: not a valid ini file ({first_line})") from None

    dotenv_path = path.parent / ".env"
    dotenv = dotenv_values(dotenv_path) if dotenv_path.is_file() else {}
    read = _Reader(parser, env, dotenv)
    for section in parser.sections():
        if section not in DEFAULTS:
            read.problem(f"[{section}]: unknown section in {path}")
            continue
        for key in parser.options(section):
            if key not in DEFAULTS[section]:
                read.problem(f"{section}.{key}: unknown key in {path}")

    def resolve(raw_path: str) -> Path:
        candidate = Path(raw_path).expanduser()
        return candidate if candidate.is_absolute() else (path.parent / candidate).resolve()

    telegram = TelegramConfig(
        token=read.get("telegram", "token", _token),
        api_url=read.get("telegram", "api_url", http_url),
        admin_ids=read.get("telegram", "admin_ids", _admin_ids),
        welcome_sticker=read.get("telegram", "welcome_sticker", str),
    )
    payment = _payment_config(read)
    web = WebConfig(
        host=read.get("web", "host", non_empty),
        port=read.get("web", "port", _int_between(1, 65535)),
        admin_token=read.get("web", "admin_token", str),
    )
    if web.admin_token and len(web.admin_token) < 16:
        read.problem("web.admin_token: must be at least 16 characters (or empty to turn /admin/stats off)")
    database_path = read.get("database", "path", non_empty)
    database_path = resolve(database_path) if database_path else None
    key_file = read.get("database", "stock_key_file", str)
    database = DatabaseConfig(
        path=database_path,
        stock_key_file=resolve(key_file) if key_file else (
            database_path.with_name(DEFAULT_STOCK_KEY_FILE) if database_path else None),
        stock_key=read.get("database", "stock_key", _stock_key),
    )
    shop = ShopConfig(
        name=read.get("shop", "name", non_empty),
        max_quantity=read.get("shop", "max_quantity", _int_between(1, 100)),
        low_stock_threshold=read.get("shop", "low_stock_threshold", _int_between(0, 1_000_000)),
        topup_min=read.get("shop", "topup_min", _int_between(1_000, 100_000_000, "of rupiah")),
        topup_max=read.get("shop", "topup_max", _int_between(1_000, 100_000_000, "of rupiah")),
        support_contact=read.get("shop", "support_contact", str),
        max_pending_orders=read.get("shop", "max_pending_orders", _int_between(1, 20)),
        manual_sla_minutes=read.get("shop", "manual_sla_minutes", _int_between(1, 10_080)),
        referral_percent=read.get("shop", "referral_percent", _int_between(0, 100, "of percent")),
        referral_days=read.get("shop", "referral_days", _int_between(0, 3650, "of days")),
        referral_orders=read.get("shop", "referral_orders", _int_between(0, 1000, "of orders")),
    )
    if shop.topup_min is not None and shop.topup_max is not None and shop.topup_min > shop.topup_max:
        read.problem(f"shop.topup_min: must not exceed shop.topup_max ({shop.topup_max})")
    logging_config = LoggingConfig(
        level=read.get("logging", "level", _level),
        file=read.get("logging", "file", str),
    )
    if read.problems:
        raise ConfigError(*read.problems)
    return Config(telegram=telegram, payment=payment, web=web, database=database,
                  shop=shop, logging=logging_config, source=path)

"""Small readers for configuration values, shared by the config and the gateways' own settings.

Each takes the raw text and returns the value, or raises ``ValueError``
whose message completes "<section>.<key>: ...".
"""
from __future__ import annotations

import re


def non_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")

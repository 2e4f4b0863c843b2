"""Button data: a small, versioned, strictly parsed format.

``v1:prod:12:2`` is "show product 12 with quantity 2". Every field has a
type and a bound; :func:`parse` returns ``None`` for anything that is not
exactly one of the shapes below (old versions, garbage, oversize numbers),
and the handler answers "this button is no longer valid". Parsing proves
only the shape: handlers still check that the order belongs to the presser,
that the product exists and is active, and that the quantity is allowed.
Encoded data always fits Telegram's 64-byte limit.
"""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64

_FIELD_PATTERNS = {
    "int": r"[0-9]{1,9}",
    "key": r"[0-9a-f]{8}",
    "method": r"[qb]",
    "nonce": r"[A-Za-z0-9]{8}",
    "amount": r"[0-9]{1,12}",
    "language": r"[a-z]{2,3}",
    "screen": r"[al]",
}

# action -> field types, in order
ACTIONS: dict[str, tuple[str, ...]] = {
    "home": (),
    "cats": ("int",),                           # category list page
    "cat": ("key", "int"),                      # category key, page
    "prod": ("int", "int"),                     # product id, quantity
    "buy": ("int", "int"),                      # product id, quantity
    "pay": ("method", "int", "int", "nonce", "amount"),  # q|b, product id, quantity, nonce, quoted subtotal
    "payv": ("method", "int", "int", "nonce", "amount", "int"),  # the same, with a promo code's id
    "promo": ("int", "int", "nonce"),           # product id, quantity, the summary's nonce: type a promo code
    "chk": ("int",),                            # order id: check payment
    "cnl": ("int",),                            # order id: cancel
    "hist": ("int",),                           # history page
    "ord": ("int", "int"),                      # order id, history page to go back to
    "goods": ("int",),                          # order id: show goods again
    "bal": (),                                  # balance screen
    "top": ("int", "nonce"),                    # top-up amount, checkout nonce
    "topc": (),                                 # top-up: type an amount
    "agree": ("int", "int"),                    # product id, quantity: the product's terms accepted
    "lines": ("int", "int"),                    # admin: product id, page of its stock lines
    "cfm": ("nonce",),                          # admin: confirm what the question offered
    "ccl": ("nonce",),                          # admin: drop it
    "lang": ("language", "screen"),             # language chosen, on the account (a) or language (l) screen
    "ask": ("int",),                            # write to the admins about an order id (0: no order)
    "askx": (),                                 # do not write to the admins after all
    "fwd": (),                                  # send the message this offer answers to the admins
    "stkf": ("int",),                           # admins: the product a bare .txt of stock is for
    "noop": (),
    "free": ("int",),                           # product id: claim a free item
    "sub": ("int",),                            # product id: tell me when it is back in stock
    "fcnl": ("int",),                           # product id: stop typing its fields
    "wcl": ("int", "int"),                      # order id, history page: claim the warranty
    "wln": ("int", "int"),                      # order id, line id: this line is broken
    # Admins only (the handler checks): a manual order's decision, a warranty claim's.
    "mdone": ("int",),                          # order id: Selesai (then a reply, or none)
    "mnone": ("int",),                          # order id: Selesai without a reply
    "mrej": ("int",),                           # order id: Tolak (then a reason)
    "wrep": ("int",),                           # claim id: Ganti
    "wref": ("int",),                           # claim id: Refund
    "wrej": ("int",),                           # claim id: Tolak (then a reason)
}
_NONCE_ALPHABET = string.ascii_letters + string.digits

_PATTERNS = {
    action: re.compile(":".join([re.escape(VERSION), re.escape(action)]
                                + [f"({_FIELD_PATTERNS[kind]})" for kind in kinds]) + r"\Z")
    for action, kinds in ACTIONS.items()
}


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple

    def int(self, index: int) -> int:
        return int(self.args[index])


def new_nonce() -> str:
    """A one-time ``nonce`` field: a double tap on its button is one action."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(8))


def encode(action: str, *args: object) -> str:
    """Build button data; raises ``ValueError`` if it would not parse back."""
    data = ":".join([VERSION, action, *map(str, args)])
    if len(data.encode()) > MAX_BYTES or parse(data) is None:
        raise ValueError(f"cannot encode callback {action}{args}")
    return data


def parse(data: str | None) -> Callback | None:
    if not data or len(data) > MAX_BYTES:
        return None
    parts = data.split(":", 2)
    if len(parts) < 2 or parts[0] != VERSION or parts[1] not in _PATTERNS:
        return None
    match = _PATTERNS[parts[1]].match(data)
    if match is None:
        return None
    kinds = ACTIONS[parts[1]]
    args = tuple(int(value) if kind in ("int", "amount") else value
                 for kind, value in zip(kinds, match.groups(), strict=True))
    return Callback(parts[1], args)

"""Pakasir's webhook: a hint that an order may be paid, checked before use.

The real Pakasir does not sign its webhooks and tells merchants to check the
amount and order id and confirm with ``transactiondetail``; so the webhook
only points at an order, and :meth:`PaymentService.confirm` decides. When a
secret is configured (a signing proxy in front of us), the signature must be
the hex HMAC-SHA256 of the raw body, compared in constant time.

Answers, in the seed's error format: bad JSON or a missing field 400, bad or
missing signature 401, unknown order 404, wrong amount 409, wrong project
400, over 64 KiB 413 (checked by the web layer), more than 10 a minute for
one order 429 (each costs a ``transactiondetail`` call, so a flood is
forged). Duplicates and webhooks that ``transactiondetail`` answers as not
paid answer 200 and change nothing, so Pakasir stops retrying; the polling
job keeps watching the order. A webhook that cannot be checked because
Pakasir cannot be asked answers 503, so that a retrying sender tries again;
the order stays pending and watched until Pakasir answers.

Refusals are not logged here one by one: the web layer counts every 4xx
and writes one line a minute (:mod:`quickcart.rejections`).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from quickcart import orders
from quickcart.gateways.base import PaymentGateway, WebhookFields
from quickcart.models import PAID
from quickcart.payments import Outcome, PaymentService
from quickcart.throttle import RateLimiter
from quickcart.web import ApiError

log = logging.getLogger(__name__)

# What the shop needs from any gateway's webhook, and its type.
REQUIRED = {"order_id": str, "amount": int, "account": str, "status": str}
CHECKS_PER_ORDER_PER_MINUTE = 10
MAX_AMOUNT = 10**12  # rupiah; far above any QRIS payment, far below anything that strains a log line
MAX_TEXT = 100


def signature_ok(secret: str, raw: bytes, supplied: str | None) -> bool:
    """Whether ``supplied`` is the hex HMAC-SHA256 of ``raw``, compared in constant time.

    Compared as bytes: ``hmac.compare_digest`` refuses str with non-ASCII
    characters by raising, and a header can hold anything.
    """
    if not supplied:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, supplied.strip().lower().encode("utf-8", "replace"))


def parse(raw: bytes, fields: WebhookFields) -> dict[str, Any]:
    """The webhook body, checked, as ``{order_id, amount, account, status}``; :class:`ApiError` 400 otherwise.

    ``fields`` names those in the gateway's own body (Pakasir's ``account`` is
    ``project``); errors name the gateway's fields.

    Hostile bodies end here as a 400 too: nesting deeper than Python's
    recursion limit, an integer over Python's 4,300-digit conversion limit,
    invalid UTF-8, lone surrogates and control characters (which would fail
    in SQLite or in the log), amounts out of any real range.
    """
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError covers JSONDecodeError and the int-from-str digit limit.
        raise ApiError(400, "malformed JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    names = {ours: getattr(fields, ours) for ours in REQUIRED}
    missing = [theirs for theirs in names.values() if theirs not in body]
    if missing:
        raise ApiError(400, "missing field", {"fields": missing})
    for ours, kind in REQUIRED.items():
        value = body[names[ours]]
        if kind is int and not _is_amount(value):
            raise ApiError(400, "invalid field", {"field": names[ours], "expected": "integer"})
        if kind is str and not _is_text(value):
            raise ApiError(400, "invalid field", {"field": names[ours], "expected": "string"})
    return {ours: body[theirs] for ours, theirs in names.items()}


def _is_amount(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_AMOUNT


def _is_text(value: object) -> bool:
    # isprintable() is False for control characters and lone surrogates alike.
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value.isprintable()


class WebhookHandler:
    def __init__(self, payments: PaymentService, gateway: PaymentGateway, secret: str):
        self._payments = payments
        self._gateway = gateway
        self._secret = secret
        self._checks = RateLimiter(CHECKS_PER_ORDER_PER_MINUTE)

    def __call__(self, raw: bytes, headers: Mapping[str, str]) -> tuple[dict, int]:
        fields = self._gateway.webhook_fields
        if self._secret and not signature_ok(self._secret, raw, headers.get(fields.signature_header)):
            raise ApiError(401, "invalid signature")
        body = parse(raw, fields)
        invoice_id = body["order_id"]
        if body["account"] != self._gateway.account:
            raise ApiError(400, f"wrong {fields.account}", {fields.account: body["account"][:100]})
        order = orders.by_invoice(invoice_id)
        if order is None:
            raise ApiError(404, "unknown order", {"order_id": invoice_id[:100]})
        if body["amount"] != order.gateway_amount:
            # Anyone can post a webhook: a wrong amount is refused without
            # telling what ours is, and alerts nobody (the web layer counts
            # it). A mismatch that Pakasir's transactiondetail confirms
            # alerts the admins (PaymentService.confirm).
            raise ApiError(409, "amount does not match the order", {"order_id": order.invoice_id})
        if order.status == PAID:
            return {"status": "duplicate", "order_id": order.invoice_id}, 200
        if body["status"].lower() != "completed":
            return {"status": "ignored", "order_id": order.invoice_id}, 200
        if not self._checks.hit(order.id).allowed:
            raise ApiError(429, "too many webhooks for this order", {"order_id": order.invoice_id})
        # One line per check, and checks are limited per order: a flood of
        # webhooks for one invoice cannot fill the log.
        log.info("webhook for %s: asking Pakasir", order.invoice_id)
        outcome = self._payments.confirm(order, "webhook")
        if outcome in (Outcome.PAID, Outcome.ALREADY_PAID):
            return {"status": "paid" if outcome is Outcome.PAID else "duplicate",
                    "order_id": order.invoice_id}, 200
        if outcome is Outcome.UNKNOWN:
            # Pakasir could not be asked: a retrying sender should try again.
            # The order stays pending and watched until Pakasir answers.
            log.warning("webhook for %s cannot be confirmed now: Pakasir unreachable", order.invoice_id)
            raise ApiError(503, "payment cannot be confirmed now; retry later", {"order_id": order.invoice_id})
        log.warning("webhook for %s not confirmed by transactiondetail (%s)", order.invoice_id,
                    outcome.value)
        return {"status": "not_confirmed", "order_id": order.invoice_id, "detail": outcome.value}, 200

"""Hostile webhook bodies and signatures end as a clean 400/401, never an exception."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from quickcart.gateways.pakasir import PakasirGateway
from quickcart.web import ApiError
from quickcart.webhook import parse as parse_for_gateway
from quickcart.webhook import signature_ok

GOOD = {"order_id": "TRX20261127ABC123", "amount": 50_660, "project": "toko", "status": "completed"}


def parse(raw: bytes) -> dict:
    """Pakasir's webhook, read into the shop's fields."""
    return parse_for_gateway(raw, PakasirGateway.webhook_fields)


def with_changes(**changes) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def test_a_good_body_parses_into_the_shops_fields():
    assert parse(json.dumps(GOOD).encode()) == {"order_id": "TRX20261127ABC123", "amount": 50_660,
                                                 "account": "toko", "status": "completed"}


@pytest.mark.parametrize("raw", [
    pytest.param(b"[" * 30_000 + b"]" * 30_000, id="array nested 30,000 deep"),
    pytest.param(b'{"a":' * 30_000 + b"1" + b"}" * 30_000, id="object nested 30,000 deep"),
    pytest.param(b'{"order_id": "x", "amount": ' + b"9" * 4_401 + b"}", id="amount of 4,401 digits"),
    pytest.param(b'{"amount": 1e999999}', id="float overflow"),
    pytest.param(b"\xff\xfe{\x00}\x00", id="UTF-16 with BOM"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps(GOOD).encode(), id="UTF-8 BOM"),
    pytest.param(b'{"order_id": "\xc3\x28"}', id="invalid UTF-8"),
    pytest.param(b"", id="empty"),
    pytest.param(b"order_id=TRX1&amount=5", id="form encoded"),
    pytest.param(b"<xml/>", id="XML"),
    pytest.param(b'{"order_id": "TRX1", "amount": 5', id="truncated"),
    pytest.param(b"NaN", id="NaN"),
])
def test_malformed_json_is_a_400(raw):
    with pytest.raises(ApiError) as refused:
        parse(raw)
    assert refused.value.code == 400


@pytest.mark.parametrize("changes", [
    pytest.param({"amount": 0}, id="zero amount"),
    pytest.param({"amount": -50_660}, id="negative amount"),
    pytest.param({"amount": 10**4000}, id="huge amount within the digit limit"),
    pytest.param({"amount": 50_660.0}, id="float amount"),
    pytest.param({"amount": "50660"}, id="amount as a string"),
    pytest.param({"amount": True}, id="amount as a boolean"),
    pytest.param({"amount": float("nan")}, id="NaN amount"),
    pytest.param({"order_id": "\ud800"}, id="lone surrogate"),
    pytest.param({"order_id": "TRX\x00\x1b[31m"}, id="control characters"),
    pytest.param({"status": "completed\n2026 INFO forged log line"}, id="newline"),
    pytest.param({"project": "x" * 101}, id="too long"),
    pytest.param({"project": ""}, id="empty string"),
    pytest.param({"status": None}, id="null"),
    pytest.param({"order_id": ["TRX1"]}, id="list"),
    pytest.param({"order_id": {"$gt": ""}}, id="object"),
])
def test_invalid_fields_are_a_400(changes):
    raw = json.dumps({**GOOD, **changes}).encode()
    with pytest.raises(ApiError) as refused:
        parse(raw)
    assert refused.value.code == 400 and refused.value.message == "invalid field"


def test_a_lone_surrogate_escaped_in_json_is_refused_before_it_reaches_sqlite_or_the_log():
    raw = b'{"order_id": "\\udc80TRX", "amount": 5, "project": "toko", "status": "completed"}'
    with pytest.raises(ApiError):
        parse(raw)


@pytest.mark.parametrize("supplied", [
    pytest.param("é" * 64, id="non-ASCII"),
    pytest.param("\ud800", id="lone surrogate"),
    pytest.param("ÿ" * 10_000, id="long latin-1"),
    pytest.param("", id="empty"),
    pytest.param(None, id="missing"),
    pytest.param("00" * 32, id="wrong"),
])
def test_a_hostile_signature_is_simply_not_valid(supplied):
    assert signature_ok("rahasia", b"{}", supplied) is False


def test_the_right_signature_is_valid_in_any_case_and_with_surrounding_spaces():
    raw = with_changes()
    good = hmac.new(b"rahasia", raw, hashlib.sha256).hexdigest()
    assert signature_ok("rahasia", raw, good)
    assert signature_ok("rahasia", raw, f"  {good.upper()} ")

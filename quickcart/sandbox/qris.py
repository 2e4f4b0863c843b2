"""Build and check QRIS payloads: Indonesia's profile of the EMVCo merchant-presented QR (MPM).

A QRIS payload is a string of TLV data objects: a two-digit tag, a two-digit length
(in characters) and the value. Templates (tags 26-51 and 62) hold nested TLV objects.
The last object is always the CRC (tag 63, length 04): CRC-16/CCITT-FALSE over the whole
payload up to and including ``"6304"``, written as four upper-case hex digits.

:func:`build_qris` produces a *dynamic* payload (point of initiation ``"12"``) for one
transaction, the kind Pakasir returns as ``payment_number``. The amount (tag 54) is the
integer number of rupiah without decimals (``"100003"``), as Indonesian acquirers do.
Each payload carries the order id as the bill number (tag 62, sub-tag 01) and a nonce
as the reference label (tag 62, sub-tag 05), so no two transactions share a payload.
The merchant identifiers (PAN, merchant id, NMID) are derived from the merchant name:
stable for a merchant, made up, and never valid at a real acquirer.
"""

from __future__ import annotations

import hashlib
import secrets
import string

__all__ = ["build_qris", "crc16_ccitt", "is_valid_qris", "parse_tlv"]

#: Globally unique identifier of the (made-up) acquirer in tag 26.
ACQUIRER_GUI = "ID.CO.SANDBOXPAY.WWW"
#: Globally unique identifier of the QRIS national repository in tag 51.
QRIS_GUI = "ID.CO.QRIS.WWW"
#: Merchant category code: digital goods (games).
MERCHANT_CATEGORY_CODE = "5816"
#: ISO 4217 numeric code of the Indonesian rupiah.
CURRENCY_IDR = "360"
COUNTRY_CODE = "ID"
POSTAL_CODE = "10110"
#: Merchant criteria: "UMI" = micro business (usaha mikro).
MERCHANT_CRITERIA = "UMI"

MAX_MERCHANT_NAME = 25
MAX_CITY = 15
#: Longest value allowed in the bill number and reference label sub-tags of tag 62.
MAX_ADDITIONAL_FIELD = 25
#: Longest value allowed in tag 54 (transaction amount).
MAX_AMOUNT_DIGITS = 13

_CRC_TAG = "6304"
_PRINTABLE_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
_TEMPLATE_TAGS = frozenset({f"{t:02d}" for t in range(26, 52)} | {"62"})
_MANDATORY_TAGS = ("00", "52", "53", "58", "59", "60", "63")


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

    >>> hex(crc16_ccitt(b"123456789"))
    '0x29b1'
    """
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"QRIS tag {tag}: value longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _ans(value: str, max_len: int) -> str:
    """Keep the printable-ASCII characters of ``value`` (EMVCo "ans"), cut to ``max_len``."""
    return "".join(ch for ch in value if ch in _PRINTABLE_ASCII).strip()[:max_len]


def _digits(seed: str, count: int) -> str:
    """``count`` decimal digits derived deterministically from ``seed``."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    return str(number % 10**count).zfill(count)


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = int(ch)
        if index % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def build_qris(
    amount: int,
    order_id: str,
    merchant_name: str = "QuickCart Demo",
    city: str = "JAKARTA",
    nonce: str | None = None,
) -> str:
    """Return a dynamic QRIS payload for one transaction of ``amount`` rupiah.

    ``order_id`` goes into the bill number (cut to 25 characters), ``nonce`` into the
    reference label; without a nonce a random 12-hex-digit one is drawn, so every call
    yields a different payload. ``merchant_name`` and ``city`` are cut to the lengths
    QRIS allows (25 and 15); non-ASCII characters are dropped.

    Raises ValueError for a non-positive or too large amount, or an order id, merchant
    name, city or nonce that has no printable-ASCII characters left.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive integer number of rupiah")
    amount_text = str(amount)
    if len(amount_text) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"amount has more than {MAX_AMOUNT_DIGITS} digits")
    name = _ans(merchant_name, MAX_MERCHANT_NAME)
    city_text = _ans(city, MAX_CITY).upper()
    bill_number = _ans(order_id, MAX_ADDITIONAL_FIELD)
    reference = _ans(secrets.token_hex(6).upper() if nonce is None else nonce, MAX_ADDITIONAL_FIELD)
    for label, value in (("order_id", bill_number), ("merchant_name", name), ("city", city_text),
                         ("nonce", reference)):
        if not value:
            raise ValueError(f"{label} has no printable ASCII characters")

    pan_body = "93600" + _digits("pan:" + name, 13)
    merchant_pan = pan_body + _luhn_check_digit(pan_body)
    merchant_account = (
        _tlv("00", ACQUIRER_GUI)
        + _tlv("01", merchant_pan)
        + _tlv("02", _digits("mid:" + name, 15))
        + _tlv("03", MERCHANT_CRITERIA)
    )
    national_account = (
        _tlv("00", QRIS_GUI)
        + _tlv("02", "ID" + _digits("nmid:" + name, 13))
        + _tlv("03", MERCHANT_CRITERIA)
    )
    additional_data = _tlv("01", bill_number) + _tlv("05", reference) + _tlv("07", "QUICKCART")
    payload = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("26", merchant_account)
        + _tlv("51", national_account)
        + _tlv("52", MERCHANT_CATEGORY_CODE)
        + _tlv("53", CURRENCY_IDR)
        + _tlv("54", amount_text)
        + _tlv("58", COUNTRY_CODE)
        + _tlv("59", name)
        + _tlv("60", city_text)
        + _tlv("61", POSTAL_CODE)
        + _tlv("62", additional_data)
        + _CRC_TAG
    )
    return f"{payload}{crc16_ccitt(payload.encode('ascii')):04X}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Split one level of TLV data objects into ``{tag: value}``.

    Nested templates are returned as raw strings; call ``parse_tlv`` again on them
    (e.g. ``parse_tlv(parse_tlv(p)["62"])["01"]`` is the bill number).
    Raises ValueError when the string is not well-formed: a tag or length that is not
    two digits, a value running past the end, or a tag that occurs twice.
    """
    objects: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        header = payload[pos:pos + 4]
        if len(header) < 4 or not header.isdigit() or not header.isascii():
            raise ValueError(f"malformed TLV header at offset {pos}: {header!r}")
        tag, length = header[:2], int(header[2:])
        value = payload[pos + 4:pos + 4 + length]
        if len(value) != length:
            raise ValueError(f"TLV tag {tag} at offset {pos} runs past the end of the data")
        if tag in objects:
            raise ValueError(f"TLV tag {tag} occurs more than once")
        objects[tag] = value
        pos += 4 + length
    return objects


def is_valid_qris(payload: str) -> bool:
    """True when ``payload`` is a well-formed QRIS string with a correct CRC.

    Checks: printable ASCII only; top-level TLV and every template (26-51, 62)
    well-formed; payload format indicator ``"01"`` first; the mandatory objects
    (52, 53, 58, 59, 60) and at least one merchant account template present; the CRC
    object last, four upper-case hex digits, matching the CRC of everything before it.
    """
    if not isinstance(payload, str) or not payload or not set(payload) <= _PRINTABLE_ASCII:
        return False
    try:
        objects = parse_tlv(payload)
        for tag, value in objects.items():
            if tag in _TEMPLATE_TAGS:
                parse_tlv(value)
    except ValueError:
        return False
    if not payload.startswith("000201") or any(tag not in objects for tag in _MANDATORY_TAGS):
        return False
    if not any(tag in objects for tag in _TEMPLATE_TAGS - {"62"}):
        return False
    crc = objects["63"]
    if not payload.endswith(_CRC_TAG + crc) or len(crc) != 4 or not set(crc) <= set(string.hexdigits.upper()):
        return False
    return int(crc, 16) == crc16_ccitt(payload[:-4].encode("ascii"))

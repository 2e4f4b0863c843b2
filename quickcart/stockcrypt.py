"""Sealing stock lines: AES-256-GCM for the text, HMAC-SHA256 for the duplicate check.

A stock line is a credential someone pays for, so the database (and every
copy and backup of it) holds only its sealed form. One 32-byte master key
per shop, kept outside the database (see :mod:`quickcart.stock_key`), is
stretched with HKDF into three independent keys:

- the AES-GCM key that seals the text;
- the HMAC key of the *digest*, a keyed hash of the text that the unique
  index ``(product_id, digest)`` compares, so an import still refuses a line
  the product ever had without anyone reading the lines back;
- a short *key id*, a fingerprint that names the key without revealing it.

A sealed line is ``version (1) | key id (8) | nonce (12) | ciphertext+tag``.
The key id in every line lets a rotation find the lines it has not done yet,
and turns "wrong key" into a clear refusal instead of garbage. The product
id is authenticated with the text (and mixed into the digest), so a line
cannot be moved to another product, and equal lines of two products do not
show as equal digests.

Nonces are random (96 bits): safe for billions of lines under one key,
and a rotation starts a new key anyway.

Nothing here touches the database or the file system except the key file
helpers at the end.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
KEY_ID_BYTES = 8
DIGEST_BYTES = 16  # 128 bits: no two different lines of a product will ever share one
NONCE_BYTES = 12
FORMAT_VERSION = 1
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
KEY_TEXT_HELP = ("44 characters of URL-safe base64 (32 random bytes); make one with: "
                 "python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")


class KeyFormatError(ValueError):
    """A key that is not 32 bytes of URL-safe base64."""


class UnreadableLine(Exception):
    """A sealed line that this key cannot open: another key's, or damaged."""


def _derive(master: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=b"quickcart stock line " + purpose).derive(master)


def _product_bytes(product_id: int) -> bytes:
    return int(product_id).to_bytes(8, "big", signed=True)


class StockKey:
    """One master key and what is derived from it. Never printed: ``repr`` shows the id only."""

    __slots__ = ("_aead", "_digest_key", "id_bytes", "id")

    def __init__(self, master: bytes):
        if len(master) != KEY_BYTES:
            raise KeyFormatError(f"a stock key is {KEY_BYTES} bytes, got {len(master)}")
        self._aead = AESGCM(_derive(master, b"encryption v1", 32))
        self._digest_key = _derive(master, b"digest v1", 32)
        self.id_bytes = _derive(master, b"key id v1", KEY_ID_BYTES)
        self.id = self.id_bytes.hex()

    def __repr__(self) -> str:
        return f"StockKey(id={self.id})"

    def digest(self, product_id: int, text: str) -> bytes:
        """The keyed hash the duplicate check compares."""
        return hmac.digest(self._digest_key, _product_bytes(product_id) + text.encode("utf-8"),
                           "sha256")[:DIGEST_BYTES]

    def seal(self, product_id: int, text: str) -> bytes:
        return self.seal_many(product_id, (text,))[0][0]

    def seal_many(self, product_id: int, texts: Iterable[str]) -> list[tuple[bytes, bytes]]:
        """``(sealed, digest)`` for each text of one product.

        What is the same for every line (header, associated data, the
        product's part of the digest) is built once: an import seals a
        million lines, and per-line overhead is most of the cost.
        """
        texts = [text.encode("utf-8") for text in texts]
        nonces = os.urandom(NONCE_BYTES * len(texts))
        prefix = bytes((FORMAT_VERSION,)) + self.id_bytes
        associated = prefix + _product_bytes(product_id)
        product = _product_bytes(product_id)
        encrypt, digest_key, digest = self._aead.encrypt, self._digest_key, hmac.digest
        sealed = []
        for i, text in enumerate(texts):
            nonce = nonces[i * NONCE_BYTES:(i + 1) * NONCE_BYTES]
            sealed.append((prefix + nonce + encrypt(nonce, text, associated),
                           digest(digest_key, product + text, "sha256")[:DIGEST_BYTES]))
        return sealed

    def opens(self, sealed: bytes) -> bool:
        """Whether ``sealed`` was made with this key (by its key id; the tag is checked on opening)."""
        return sealed[1:1 + KEY_ID_BYTES] == self.id_bytes

    def open(self, product_id: int, sealed: bytes) -> str:
        """The text of a sealed line; :class:`UnreadableLine` if it is not this key's or was altered."""
        if len(sealed) < HEADER_BYTES + 16 or sealed[0] != FORMAT_VERSION:
            raise UnreadableLine("not a sealed stock line")
        if not self.opens(sealed):
            raise UnreadableLine(f"sealed with key {key_id_of(sealed)}, not {self.id}")
        try:
            plain = self._aead.decrypt(sealed[1 + KEY_ID_BYTES:HEADER_BYTES], sealed[HEADER_BYTES:],
                                       sealed[:1 + KEY_ID_BYTES] + _product_bytes(product_id))
        except InvalidTag:
            raise UnreadableLine("the sealed line was altered or belongs to another product") from None
        return plain.decode("utf-8")


def key_id_of(sealed: bytes) -> str:
    """The id of the key a sealed line was made with."""
    return bytes(sealed[1:1 + KEY_ID_BYTES]).hex()


# --- key text and key files ---------------------------------------------------------


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str) -> StockKey:
    """A key from its text form; :class:`KeyFormatError` (one line, no key material) if it is not one."""
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES or len(text) != 44:
        raise KeyFormatError(f"not a stock key (expected {KEY_TEXT_HELP})")
    return StockKey(raw)


def read_key_file(path: Path) -> StockKey:
    """Read a key file; ``FileNotFoundError`` when it is not there, :class:`KeyFormatError` when it is no key."""
    text = Path(path).read_text(encoding="ascii", errors="replace")
    return parse_key(text)


def write_key_file(path: Path, key_text: str, *, replace: bool = False) -> None:
    """Write a key file readable by its owner only (0600), durably.

    Without ``replace`` an existing file is never overwritten
    (``FileExistsError``): losing a key loses the stock sealed with it.
    With ``replace`` the new file takes the old one's place in one rename.
    """
    path = Path(path)
    target = path.with_name(path.name + ".partial") if replace else path
    if replace:
        target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (key_text + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(target, path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def readable_by_others(path: Path) -> bool:
    return bool(Path(path).stat().st_mode & stat.S_IROTH)

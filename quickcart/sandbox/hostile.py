"""What a stranger on the internet does to a web port: raw requests, slow clients, malformed webhooks.

Used by the tests and by bench/web_edge.py.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RawResponse:
    status: int | None  # None: the connection closed without an answer
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send ``data`` as it is on a fresh connection; read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before it has read everything
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return parse_response(received)


def parse_response(received: bytes) -> RawResponse:
    head, _, body = received.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/"):
        return RawResponse(None, {}, received)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)


def http_request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                 content_length: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


class Slowloris:
    """Holds ``count`` connections open, each sending a request one header line at a time.

    A connection the server closes is opened again at once, as an attacker would.
    """

    def __init__(self, port: int, count: int = 200, trickle_every: float = 0.5):
        self._port = port
        self._count = count
        self._every = trickle_every
        self._sockets: list[socket.socket | None] = [None] * count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)
        self.rounds = 0  # full passes over every connection
        self.reopened = 0
        self.open_now = 0

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for sock in self._sockets:
            if sock is not None:
                sock.close()

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self._port), timeout=2)
            sock.sendall(b"POST /webhooks/pakasir HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            return sock
        except OSError:
            return None

    def _run(self) -> None:
        line = 0
        while not self._stop.is_set():
            line += 1
            open_now = 0
            for index, sock in enumerate(self._sockets):
                if self._stop.is_set():
                    return
                if sock is not None:
                    try:
                        sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
                    except OSError:
                        sock.close()
                        sock = None
                if sock is None:
                    sock = self._open()
                    self.reopened += sock is not None and self.rounds > 0
                self._sockets[index] = sock
                open_now += sock is not None
            self.open_now = open_now
            self.rounds += 1
            self._stop.wait(self._every)


def _signed(body: bytes, secret: str) -> dict[str, str]:
    return {"X-Pakasir-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _webhook(body: bytes, secret: str, headers: dict[str, str] | None = None,
             content_type: str = "application/json") -> bytes:
    return http_request("POST", "/webhooks/pakasir", body,
                        {"Content-Type": content_type, **_signed(body, secret), **(headers or {})})


def malformed_webhooks(count: int, project: str, secret: str, seed: int = 12) -> list[tuple[str, bytes]]:
    """``count`` malformed webhook requests, (kind, raw HTTP bytes), in a repeatable random order.

    Bodies are signed with ``secret`` so that they get past the signature check to the
    parser; the signature kinds forge the header instead.
    """
    rng = random.Random(seed)
    good = {"order_id": "TRX20261127ZZZZZZ", "amount": 50_660, "project": project, "status": "completed"}

    def body_with(**changes: object) -> bytes:
        return json.dumps({**good, **changes}).encode()

    def deep() -> bytes:  # kept under 64 KiB, so that it reaches the parser
        if rng.random() < 0.5:
            depth = rng.randint(1_000, 30_000)
            return b"[" * depth + b"]" * depth
        depth = rng.randint(1_000, 10_000)
        return b'{"a":' * depth + b"1" + b"}" * depth

    def without_a_field() -> bytes:
        missing = rng.choice(list(good))
        return json.dumps({key: value for key, value in good.items() if key != missing}).encode()

    bodies: dict[str, Callable[[], bytes]] = {
        "deep nesting": deep,
        "huge amount": lambda: b'{"order_id": "TRX1", "amount": ' + b"9" * rng.randint(4_301, 6_000) + b"}",
        "truncated": lambda: body_with()[:rng.randint(0, 60)],
        "random bytes": lambda: rng.randbytes(rng.randint(1, 300)),
        "UTF-16": lambda: json.dumps(good).encode("utf-16"),
        "BOM": lambda: b"\xef\xbb\xbf" + body_with(),
        "wrong type": lambda: body_with(**{rng.choice(list(good)): rng.choice(
            [None, [], {}, True, 1.5, "5", -1, 0, 10**40, "x" * 500])}),
        "missing field": without_a_field,
        "lone surrogate": lambda: body_with(order_id="TRX1").replace(b"TRX1", b"\\ud800TRX1"),
        "control characters": lambda: body_with(status=f"completed\n{rng.random()} INFO forged\x1b[31m"),
        "not an object": lambda: rng.choice([b"[]", b'"completed"', b"50660", b"null", b"true"]),
        "unknown order": lambda: body_with(order_id=f"TRX20990101{rng.randint(0, 999_999):06d}"),
        "wrong project": lambda: body_with(project=f"toko-lain-{rng.randint(0, 99)}"),
        "form encoded": lambda: b"order_id=TRX1&amount=50660&project=" + project.encode(),
        "empty": lambda: b"",
        "NaN amount": lambda: body_with().replace(b"50660", rng.choice([b"NaN", b"Infinity", b"-Infinity"])),
        "over 64 KiB": lambda: b'{"pad": "' + b"a" * rng.randint(66_000, 70_000) + b'"}',
    }
    requests_by_kind: dict[str, Callable[[], bytes]] = {
        kind: (lambda make=make: _webhook(make(), secret)) for kind, make in bodies.items()}
    requests_by_kind.update({
        "non-ASCII signature": lambda: _webhook(body_with(), secret, {"X-Pakasir-Signature": "é" * 64}),
        "raw-byte signature": lambda: http_request("POST", "/webhooks/pakasir", body_with()).replace(
            b"Connection: close", b"Connection: close\r\nX-Pakasir-Signature: \xff\xfe\x80" + rng.randbytes(8).replace(
                b"\r", b"").replace(b"\n", b"")),
        "no signature": lambda: http_request("POST", "/webhooks/pakasir", body_with()),
        "wrong content type": lambda: _webhook(body_with(), secret, content_type=rng.choice(
            ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
             "\xff\xfe/\x80"])),
        "bad Content-Length": lambda: http_request("POST", "/webhooks/pakasir", body_with(), {
            "Content-Length": rng.choice(["abc", "-1", "1e3", "9" * 30, "9" * 4_401, "5, 6"])}, content_length=False),
        "chunked garbage": lambda: http_request("POST", "/webhooks/pakasir", b"zz\r\nnope\r\n0\r\n\r\n",
                                                {"Transfer-Encoding": "chunked"}, content_length=False),
        "chunked oversize": lambda: http_request("POST", "/webhooks/pakasir", b"20000\r\n" + b"a" * 70_000,
                                                 {"Transfer-Encoding": "chunked"}, content_length=False),
        "unknown transfer encoding": lambda: http_request("POST", "/webhooks/pakasir", b"{}", {
            "Transfer-Encoding": rng.choice(["gzip", "identity", "chunked, gzip", "x"])}, content_length=False),
        "header without colon": lambda: http_request("POST", "/webhooks/pakasir", body_with()).replace(
            b"Connection: close", b"Connection: close\r\nthis is not a header"),
        "NUL in a header": lambda: _webhook(body_with(), secret, {"X-Note": "a\x00b"}),
        "huge headers": lambda: _webhook(body_with(), secret, {"X-Pad": "p" * rng.randint(17_000, 40_000)}),
        "garbage request line": lambda: rng.randbytes(rng.randint(5, 60)).replace(b"\r\n", b"") + b"\r\n\r\n",
        "wrong method": lambda: http_request(rng.choice(["GET", "PUT", "DELETE", "PATCH"]), "/webhooks/pakasir"),
    })
    kinds = list(requests_by_kind)
    chosen = [kinds[i % len(kinds)] for i in range(count)]
    rng.shuffle(chosen)
    return [(kind, requests_by_kind[kind]()) for kind in chosen]

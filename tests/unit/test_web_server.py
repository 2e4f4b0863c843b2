"""waitress as we run it: slow and flooding clients cannot keep real requests out, and
waitress's own error answers use the seed's format. Real sockets on 127.0.0.1."""
from __future__ import annotations

import contextlib
import logging
import resource
import socket
import time

import pytest
import requests

from quickcart import web_server
from quickcart.rejections import RejectLogs
from quickcart.sandbox.hostile import Slowloris, http_request, raw_request
from quickcart.web import WebHandlers, create_app
from quickcart.web_server import WebServer, connection_limit
from tests.unit.test_rejections import FakeTimers


@contextlib.contextmanager
def serving(**options):
    handlers = WebHandlers(health=lambda: ({"status": "healthy"}, 200),
                           webhook=lambda raw, signature: ({"received": len(raw)}, 200))
    rejects = RejectLogs(schedule=FakeTimers())
    server = WebServer(create_app(handlers, rejects=rejects), "127.0.0.1", 0, **options)
    server.start()
    try:
        yield server, rejects
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_server():
    with serving() as served:
        yield served


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout}s: {what}")


def closed_by_server(sock: socket.socket) -> bool:
    try:
        sock.sendall(b"X-More: 1\r\n")
        sock.setblocking(False)
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_a_request_that_trickles_in_for_longer_than_the_deadline_is_cut_off_and_counted():
    with serving(request_seconds=1) as (server, rejects):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        sock.sendall(b"POST /webhooks/pakasir HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        # A byte every 50 ms keeps waitress's own inactivity timeout from ever firing.
        wait_until(lambda: closed_by_server(sock) or time.sleep(0.05), timeout=5, what="the slow request cut off")
        assert time.monotonic() - started >= 0.9
        sock.close()
        assert rejects.source("http").total == 1


def test_when_slow_clients_hold_every_connection_the_longest_waiting_make_room_for_new_ones():
    with serving(max_connections=20) as (server, rejects):
        assert server.connection_limit == 20
        with Slowloris(server.port, count=40, trickle_every=0.2) as attacker:
            wait_until(lambda: attacker.rounds >= 2, timeout=10, what="40 slow connections")
            started = time.monotonic()
            response = requests.get(f"http://127.0.0.1:{server.port}/health", timeout=2)
            elapsed = time.monotonic() - started
        assert response.status_code == 200 and elapsed < 2
        assert rejects.source("http").total >= 1


BIG_HEADER = "x" * (17 * 1024)


@pytest.mark.parametrize("data, code", [
    pytest.param(b"POST /webhooks/pakasir HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400,
                 id="header without colon"),
    pytest.param(http_request("POST", "/webhooks/pakasir", headers={"Content-Length": "abc"},
                              content_length=False), 400, id="Content-Length not a number"),
    pytest.param(http_request("POST", "/webhooks/pakasir", headers={"Content-Length": "9" * 30},
                              content_length=False), 413, id="Content-Length of 10^30"),
    pytest.param(http_request("POST", "/webhooks/pakasir", headers={"Content-Length": "9" * 4401},
                              content_length=False), 400, id="Content-Length of 4,401 digits"),
    pytest.param(http_request("POST", "/webhooks/pakasir", b"zz\r\nnot hex\r\n0\r\n\r\n",
                              headers={"Transfer-Encoding": "chunked"}, content_length=False),
                 400, id="chunked garbage"),
    pytest.param(http_request("POST", "/webhooks/pakasir", b"10000\r\n" + b"a" * 65536 + b"\r\n" * 2,
                              headers={"Transfer-Encoding": "chunked"}, content_length=False),
                 413, id="chunked over 64 KiB"),
    pytest.param(http_request("POST", "/webhooks/pakasir", b"{}", headers={"Transfer-Encoding": "gzip"},
                              content_length=False), 400, id="Transfer-Encoding gzip"),
    pytest.param(http_request("GET", "/health", headers={"X-Big": BIG_HEADER}), 431, id="headers over 16 KiB"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", 400,
                 id="TLS hello on the plain port"),
    pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n", 400, id="NUL in a header"),
])
def test_requests_waitress_refuses_itself_get_the_seed_error_format(shared_server, data, code):
    server, rejects = shared_server
    refused_before = rejects.source("http").total
    response = raw_request(server.port, data)
    assert response.status == code, response
    body = response.json()
    assert body["code"] == code and body["error"] and body["timestamp"].endswith("Z")
    assert response.headers["content-type"] == "application/json"
    assert rejects.source("http").total == refused_before + 1


def test_a_chunked_webhook_body_reaches_the_app_whole(shared_server):
    server, _ = shared_server
    body = b'{"order_id": "TRX1"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (1, body[i:i + 1]) for i in range(len(body))) + b"0\r\n\r\n"
    response = raw_request(server.port, http_request("POST", "/webhooks/pakasir", chunked,
                                                     headers={"Transfer-Encoding": "chunked"},
                                                     content_length=False))
    assert response.status == 200 and response.json() == {"received": len(body)}


def test_the_connection_limit_leaves_room_under_the_open_files_limit(monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    assert connection_limit(1000) == 1024 - web_server.FILES_KEPT_FOR_THE_REST
    monkeypatch.setattr(resource, "getrlimit", lambda which: (65536, 65536))
    assert connection_limit(1000) == 1000


def test_waitress_warnings_are_not_logged_one_per_event():
    from quickcart.logging_setup import setup_logging
    setup_logging("INFO")
    assert not logging.getLogger("waitress.queue").isEnabledFor(logging.WARNING)
    assert logging.getLogger("waitress").isEnabledFor(logging.ERROR)

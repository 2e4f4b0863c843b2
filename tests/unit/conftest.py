"""Fixtures for domain tests: the payment service on an in-memory gateway, and Telegram where needed.

Payment and order tests open no socket: the gateway is
:class:`~quickcart.gateways.memory.MemoryGateway` and what the service
announces is recorded by :class:`RecordedEvents`. Tests of delivery and
admin notices, which are about talking to Telegram, use the Telegram
stand-in over real HTTP.
"""
from __future__ import annotations

import socket

import pytest
from telebot import TeleBot

from quickcart.config import load_config
from quickcart.delivery import Delivery
from quickcart.gateways.memory import MemoryGateway
from quickcart.notices import AdminNotifier, PaymentNotices
from quickcart.payments import PaymentService
from quickcart.sandbox.launcher import write_config
from quickcart.sandbox.telegram_server import TelegramStandIn
from quickcart.telegram.pacing import Pacer, PacingPolicy
from quickcart.telegram.sender import Sender
from quickcart.telegram.transport import TelegramTransport

TOKEN = "7000002:UNITtokenQuickCart-abcdefghijkl"
# Domain tests are not about Telegram's limits: the stand-in enforces none, so neither does the pacer.
UNLIMITED = PacingPolicy(cap=100_000, rate=10_000, burst=100, chat_interval=0.0001, chat_burst=100)


class RecordedEvents:
    """A PaymentListener that remembers what it heard (invoice ids, in order)."""

    def __init__(self):
        self.paid: list[str] = []
        self.closed: list[str] = []
        self.mismatches: list[str] = []
        self.closed_by_admin: list[str] = []
        self.refused: list[str] = []

    def order_paid(self, order) -> None:
        self.paid.append(order.invoice_id)

    def order_closed(self, order) -> None:
        self.closed.append(order.invoice_id)

    def mismatch_found(self, order, transaction) -> None:
        self.mismatches.append(order.invoice_id)

    def mismatch_closed_by_admin(self, order) -> None:
        self.closed_by_admin.append(order.invoice_id)

    def gateway_refused(self, order, error) -> None:
        self.refused.append(order.invoice_id)


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path / "config.ini", {
        "telegram": {"token": TOKEN},
        "pakasir": {"project": "memory-shop", "api_key": "k-unit"},
    }), env={})


@pytest.fixture
def gateway():
    return MemoryGateway(account="memory-shop")


@pytest.fixture
def events():
    return RecordedEvents()


@pytest.fixture
def service(db, config, gateway, events):
    """The payment service on the in-memory gateway; ``service.gateway`` plays the customer."""
    payments = PaymentService(config, gateway, events)
    yield payments
    payments.stop()


@pytest.fixture
def no_sockets(monkeypatch):
    """Fail any attempt to open a network connection (for tests that must not need one)."""
    def refuse(*args, **kwargs):
        raise AssertionError("this test opened a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def telegram():
    with TelegramStandIn(token=TOKEN) as standin:
        transport = TelegramTransport(standin.base_url, base_backoff=0.001,
                                      pacer=Pacer(UNLIMITED))
        transport.install()
        yield standin
        transport.close()


@pytest.fixture
def sender(telegram):
    return Sender(TeleBot(TOKEN, threaded=False))


@pytest.fixture
def delivering_service(db, config, gateway, telegram, sender):
    """The payment service whose paid orders are really delivered, through the Telegram stand-in."""
    notifier = AdminNotifier(sender, ())
    delivery = Delivery(sender, notifier)
    payments = PaymentService(config, gateway, PaymentNotices(notifier, sender, delivery, gateway, 5))
    payments.delivery = delivery
    yield payments
    payments.stop()
    delivery.stop()

"""Fixtures for domain tests that reach the network edge: the real stand-ins, in process."""
from __future__ import annotations

import pytest
from telebot import TeleBot

from quickcart.config import load_config
from quickcart.delivery import Delivery
from quickcart.notices import AdminNotifier
from quickcart.pakasir import PakasirClient
from quickcart.payments import PaymentService
from quickcart.sandbox.launcher import write_config
from quickcart.sandbox.pakasir_server import PakasirStandIn
from quickcart.sandbox.telegram_server import TelegramStandIn
from quickcart.telegram.pacing import Pacer
from quickcart.telegram.sender import Sender
from quickcart.telegram.transport import TelegramTransport

TOKEN = "7000002:UNITtokenQuickCart-abcdefghijkl"


@pytest.fixture
def service(db, tmp_path):
    with TelegramStandIn(token=TOKEN) as telegram, PakasirStandIn(project="unit", api_key="k-unit") as pakasir:
        config = load_config(write_config(tmp_path / "config.ini", {
            "telegram": {"token": TOKEN, "api_url": telegram.base_url},
            "pakasir": {"project": "unit", "api_key": "k-unit", "base_url": pakasir.base_url},
        }), env={})
        transport = TelegramTransport(telegram.base_url, base_backoff=0.001,
                                      pacer=Pacer(global_rate=10_000, chat_rate=10_000, chat_burst=100))
        transport.install()
        sender = Sender(TeleBot(TOKEN, threaded=False))
        notifier = AdminNotifier(sender, ())
        delivery = Delivery(sender, notifier)
        payments = PaymentService(config, PakasirClient(config.pakasir), sender, notifier, delivery)
        payments.telegram, payments.pakasir, payments.delivery = telegram, pakasir, delivery
        yield payments
        delivery.stop()
        transport.close()



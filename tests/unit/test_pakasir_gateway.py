"""The Pakasir gateway reads Pakasir's own formats exactly and never turns an unknown into a no."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from quickcart.config import load_config
from quickcart.gateways.base import GatewayRejected, GatewayUnavailable, TransactionNotFound
from quickcart.gateways.pakasir import PakasirGateway, _error_text, parse_time
from quickcart.sandbox.launcher import write_config
from quickcart.sandbox.pakasir_server import PakasirStandIn


@pytest.mark.parametrize(("text", "expected"), [
    # completed_at: Jakarta time with milliseconds
    ("2024-09-10T08:07:02.819+07:00", datetime(2024, 9, 10, 1, 7, 2, 819_000)),
    # expired_at: UTC with nanoseconds
    ("2025-09-19T01:18:49.678622123Z", datetime(2025, 9, 19, 1, 18, 49, 678_622)),
    ("2025-09-19T01:18:49Z", datetime(2025, 9, 19, 1, 18, 49)),
    ("2025-09-19T08:18:49.5+0700", datetime(2025, 9, 19, 1, 18, 49, 500_000)),
    ("2025-09-19 01:18:49.1", datetime(2025, 9, 19, 1, 18, 49, 100_000)),
])
def test_pakasir_timestamps_are_read_as_utc_whatever_their_precision_and_zone(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", [None, "", "kemarin", 1_700_000_000, "2025-13-40T99:00:00Z",
                                  "2025-09-19T01:18:49.123+07:00junk"])
def test_what_is_not_a_timestamp_is_none(text):
    assert parse_time(text) is None


def test_error_bodies_are_read_from_message_or_error():
    assert _error_text({"message": "transaction not found"}) == "transaction not found"
    assert _error_text({"error": "invalid api_key", "code": 401}) == "invalid api_key"
    assert _error_text(["not", "a", "dict"]) == "" and _error_text({"message": 5}) == ""


@pytest.fixture
def pakasir(tmp_path):
    with PakasirStandIn(project="unit-client", api_key="k-client") as standin:
        config = load_config(write_config(tmp_path / "config.ini", {
            "telegram": {"token": "7000002:UNITtokenQuickCart-abcdefghijkl"},
            "pakasir": {"project": "unit-client", "api_key": "k-client", "base_url": standin.base_url},
        }), env={})
        yield standin, PakasirGateway(config.payment, base_backoff=0.01)


def test_detail_reads_pakasirs_answer_and_ignores_fields_it_does_not_know(pakasir):
    standin, client = pakasir
    client.create_qris("TRX-UNIT-1", 20_450)
    standin.complete("TRX-UNIT-1", webhook=False)
    status = client.detail("TRX-UNIT-1", 20_450)
    assert status.completed and status.amount == 20_450 and status.account == "unit-client"
    assert isinstance(status.completed_at, datetime)


def test_a_missing_transaction_is_not_found_and_a_refusal_carries_pakasirs_message(pakasir):
    _, client = pakasir
    with pytest.raises(TransactionNotFound, match="transaction not found"):
        client.detail("TRX-NOPE", 1_000)
    with pytest.raises(GatewayRejected, match="minimum amount is 500"):
        client.create_qris("TRX-TINY", 400)


def test_a_cancel_refused_because_the_payment_landed_raises(pakasir):
    standin, client = pakasir
    client.create_qris("TRX-UNIT-2", 20_450)
    standin.before_next("cancel", lambda: standin.complete("TRX-UNIT-2", webhook=False))
    with pytest.raises(GatewayRejected):
        client.cancel("TRX-UNIT-2", 20_450, quick=True)


def test_while_down_callers_get_a_quick_no_and_at_most_one_probe_every_two_seconds(pakasir):
    standin, client = pakasir
    standin.go_down("503")
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            client.detail("TRX-ANY", 1_000, quick=True)
    assert not client.health.up
    probes = standin.stats.requests.get("home", 0)
    started = time.monotonic()
    answers = [client.available() for _ in range(20)]
    assert answers == [False] * 20 and time.monotonic() - started < 1
    assert standin.stats.requests.get("home", 0) - probes <= 1
    standin.come_up()
    client.health.last_probe = 0.0  # the next caller may probe again
    assert client.available() and client.health.up

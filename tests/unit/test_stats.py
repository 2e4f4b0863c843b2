"""The shop's figures: what counts as a transaction, active, and today's revenue (WIB)."""
import time
from datetime import datetime, timedelta

import pytest

from quickcart import catalogue, orders, stats, stock
from quickcart.db import database, immediate
from quickcart.models import BALANCE, PAID, PENDING, PURCHASE, QRIS, TOPUP, Order
from tests.unit.helpers import make_user, paid_purchase, paid_topup

ADMIN = 1
FEES = orders.FeePolicy(70, 310)
# 12:00 WIB on 10 March 2025; that Jakarta day is [09 Mar 17:00, 10 Mar 17:00) UTC.
NOW = datetime(2025, 3, 10, 5, 0)
DAY_START = datetime(2025, 3, 9, 17, 0)
DAY_END = datetime(2025, 3, 10, 17, 0)


@pytest.fixture
def shop(db):
    netflix = catalogue.add_product(ADMIN, "Netflix", "Streaming", 50_000, 45_000)
    spotify = catalogue.add_product(ADMIN, "Spotify", "Musik", 20_000, 18_000)
    catalogue.add_product(ADMIN, "Canva", "Desain", 15_000, 12_000)
    stock.add_lines(netflix.id, [f"nf-{i}" for i in range(10)])
    stock.add_lines(spotify.id, [f"sp-{i}" for i in range(10)])
    return netflix, spotify


def test_figures_follow_the_jakarta_day_and_exclude_fees_and_topups(shop):
    netflix, spotify = shop
    alice, bob, charlie = make_user(10, "Alice"), make_user(11, "Bob"), make_user(12, "Charlie")
    paid_purchase(alice, netflix, 1, DAY_START)  # 00:00 WIB today: counts (50,000; its fee does not)
    paid_purchase(bob, spotify, 3, DAY_END - timedelta(seconds=1))  # 23:59:59 WIB today: 60,000
    paid_purchase(alice, netflix, 1, DAY_START - timedelta(seconds=1))  # yesterday WIB, same UTC date
    paid_purchase(bob, netflix, 1, DAY_END)  # tomorrow WIB
    paid_topup(charlie, 100_000, NOW)  # a top-up is not revenue
    paid_purchase(charlie, spotify, 1, NOW, method=BALANCE)  # paid from the balance: 20,000, no fee
    orders.create_purchase(alice, spotify.id, 1, method=QRIS, fees=FEES, ttl_minutes=10, max_quantity=10,
                           chat_id=alice.id)  # pending
    pending_topup = orders.create_topup(bob, 50_000, fees=FEES, ttl_minutes=10, chat_id=bob.id)
    expired = orders.create_topup(bob, 20_000, fees=FEES, ttl_minutes=10, chat_id=bob.id)
    orders.close(expired, "expired")

    figures = stats.shop_stats(now=NOW)

    assert figures == {
        "total_users": 3,
        "total_transactions": 6,
        "active_orders": 2,
        "revenue_today": 50_000 + 60_000 + 20_000,
        "top_products": [{"id": spotify.id, "name": "Spotify", "sold": 4},
                         {"id": netflix.id, "name": "Netflix", "sold": 3}],
    }
    assert pending_topup.status == PENDING


def test_an_empty_shop_has_zero_figures(db):
    assert stats.shop_stats(now=NOW) == {"total_users": 0, "total_transactions": 0, "active_orders": 0,
                                         "revenue_today": 0, "top_products": []}


def test_order_figures_are_answered_from_indexes(db):
    for name, query in stats.queries(now=NOW).items():
        sql, params = query.sql()
        plan = " ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        if name in ("total_transactions", "active_orders", "revenue_today"):
            assert "USING" in plan and "INDEX" in plan and "SCAN" not in plan, (name, plan)
        if name == "revenue_today":
            assert "paid_at>" in plan, plan  # the range, not every paid order
        if name == "total_users":
            assert "COVERING INDEX" in plan, plan


@pytest.mark.breaks_invariants  # bare orders, without the lines a real paid purchase has
def test_figures_stay_fast_on_a_big_database(db):
    user = make_user(10)
    rows = []
    for i in range(30_000):
        status = (PAID, PENDING, "expired")[i % 3]
        rows.append({"invoice_id": f"TRX{i:012d}", "user": user.id, "kind": PURCHASE if i % 2 else TOPUP,
                     "subtotal": 10_000, "fee": 380, "gateway_amount": 10_380, "total_bill": 10_380,
                     "payment_method": QRIS, "status": status, "chat_id": user.id,
                     "paid_at": NOW - timedelta(minutes=i) if status == PAID else None})
    with immediate():
        for start in range(0, len(rows), 5000):
            Order.insert_many(rows[start:start + 5000]).execute()
    started = time.perf_counter()
    figures = stats.shop_stats(now=NOW)
    elapsed = time.perf_counter() - started
    assert figures["total_transactions"] == 10_000 and figures["active_orders"] == 10_000
    # Only the paid purchases of the 720 minutes since 00:00 WIB count.
    assert figures["revenue_today"] == sum(10_000 for i in range(0, 30_000, 3)
                                           if i % 2 and NOW - timedelta(minutes=i) >= DAY_START)
    assert elapsed < 0.5, f"stats took {elapsed:.3f}s"

"""Every admin text is valid Telegram HTML within Telegram's length, whatever names and notes contain."""
from __future__ import annotations

import inspect
from datetime import datetime
from types import SimpleNamespace

import pytest

from quickcart import admin_texts
from quickcart.payments import Outcome
from quickcart.sandbox.telegram_format import parse_formatted
from quickcart.stock import ImportResult, StockCounts

NASTY = "<b>Tom & Jerry</b> <script> 5 > 3 &amp; _under_ *star*"
WHEN = datetime(2026, 11, 27, 9, 30)

PRODUCT = SimpleNamespace(id=3, name=NASTY, category=NASTY, customer_price=50_000, reseller_price=45_000,
                          stock_count=4, sold_count=2, is_active=False)
USER = SimpleNamespace(id=7001, name=NASTY, username="a_b", bank_id="USR001", is_reseller=True, account_balance=5,
                       is_banned=True, ban_reason=NASTY, blocked_bot=True, created_at=WHEN, email=NASTY,
                       whatsapp_number="+62 <8>")
ORDER = SimpleNamespace(id=1, invoice_id="TRX20261127ABC123", is_topup=False, is_purchase=True, subtotal=50_000,
                        fee=660, total_bill=50_660, gateway_amount=50_660, gateway_fee=330, payment_method="qris",
                        status="paid", user_id=7001, created_at=WHEN, expires_at=WHEN, paid_at=WHEN, paid_late=True,
                        closed_at=WHEN, settlement="credited", delivered_at=None, delivery_attempts=2)
ITEM = SimpleNamespace(product_name=NASTY, product_id=3, quantity=2, price_per_unit=25_000)
EVENT = SimpleNamespace(created_at=WHEN, action="payment.paid", detail=NASTY)
STATS = {"total_users": 1, "total_transactions": 2, "active_orders": 3, "revenue_today": 4,
         "top_products": [{"id": 1, "name": NASTY, "sold": 9}]}

CALLS = [
    lambda: admin_texts.usage("addstock", NASTY),
    lambda: admin_texts.admin_help(),
    lambda: admin_texts.product_added(PRODUCT),
    lambda: admin_texts.product_edited(PRODUCT, ["name", "customer_price"]),
    lambda: admin_texts.product_switched(PRODUCT),
    lambda: admin_texts.product_list([PRODUCT] * 3)[0],
    lambda: admin_texts.product_missing(9),
    lambda: admin_texts.stock_counts(PRODUCT, StockCounts(1, 2, 3)),
    lambda: admin_texts.stock_importing(PRODUCT, 100_000),
    lambda: admin_texts.stock_imported(PRODUCT, ImportResult(1, 2, 3, 4), 5),
    lambda: admin_texts.STOCK_FILE_NOT_TXT,
    lambda: admin_texts.stock_file_too_big(20 * 1024 * 1024),
    lambda: admin_texts.user_missing(NASTY),
    lambda: admin_texts.user_profile(USER, 3, 2, 100_000),
    lambda: admin_texts.user_banned(USER),
    lambda: admin_texts.user_unbanned(USER),
    lambda: admin_texts.role_set(USER),
    lambda: admin_texts.balance_adjusted(USER, -5000, 10),
    lambda: admin_texts.balance_would_go_negative(USER, 5, -6),
    lambda: admin_texts.order_missing(NASTY),
    lambda: admin_texts.order_detail(ORDER, USER, [ITEM], [EVENT])[0],
    lambda: admin_texts.goods_inline([NASTY, NASTY]),
    lambda: admin_texts.goods_caption(NASTY, 2),
    lambda: admin_texts.order_list([ORDER], {1: NASTY})[0],
    lambda: admin_texts.recheck_result("closed", NASTY, NASTY),
    lambda: admin_texts.stats_text(STATS),
    lambda: admin_texts.maintenance_switched(True, False),
    lambda: admin_texts.backup_caption(3_000_000),
    lambda: admin_texts.backup_too_big(60_000_000),
    lambda: admin_texts.broadcast_progress(1, 2, 3, 4, 5),
    lambda: admin_texts.broadcast_finished(10, 7, 2, 1, 75.0, stopped=True),
    lambda: admin_texts.broadcast_refused(NASTY),
]


@pytest.mark.parametrize("make", CALLS, ids=[inspect.getsource(call).split("admin_texts.")[1].split("(")[0]
                                             for call in CALLS])
def test_each_admin_text_parses_as_telegram_html(make):
    text = make()
    parsed = parse_formatted(text, "HTML")
    assert len(text) <= 4096
    assert "<script>" not in parsed.text or NASTY in parsed.text


def test_every_recheck_outcome_has_a_text():
    assert {outcome.value for outcome in Outcome} == set(admin_texts.RECHECK_OUTCOMES)

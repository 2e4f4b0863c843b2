"""Every admin message is valid Telegram HTML within Telegram's length, whatever names and notes contain.

(That every key exists and no admin module holds words of its own: tests/unit/test_catalogue.py.)"""
from __future__ import annotations

import inspect
import re
from datetime import datetime
from types import SimpleNamespace

import pytest

from quickcart import admin_views
from quickcart.admin_syntax import Term
from quickcart.broadcast import Tally
from quickcart.richtext import FormatError
from quickcart.sandbox.telegram_format import parse_formatted
from quickcart.stock import ImportResult, LinePage, ListedLine, Refusal, Removal, StockCounts
from tests.admin_words import SAY, says

NASTY = "<b>Tom & Jerry</b> <script> 5 > 3 &amp; _under_ *star*"
WHEN = datetime(2026, 11, 27, 9, 30)

PRODUCT = SimpleNamespace(id=3, name=NASTY, category=NASTY, customer_price=50_000, reseller_price=45_000,
                          stock_count=4, sold_count=2, is_active=False, name_en=NASTY, kind="stock", warranty_days=7,
                          max_quantity=1, content=NASTY, file_id="BQAC", file_name=NASTY)
UNLIMITED = SimpleNamespace(**{**PRODUCT.__dict__, "kind": "unlimited", "warranty_days": 0, "max_quantity": 3})
USER = SimpleNamespace(id=7001, name=NASTY, username="a_b", bank_id="USR001", is_reseller=True, account_balance=5,
                       is_banned=True, ban_reason=NASTY, blocked_bot=True, created_at=WHEN, email=NASTY,
                       whatsapp_number="+62 <8>")
ORDER = SimpleNamespace(id=1, invoice_id="TRX20261127ABC123", is_topup=False, is_purchase=True, subtotal=50_000,
                        fee=660, total_bill=50_660, gateway_amount=50_660, gateway_fee=330, payment_method="qris",
                        status="paid", user_id=7001, created_at=WHEN, expires_at=WHEN, paid_at=WHEN, paid_late=True,
                        closed_at=WHEN, settlement="credited", delivered_at=None, delivery_attempts=2, promo_id=1,
                        promo=SimpleNamespace(code=NASTY), discount=5_000)
PROMO = SimpleNamespace(code="HEMAT10", kind="percent", value=10, max_discount=20_000, min_spend=50_000, product_id=3,
                        product=PRODUCT, category=NASTY, quota=100, per_user=1, starts_at=WHEN, ends_at=WHEN,
                        resellers=False, is_active=False, held=2)
FIXED_PROMO = SimpleNamespace(code="POTONG5", kind="fixed", value=5_000, max_discount=None, min_spend=0,
                              product_id=None, category=None, quota=None, per_user=None, starts_at=None, ends_at=None,
                              resellers=True, is_active=True, held=0)
STANDING = SimpleNamespace(referrer=USER, referred=4, earned=25_000)
ITEM = SimpleNamespace(product_name=NASTY, product_id=3, quantity=2, price_per_unit=25_000)
EVENT = SimpleNamespace(created_at=WHEN, action="payment.paid", detail=NASTY)
REFUND_ENTRY = SimpleNamespace(delta=50_660, created_at=WHEN, balance_after=50_665)
FULFILMENT = SimpleNamespace(state="rejected", created_at=WHEN, decided_at=WHEN, admin_id=900_001)
CLAIM = SimpleNamespace(id=12, product_id=3, description=NASTY, created_at=WHEN, decided_at=WHEN, state="replaced",
                        admin_id=900_001)
FIELD = SimpleNamespace(label=NASTY, pattern=NASTY)
STATS = {"total_users": 1, "total_transactions": 2, "active_orders": 3, "revenue_today": 4,
         "top_products": [{"id": 1, "name": NASTY, "sold": 9}]}

CALLS = [
    lambda: admin_views.usage(SAY, "addstock", "admin.reason.no_such_user", {"query": NASTY}),
    lambda: admin_views.usage(SAY, "addproduct", "admin.reason.not_a_number",
                              {"what": Term("admin.what.product_id"), "typed": NASTY}),
    lambda: admin_views.admin_help(SAY, ["admin", "recheck", "orders"], gateway=NASTY, default=1, maximum=2)[0],
    lambda: admin_views.product_added(SAY, PRODUCT),
    lambda: admin_views.product_edited(SAY, PRODUCT, ["name", "customer_price"]),
    lambda: admin_views.product_switched(SAY, PRODUCT),
    lambda: admin_views.category_named(SAY, NASTY, NASTY),
    lambda: admin_views.category_named(SAY, NASTY, ""),
    lambda: admin_views.product_list(SAY, [PRODUCT, UNLIMITED] * 3)[0],
    lambda: admin_views.goods_set(SAY, UNLIMITED),
    lambda: admin_views.fields_set(SAY, PRODUCT, [FIELD, SimpleNamespace(label=NASTY, pattern=None)]),
    lambda: admin_views.manual_card(SAY, ORDER, USER, [ITEM], [(NASTY, NASTY)], FULFILMENT, reminder=True),
    lambda: admin_views.claim_card(SAY, CLAIM, ORDER, USER, [ITEM], NASTY, 25_000),
    lambda: admin_views.decided_by(SAY, USER, USER.id, "completed", WHEN),
    lambda: admin_views.stock_counts(SAY, PRODUCT, StockCounts(1, 2, 3)),
    lambda: SAY("admin.stock.importing", count=100_000, id=PRODUCT.id, name=NASTY),
    lambda: admin_views.stock_imported(SAY, PRODUCT, ImportResult(1, 2, 3, 4), 5),
    lambda: SAY("admin.stock.file_not_txt"),
    lambda: SAY("admin.stock.file_too_big", megabytes=admin_views.megabytes(20 * 1024 * 1024, 0)),
    lambda: SAY("admin.user.missing", query=NASTY),
    lambda: admin_views.user_profile(SAY, USER, 3, 2, 100_000),
    lambda: admin_views.user_banned(SAY, USER),
    lambda: SAY("admin.user.unbanned", user=admin_views.user_label(SAY, USER)),
    lambda: admin_views.role_set(SAY, USER),
    lambda: admin_views.balance_adjusted(SAY, USER, -5000, 10, None),
    lambda: admin_views.balance_adjusted(SAY, USER, 5000, 10, False),
    lambda: admin_views.balance_short(SAY, USER, 5, -6),
    lambda: SAY("admin.order.missing", invoice=NASTY),
    lambda: admin_views.order_detail(SAY, ORDER, USER, [ITEM], [EVENT], NASTY, REFUND_ENTRY)[0],
    lambda: admin_views.refund_refused(SAY, "already", ORDER, REFUND_ENTRY),
    lambda: admin_views.refund_refused(SAY, "too_much", ORDER, None),
    lambda: admin_views.refund_done(SAY, SimpleNamespace(order=ORDER, amount=5, entry=REFUND_ENTRY), USER, True),
    lambda: admin_views.order_detail(SAY, ORDER, USER, [ITEM], [EVENT], NASTY, REFUND_ENTRY, [(NASTY, NASTY)],
                                     FULFILMENT)[0],
    lambda: admin_views.goods(SAY, [NASTY, NASTY]),
    lambda: SAY("admin.order.goods_caption", invoice=NASTY, count=2),
    lambda: admin_views.order_list(SAY, [ORDER], {1: NASTY})[0],
    lambda: SAY("admin.recheck.closed", invoice=NASTY, status=NASTY, gateway=NASTY),
    lambda: SAY("admin.order.not_a_mismatch", invoice=NASTY),
    lambda: admin_views.stats(SAY, STATS, [SimpleNamespace(product_id=3, name=NASTY, total=5, open=1, replaced=3,
                                                            refunded=1)]),
    lambda: admin_views.maintenance_switched(SAY, True, False),
    lambda: SAY("admin.backup.caption", megabytes=admin_views.megabytes(3_000_000)),
    lambda: SAY("admin.backup.too_big", megabytes=admin_views.megabytes(60_000_000, 0), limit=50),
    lambda: admin_views.broadcast_progress(SAY, Tally(2, 3, 4, 5)),
    lambda: admin_views.broadcast_finished(SAY, Tally(10, 7, 2, 1), 75.0, stopped=True),
    lambda: SAY("admin.broadcast.refused", reason=NASTY),
    lambda: admin_views.usage(SAY, "editproduct", "admin.reason.description_format",
                              {"problem": FormatError("admin.format.unknown_tag", tag=NASTY, allowed=NASTY)}),
    lambda: admin_views.line_page(SAY, PRODUCT, LinePage([ListedLine(12, ("<", "&"), WHEN), ListedLine(13, None, WHEN)],
                                                         0, 3, 50)),
    lambda: admin_views.line_page(SAY, PRODUCT, LinePage([], 0, 1, 0)),
    lambda: admin_views.lines_removed(SAY, Removal([1, 2], [Refusal(3, "reserved", NASTY), Refusal(4, "sold", NASTY),
                                                            Refusal(5, "missing"), Refusal(6, "removed")]))[0],
    lambda: SAY("admin.lines.replaced", old=1, new=2, first="<", last="&"),
    lambda: SAY("admin.lines.clear_question", id=3, name=NASTY, count=4),
    lambda: SAY("admin.product.delete_question", id=3, name=NASTY, available=4, sold=2),
    lambda: SAY("admin.product.category_renamed", old=NASTY, new=NASTY, count=2),
    lambda: admin_views.storefront_texts(SAY, {"welcome": True, "help": False}),
    lambda: admin_views.storefront_text(SAY, "welcome", NASTY, True),
    lambda: admin_views.promo_saved(SAY, PROMO, added=True),
    lambda: admin_views.promo_saved(SAY, FIXED_PROMO, added=False),
    lambda: admin_views.promo_list(SAY, [SimpleNamespace(promo=PROMO, uses=3, discount=15_000,
                                                         revenue=135_000)] * 30)[0],
    lambda: admin_views.promo_list(SAY, [])[0],
    lambda: admin_views.stats_overview(SAY, STATS, referrers=[STANDING] * 5),
    lambda: admin_views.usage(SAY, "addpromo", "admin.reason.promo_date", {"what": Term("admin.what.ends"),
                                                                             "typed": NASTY}),
]


def call_name(call) -> str:
    source = inspect.getsource(call).strip().removeprefix("lambda: ")
    return re.match(r"[\w.]+\(\w*,? ?\"?[\w.]*", source).group(0)


@pytest.mark.parametrize("make", CALLS, ids=[call_name(call) for call in CALLS])
def test_each_admin_text_parses_as_telegram_html(make):
    text = make()
    parsed = parse_formatted(text, "HTML")
    assert len(text) <= 4096
    assert "<script>" not in parsed.text or NASTY in parsed.text


def test_figures_are_written_the_way_the_catalogue_writes_them():
    assert "100.000" in says("admin.stock.importing", count=100_000, id=3, name="X")
    assert SAY.money(30_000) in admin_views.balance_adjusted(SAY, USER, -5000, 30_000, True)
    assert str(admin_views.megabytes(3_000_000)) == "2.9" and admin_views.megabytes(60_000_000, 0) == 57


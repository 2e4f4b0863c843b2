"""Every text template is valid Telegram HTML, whatever names and goods contain."""
from __future__ import annotations

import inspect
from datetime import datetime
from types import SimpleNamespace

import pytest

from quickcart import texts
from quickcart.sandbox.telegram_format import parse_formatted

NASTY = "<b>Tom & Jerry</b> <script> 5 > 3 &amp; _under_ *star*"


def fake_order(**changes):
    order = SimpleNamespace(invoice_id="TRX20261127ABC123", is_topup=False, is_purchase=True, subtotal=50_000,
                            fee=660, total_bill=50_660, payment_method="qris", status="paid", paid_late=True,
                            settlement=None, gateway_amount=50_660, kind="purchase")
    order.__dict__.update(changes)
    order.charged_fee = order.total_bill - order.subtotal
    return order


ITEM = SimpleNamespace(product_name=NASTY, quantity=2, price_per_unit=25_000)
USER = SimpleNamespace(name=NASTY, username="a_b", id=1, bank_id="USR001", is_reseller=True, account_balance=5,
                       email=NASTY, whatsapp_number="+62 <8>")
PRODUCT = SimpleNamespace(name=NASTY, description=NASTY, stock_count=3, sold_count=1)
TRANSACTION = SimpleNamespace(account=NASTY, order_id=NASTY, amount=5, status=NASTY)
ENTRY = SimpleNamespace(delta=-5000, reason="purchase", created_at=datetime(2026, 11, 27))

CALLS = [
    lambda: texts.welcome(NASTY, NASTY),
    lambda: texts.help_text(NASTY, NASTY, 10),
    lambda: texts.account(USER, 3, 150_000),
    lambda: texts.products_title(NASTY, 0, 3),
    lambda: texts.product_card(PRODUCT, 50_000, 2, True),
    lambda: texts.choose_payment(NASTY, 2, 25_000, 50_000, 660, 10, False),
    lambda: texts.qr_caption(fake_order(), [ITEM], "16:50 WIB"),
    lambda: texts.order_closed_caption(fake_order(), True),
    lambda: texts.purchase_success(fake_order(), [ITEM], NASTY + "\n" + NASTY),
    lambda: texts.purchase_success(fake_order(payment_method="balance"), [ITEM], None),
    lambda: texts.late_payment_delivered(NASTY),
    lambda: texts.late_payment_credited(NASTY, 5, 6, 7),
    lambda: texts.mismatch_credited(NASTY, 5, 6),
    lambda: texts.order_needs_admin(NASTY),
    lambda: texts.mismatch_closed(NASTY),
    lambda: texts.below_gateway_minimum(5, 500),
    lambda: texts.too_many_pending(2),
    lambda: texts.open_order_button(fake_order()),
    lambda: texts.topup_success(fake_order(is_topup=True), 9),
    lambda: texts.order_detail(fake_order(settlement="credited"), [ITEM], "a", "b"),
    lambda: texts.balance_screen(5, [ENTRY], lambda moment: "27/11"),
    lambda: texts.notice_sale(fake_order(), [ITEM], NASTY),
    lambda: texts.notice_topup(fake_order(), NASTY),
    lambda: texts.notice_low_stock(NASTY, 1, 2),
    lambda: texts.notice_mismatch(fake_order(invoice_id=NASTY), NASTY, TRANSACTION),
    lambda: texts.notice_late(NASTY, NASTY),
    lambda: texts.notice_error(NASTY, 3),
    lambda: texts.goods_document_caption(NASTY),
]


CALL_NAMES = [inspect.getsource(call).split("texts.")[1].split("(")[0] for call in CALLS]


@pytest.mark.parametrize("make", CALLS, ids=CALL_NAMES)
def test_each_template_parses_as_telegram_html(make):
    parsed = parse_formatted(make(), "HTML")
    assert "<script>" not in parsed.text or NASTY in parsed.text


def test_constant_texts_parse_too():
    for name in dir(texts):
        value = getattr(texts, name)
        if name.isupper() and isinstance(value, str):
            parse_formatted(value, "HTML")

"""check-data's invariants: each one notices the inconsistency it is about."""
from __future__ import annotations

from datetime import timedelta

import pytest

from quickcart import catalogue, orders, stock
from quickcart.checks import data_findings
from quickcart.models import PAID, QRIS, REMOVED, Order, Product, StockLine
from quickcart.timeutil import utcnow
from tests.unit.helpers import FEES, make_user, paid_purchase


def failing(what: str) -> str | None:
    found = [finding for finding in data_findings() if finding.what == what]
    assert len(found) == 1
    return None if found[0].ok else found[0].detail


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Canva Pro 1 Bulan", "Desain", 15_000, 14_000)
    stock.add_lines(item.id, ["canva-1", "canva-2"])
    return item


def test_a_settled_purchase_passes_every_check(product):
    paid_purchase(make_user(1), product, 1, utcnow())
    assert all(finding.ok for finding in data_findings())


@pytest.mark.breaks_invariants
def test_a_paid_purchase_without_its_lines_or_a_credit_is_reported(product):
    order = orders.create_purchase(make_user(2), product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=2)
    Order.update(status=PAID).where(Order.id == order.id).execute()
    assert order.invoice_id in failing("settlement")


@pytest.mark.breaks_invariants
def test_an_order_left_pending_long_past_its_expiry_is_reported(product):
    order = orders.create_purchase(make_user(3), product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=3)
    Order.update(expires_at=utcnow() - timedelta(minutes=6)).where(Order.id == order.id).execute()
    assert order.invoice_id in failing("expiry")


@pytest.mark.breaks_invariants
def test_a_line_reserved_for_a_closed_order_is_reported(product):
    order = orders.create_purchase(make_user(4), product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=4)
    Order.update(status="expired").where(Order.id == order.id).execute()
    assert "1 line(s) reserved" in failing("reservations")


def test_lines_an_admin_removed_pass_every_check(product):
    stock.remove_lines([line.id for line in StockLine.select().where(StockLine.product == product.id)], 1)
    assert Product.get_by_id(product.id).stock_count == 0
    assert all(finding.ok for finding in data_findings())


@pytest.mark.breaks_invariants
def test_a_removed_line_still_held_by_an_order_is_reported(product):
    order = orders.create_purchase(make_user(5), product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=5)
    StockLine.update(state=REMOVED).where(StockLine.order == order.id).execute()
    assert "1 removed stock line(s)" in failing("removals")

"""Refunds to the balance: at most what was paid, once per order, only for a paid purchase."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest

from quickcart import catalogue, refunds, stock
from quickcart.checks import data_findings
from quickcart.models import CREDITED, AuditLog, LedgerEntry, Order, User
from quickcart.refunds import RefundRefused, Refusal
from tests.unit.helpers import make_user, paid_purchase, paid_topup

PAID_AT = datetime(2026, 11, 20, 3, 0)


@pytest.fixture
def sale(db):
    """A paid QRIS purchase of Rp50.000 (+ fee) by Budi."""
    product = catalogue.add_product(0, "Netflix", "Streaming", 50_000, 45_000, "")
    stock.add_lines(product.id, ["a:1", "b:2"])
    return paid_purchase(make_user(7001), product, 1, PAID_AT)


def refused(order, amount=None) -> Refusal:
    with pytest.raises(RefundRefused) as caught:
        refunds.refund(1, order, amount)
    return caught.value.why


def test_a_full_refund_credits_what_was_paid_fee_included_and_is_audited(sale):
    done = refunds.refund(1, sale, reason="akun mati")
    assert done.amount == sale.total_bill == 50_000 + 50_000 * 70 // 10_000 + 310
    assert User.get_by_id(7001).account_balance == sale.total_bill
    entry = LedgerEntry.get(LedgerEntry.order == sale.id)
    assert (entry.reason, entry.delta, entry.admin_id, entry.note) == ("refund", sale.total_bill, 1, "akun mati")
    audit = AuditLog.get(AuditLog.action == "order.refund")
    assert (audit.actor_id, audit.subject, audit.detail) == (1, f"order:{sale.invoice_id}", "akun mati")


def test_a_second_refund_of_the_same_order_is_refused_even_after_a_partial_one(sale):
    refunds.refund(1, sale, 10_000)
    assert refused(sale, 10_000) is Refusal.ALREADY
    assert refused(sale) is Refusal.ALREADY
    assert User.get_by_id(7001).account_balance == 10_000


def test_more_than_was_paid_is_refused_and_changes_nothing(sale):
    assert refused(sale, sale.total_bill + 1) is Refusal.TOO_MUCH
    assert User.get_by_id(7001).account_balance == 0 and not LedgerEntry.select().exists()
    refunds.refund(1, sale, sale.total_bill)  # exactly what was paid is allowed


def test_unpaid_topup_and_already_credited_orders_are_refused(sale):
    user = User.get_by_id(7001)
    pending = Order.create(invoice_id="TRX1", user=user, kind="purchase", subtotal=1000, total_bill=1310,
                           payment_method="qris", chat_id=7001)
    assert refused(pending) is Refusal.NOT_PAID
    assert refused(paid_topup(user, 20_000, PAID_AT)) is Refusal.TOPUP
    Order.update(settlement=CREDITED).where(Order.id == sale.id).execute()
    assert refused(Order.get_by_id(sale.id)) is Refusal.CREDITED


def test_racing_refunds_of_one_order_credit_it_once(sale):
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            refunds.refund(1, sale)
            outcomes.append("refunded")
        except RefundRefused as refusal:
            outcomes.append(refusal.why.value)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["already", "already", "already", "refunded"]
    assert User.get_by_id(7001).account_balance == sale.total_bill


def test_an_after_refund_hook_runs_inside_the_refund_and_a_failing_one_undoes_it(sale, monkeypatch):
    seen = []

    def remember(done):
        seen.append((done.order.invoice_id, done.amount, LedgerEntry.select().count()))

    monkeypatch.setattr(refunds, "AFTER_REFUND", [remember])
    refunds.refund(1, sale, 5_000)
    assert seen == [(sale.invoice_id, 5_000, 1)]

    other = paid_purchase(User.get_by_id(7001), catalogue.get(sale.items[0].product_id), 1, PAID_AT)

    def fail(done):
        raise RuntimeError("voucher could not be given back")

    monkeypatch.setattr(refunds, "AFTER_REFUND", [fail])
    with pytest.raises(RuntimeError):
        refunds.refund(1, other)
    assert refunds.previous_refund(other) is None and User.get_by_id(7001).account_balance == 5_000


@pytest.mark.breaks_invariants
def test_check_data_flags_a_refund_over_what_was_paid(sale):
    refunds.refund(1, sale)
    LedgerEntry.update(delta=sale.total_bill + 1).where(LedgerEntry.order == sale.id).execute()
    finding = next(f for f in data_findings() if f.what == "refunds")
    assert not finding.ok and sale.invoice_id in finding.detail

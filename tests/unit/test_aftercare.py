"""Manual fulfilment and warranty claims decided once, refunds once, reminders on time (domain level)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from quickcart import admin_cards, balance, buyer_fields, catalogue, manual, orders, refunds, stock, warranty
from quickcart.i18n import speaker
from quickcart.models import (
    COMPLETED,
    OPEN,
    PAID,
    REFUNDED,
    REJECTED,
    REPLACED,
    SOLD,
    LedgerEntry,
    ManualFulfilment,
    Order,
    Product,
    StockLine,
    User,
    WarrantyClaim,
)
from quickcart.timeutil import utcnow
from tests.unit.helpers import make_user

pytestmark = pytest.mark.usefixtures("no_sockets")


def race(count: int, action) -> list:
    results = []
    threads = [threading.Thread(target=lambda: results.append(action())) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def paid_manual_order(service, gateway):
    product = catalogue.add_product(1, "Joki Rank", "Game", 40_000, 40_000)
    catalogue.edit_product(1, product.id, {"kind": "manual"})
    catalogue.set_fields(1, product.id, buyer_fields.dump(buyer_fields.parse_spec("Akun")))
    buyer = make_user(51)
    order = service.checkout_qris(buyer, product.id, 1, "51-a", buyer.id, fields=["akun@mail.test"]).order
    gateway.pay(order.invoice_id)
    service.confirm(order, "test")
    return Order.get_by_id(order.id)


def test_two_admins_completing_at_once_make_one_completion(paid_manual_order):
    decisions = race(6, lambda: manual.complete(900_001, paid_manual_order.id, "kode: ABC"))
    assert sum(decision.won for decision in decisions) == 1
    fulfilment = manual.get(paid_manual_order.id)
    assert (fulfilment.state, fulfilment.reply_text, fulfilment.told_at) == (COMPLETED, "kode: ABC", None)
    assert fulfilment.tell_claimed_at is not None
    assert manual.reject(900_002, paid_manual_order.id, "telat").won is False
    assert Product.get_by_id(orders.items(paid_manual_order)[0].product_id).sold_count == 1


def test_a_rejection_refunds_what_was_paid_once_whatever_races(paid_manual_order):
    decisions = race(6, lambda: manual.reject(900_001, paid_manual_order.id, "slot penuh"))
    assert sum(decision.won for decision in decisions) == 1
    refunded = LedgerEntry.select().where(LedgerEntry.reason == balance.REFUND)
    assert [(entry.delta, entry.order_id) for entry in refunded] == [(paid_manual_order.total_bill,
                                                                     paid_manual_order.id)]
    assert User.get_by_id(paid_manual_order.user_id).account_balance == paid_manual_order.total_bill
    assert manual.get(paid_manual_order.id).state == REJECTED


def test_an_order_refunded_another_way_is_not_rejected_and_refunded_again(paid_manual_order):
    refunds.refund(900_001, paid_manual_order, 1_000, "refund by hand")  # an admin's /refund
    with pytest.raises(refunds.RefundRefused):
        manual.reject(900_001, paid_manual_order.id, "slot penuh")
    assert manual.get(paid_manual_order.id).state == "waiting"
    assert User.get_by_id(paid_manual_order.user_id).account_balance == 1_000


def test_admins_are_reminded_of_an_order_waiting_past_the_sla_once_per_period(paid_manual_order):
    sla = timedelta(minutes=30)
    created = manual.get(paid_manual_order.id).created_at
    assert manual.claim_reminders(sla, now=created + timedelta(minutes=29)) == []
    assert [o.id for o in manual.claim_reminders(sla, now=created + timedelta(minutes=31))] == [paid_manual_order.id]
    assert manual.claim_reminders(sla, now=created + timedelta(minutes=45)) == []
    assert len(manual.claim_reminders(sla, now=created + timedelta(minutes=62))) == 1
    manual.complete(900_001, paid_manual_order.id)
    assert manual.claim_reminders(sla, now=created + timedelta(hours=5)) == []


class CardsPosted:
    def __init__(self):
        self.cards = []

    def post_card(self, render):
        self.cards.append(render)


def test_the_desk_sends_the_card_again_for_an_overdue_order(paid_manual_order):
    notifier = CardsPosted()
    desk = admin_cards.AdminDesk(notifier, sla_minutes=30)
    assert desk.remind_overdue() == 0
    ManualFulfilment.update(created_at=utcnow() - timedelta(minutes=31)).execute()
    assert desk.remind_overdue() == 1 and desk.remind_overdue() == 0
    text, markup = notifier.cards[0](speaker())
    assert paid_manual_order.invoice_id in text and len(markup.keyboard[0]) == 2


@pytest.fixture
def warranted_order(service, gateway):
    product = catalogue.add_product(1, "Netflix 1 Bulan", "Streaming", 50_000, 45_000)
    catalogue.edit_product(1, product.id, {"warranty_days": 7})
    stock.add_lines(product.id, ["akun-1:pw", "akun-2:pw", "akun-3:pw"])
    buyer = make_user(61)
    order = service.checkout_qris(buyer, product.id, 2, "61-a", buyer.id).order
    gateway.pay(order.invoice_id)
    service.confirm(order, "test")
    return Order.get_by_id(order.id)


def test_one_open_claim_per_line_and_replacements_sold_once(warranted_order):
    buyer = User.get_by_id(warranted_order.user_id)
    first, second = warranty.claimable_lines(warranted_order)
    claim = warranty.open_claim(buyer, warranted_order.id, first.id, "mati")
    with pytest.raises(warranty.ClaimRefused):
        warranty.open_claim(buyer, warranted_order.id, first.id, "mati lagi")
    decisions = race(5, lambda: warranty.replace(900_001, claim.id))
    assert sum(decision.won for decision in decisions) == 1
    claim = warranty.get(claim.id)
    replacement = StockLine.get_by_id(claim.replacement_line_id)
    assert (claim.state, replacement.state, replacement.order_id) == (REPLACED, SOLD, None)
    assert [line.id for line in warranty.claimable_lines(warranted_order)] == [second.id, replacement.id]
    assert Product.get_by_id(claim.product_id).stock_count == 0


def test_a_replacement_with_no_stock_left_decides_nothing(warranted_order):
    buyer = User.get_by_id(warranted_order.user_id)
    lines = warranty.claimable_lines(warranted_order)
    claims = [warranty.open_claim(buyer, warranted_order.id, line.id, "mati") for line in lines]
    assert warranty.replace(900_001, claims[0].id).won
    with pytest.raises(stock.StockShort):
        warranty.replace(900_001, claims[1].id)
    assert warranty.get(claims[1].id).state == OPEN and warranty.get(claims[1].id).replacement_line_id is None
    decision = warranty.refund(900_001, claims[1].id)
    assert decision.won and warranty.get(claims[1].id).state == REFUNDED
    assert warranty.refund(900_002, claims[1].id).won is False
    assert User.get_by_id(buyer.id).account_balance == 50_000, "the unit price, once"


def test_one_refund_per_order_so_a_second_claims_refund_is_refused_and_decides_nothing(warranted_order):
    buyer = User.get_by_id(warranted_order.user_id)
    first, second = (warranty.open_claim(buyer, warranted_order.id, line.id, "mati")
                     for line in warranty.claimable_lines(warranted_order))
    assert warranty.refund(900_001, first.id).won
    with pytest.raises(refunds.RefundRefused):
        warranty.refund(900_001, second.id)
    assert warranty.get(second.id).state == OPEN
    assert User.get_by_id(buyer.id).account_balance == 50_000
    assert warranty.replace(900_001, second.id).won, "it can still be replaced"


def test_the_warranty_runs_from_payment_for_the_days_the_item_was_sold_with(warranted_order):
    buyer = User.get_by_id(warranted_order.user_id)
    paid_at = warranted_order.paid_at
    assert warranty.under_warranty(warranted_order, paid_at + timedelta(days=6, hours=23))
    assert not warranty.under_warranty(warranted_order, paid_at + timedelta(days=7))
    catalogue.edit_product(1, orders.items(warranted_order)[0].product_id, {"warranty_days": 30})
    assert not warranty.under_warranty(warranted_order, paid_at + timedelta(days=8)), "an edit changes no sale"
    Order.update(paid_at=paid_at - timedelta(days=8)).where(Order.id == warranted_order.id).execute()
    with pytest.raises(warranty.ClaimRefused) as refused:
        warranty.open_claim(buyer, warranted_order.id, warranty.claimable_lines(warranted_order)[0].id, "mati")
    assert refused.value.reason == warranty.NOT_COVERED
    assert WarrantyClaim.select().count() == 0


def test_a_claim_on_a_line_of_another_order_is_refused(warranted_order, service, gateway):
    other = make_user(62)
    with pytest.raises(warranty.ClaimRefused):
        warranty.open_claim(other, warranted_order.id, warranty.claimable_lines(warranted_order)[0].id, "x")
    assert Order.get_by_id(warranted_order.id).status == PAID
    assert WarrantyClaim.select().count() == 0

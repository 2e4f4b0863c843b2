"""Promo codes: what they take off, who may use them, and every use counted exactly once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from quickcart import catalogue, promotions, refunds, stats, stock
from quickcart.checks import data_findings
from quickcart.gateways.base import GatewayUnavailable
from quickcart.models import CANCELLED, EXPIRED, PAID, Order, Promo, User
from quickcart.payments import CheckoutFailure, Outcome
from quickcart.promotions import PromoRefused, Refusal
from quickcart.timeutil import DayRange, jakarta_today, utcnow
from tests.unit.helpers import make_user

pytestmark = pytest.mark.usefixtures("no_sockets")


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Netflix Premium", "Streaming", 50_000, 45_000)
    stock.add_lines(item.id, [f"akun-{n}:pw" for n in range(20)])
    return item


def add(code="HEMAT10", kind="percent", value=10, **options) -> Promo:
    return promotions.add(1, code, kind, value, options)


def refusal(code, user, product, quantity=1) -> Refusal:
    with pytest.raises(PromoRefused) as refused:
        promotions.check(code, user, product, quantity)
    return refused.value.why


def checkout(service, user, product, promo=None, quantity=1, quoted=None):
    token = f"{user.id}-{Order.select().count():08d}"
    return service.checkout_qris(user, product.id, quantity, token, user.id, quoted,
                                 promo_id=promo.id if promo else None)


def counters(promo) -> tuple[int, int]:
    fresh = Promo.get_by_id(promo.id)
    return fresh.held, fresh.used


# --- what a code takes off ---------------------------------------------------------------

def test_a_percent_code_rounds_down_and_stops_at_its_maximum_a_fixed_one_takes_its_amount(db):
    ten = add(value=10, max_discount=7_000)
    assert promotions.discount_for(ten, 50_005) == 5_000
    assert promotions.discount_for(ten, 100_000) == 7_000
    fixed = add("POTONG", "fixed", 15_000)
    assert promotions.discount_for(fixed, 50_000) == 15_000


def test_a_code_never_makes_an_order_free(db):
    assert promotions.discount_for(add("GRATIS", "percent", 100), 50_000) == 49_999
    assert promotions.discount_for(add("BESAR", "fixed", 80_000), 50_000) == 49_999


def test_the_summary_price_is_the_order_price_and_the_fee_is_on_what_is_left(service, product):
    promo = add(value=10)
    buyer = make_user(5001)
    quote = service_quote(service, product, buyer, promo)
    assert (quote.subtotal, quote.discount, quote.charged) == (50_000, 5_000, 45_000)
    assert quote.fee == service.fees.fee(45_000)
    order = checkout(service, buyer, product, promo, quoted=quote.charged).order
    assert (order.subtotal, order.discount, order.promo_id) == (45_000, 5_000, promo.id)
    assert order.gateway_amount == order.total_bill == 45_000 + service.fees.fee(45_000)
    assert service.gateway.detail(order.invoice_id, order.gateway_amount).amount == order.gateway_amount


def service_quote(service, product, user, promo):
    from quickcart import orders
    return orders.quote(product, user, 1, service.fees, promo=promo)


# --- who may use it --------------------------------------------------------------------------

def test_each_rule_refuses_with_its_reason(product):
    other = catalogue.add_product(1, "Spotify", "Musik", 20_000, 19_000)
    buyer, reseller = make_user(5002), make_user(5003, reseller=True)
    now = utcnow()
    add("LATER", starts_at=now + timedelta(days=1))
    add("OVER", ends_at=now - timedelta(minutes=1))
    add("BIG", min_spend=100_000)
    add("ONLYSPOTIFY", product=other.id)
    add("MUSIK", category="musik")
    add("NORESELLER", resellers=False)
    promotions.disable(1, add("OFF").code)
    assert refusal("nope", buyer, product) is Refusal.UNKNOWN
    assert refusal("off", buyer, product) is Refusal.UNKNOWN
    assert refusal("later", buyer, product) is Refusal.NOT_STARTED
    assert refusal("over", buyer, product) is Refusal.ENDED
    assert refusal("big", buyer, product) is Refusal.MIN_SPEND
    assert promotions.check("big", buyer, product, 2).code == "BIG", "two units reach the minimum"
    assert refusal("onlyspotify", buyer, product) is Refusal.PRODUCT
    assert promotions.check("onlyspotify", buyer, other, 1).code == "ONLYSPOTIFY"
    assert refusal("musik", buyer, product) is Refusal.CATEGORY
    assert promotions.check("musik", buyer, other, 1).category == "Musik", "the shop's spelling is kept"
    assert refusal("noreseller", reseller, product) is Refusal.RESELLERS
    assert promotions.check("noreseller", buyer, product, 1)


def test_a_customer_may_use_a_code_as_often_as_it_allows(service, product):
    promo = add(per_user=1)
    buyer = make_user(5004)
    first = checkout(service, buyer, product, promo)
    assert first.ok
    assert refusal(promo.code, buyer, product) is Refusal.PER_USER
    second = checkout(service, buyer, product, promo)
    assert second.failure is CheckoutFailure.PROMO_REFUSED and second.promo_refusal.why is Refusal.PER_USER
    assert promotions.check(promo.code, make_user(5005), product, 1), "others still may"
    service.close(first.order, CANCELLED, source="test")
    assert promotions.check(promo.code, buyer, product, 1), "a cancelled order gave the use back"


# --- exactly once ------------------------------------------------------------------------------

def test_ten_customers_racing_for_the_last_use_make_exactly_one_discounted_order(service, product):
    promo = add(quota=3)
    for n in range(2):
        assert checkout(service, make_user(5100 + n), product, promo).ok
    racers = [make_user(5200 + n) for n in range(10)]
    results, start = [], threading.Barrier(len(racers))

    def race(user):
        start.wait()
        results.append(checkout(service, user, product, promo))

    threads = [threading.Thread(target=race, args=(user,)) for user in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.ok for result in results) == 1
    assert all(result.promo_refusal.why is Refusal.USED_UP for result in results if not result.ok)
    assert Order.select().where(Order.promo == promo.id).count() == 3
    assert counters(promo) == (3, 0)


def test_a_use_is_held_released_on_expiry_and_cancel_and_counted_when_paid(service, gateway, product):
    promo = add(quota=2)
    paid, expired, refused = (checkout(service, make_user(5300 + n), product, promo) for n in range(3))
    assert (paid.ok, expired.ok, refused.failure) == (True, True, CheckoutFailure.PROMO_REFUSED)
    assert counters(promo) == (2, 0)
    gateway.expire(expired.order.invoice_id)
    assert service.close(expired.order, EXPIRED, source="expiry") is Outcome.CLOSED
    assert counters(promo) == (1, 0)
    gateway.pay(paid.order.invoice_id)
    assert service.confirm(paid.order, "test") is Outcome.PAID
    assert service.confirm(paid.order, "test") is Outcome.ALREADY_PAID
    assert counters(promo) == (0, 1)
    again = checkout(service, make_user(5303), product, promo)
    assert again.ok, "the expired order's use went back"
    assert service.close(again.order, CANCELLED, source="customer") is Outcome.CLOSED
    assert counters(promo) == (0, 1)


def test_a_late_payment_after_the_code_ended_keeps_its_price_and_counts(service, gateway, product):
    promo = add(value=20, quota=1)
    order = checkout(service, make_user(5400), product, promo).order
    service.close(order, CANCELLED, source="customer")
    taker = checkout(service, make_user(5401), product, promo)  # the quota's one use, taken meanwhile
    assert taker.ok
    promotions.edit(1, promo.code, {"value": 50, "ends_at": utcnow() - timedelta(seconds=1)})
    promotions.disable(1, promo.code)
    gateway.pay(order.invoice_id)
    assert service.confirm(order, "late-poll") is Outcome.PAID
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.settlement, settled.subtotal, settled.discount) == (PAID, "delivered", 40_000,
                                                                                       10_000)
    assert counters(promo) == (1, 1), "paid: counted, whatever the quota; the other order still holds its use"


def test_a_paid_order_settled_as_a_credit_does_not_use_the_code(service, gateway, product):
    promo = add()
    only = catalogue.add_product(1, "Langka", "Streaming", 30_000, 30_000)
    stock.add_lines(only.id, ["satu-satunya"])
    late = checkout(service, make_user(5500), only, promo).order
    service.close(late, CANCELLED, source="customer")
    assert checkout(service, make_user(5502), only).ok  # the only line goes to someone else
    gateway.pay(late.invoice_id)
    assert service.confirm(late, "late-poll") is Outcome.PAID
    assert Order.get_by_id(late.id).settlement == "credited"
    assert counters(promo) == (0, 0)


def test_a_refund_gives_the_use_back(service, gateway, product):
    promo = add(quota=1)
    order = checkout(service, make_user(5600), product, promo).order
    gateway.pay(order.invoice_id)
    service.confirm(order, "test")
    assert refusal(promo.code, make_user(5601), product) is Refusal.USED_UP
    refunds.refund(1, Order.get_by_id(order.id), 10_000)
    assert counters(promo) == (0, 0)
    assert promotions.check(promo.code, make_user(5601), product, 1)
    assert [figure.uses for figure in promotions.figures()] == [0]


def test_from_the_balance_the_discounted_subtotal_is_debited_once(service, product):
    promo = add("POTONG", "fixed", 12_500)
    buyer = make_user(5700)
    from quickcart import balance
    balance.admin_adjust(1, buyer, 40_000, "saldo")
    result = service.pay_with_balance(User.get_by_id(buyer.id), product.id, 1, "5700-nonce", buyer.id, 37_500,
                                      promo_id=promo.id)
    assert result.ok
    assert User.get_by_id(buyer.id).account_balance == 2_500
    assert (result.order.subtotal, result.order.discount, result.order.total_bill) == (37_500, 12_500, 37_500)
    assert counters(promo) == (0, 1)
    figure = promotions.figures()[0]
    assert (figure.uses, figure.discount, figure.revenue) == (1, 12_500, 37_500)
    today = jakarta_today()
    figures = stats.period_figures(DayRange(today, today))
    assert (figures.revenue, figures.top[0].revenue) == (37_500, 37_500), "revenue is after the discount"


def test_a_code_edited_after_the_summary_is_a_changed_price_not_a_surprise(service, product):
    promo = add(value=10)
    buyer = make_user(5800)
    shown = service_quote(service, product, buyer, promo).charged
    promotions.edit(1, promo.code, {"value": 20})
    result = checkout(service, buyer, product, promo, quoted=shown)
    assert result.failure is CheckoutFailure.PRICE_CHANGED and result.needed == 40_000
    assert counters(promo) == (0, 0) and Order.select().count() == 0


def test_a_failed_gateway_create_releases_the_use(service, gateway, product, monkeypatch):
    promo = add(quota=1)

    def refuse(order_id, amount):
        raise GatewayUnavailable("timed out")

    monkeypatch.setattr(gateway, "create_qris", refuse)
    result = checkout(service, make_user(5900), product, promo)
    assert result.failure in (CheckoutFailure.GATEWAY_ERROR, CheckoutFailure.GATEWAY_DOWN)
    assert Order.get(Order.promo == promo.id).status == CANCELLED
    assert counters(promo) == (0, 0)


# --- the admins' side and the books --------------------------------------------------------

def test_admin_rules_are_checked_when_a_code_is_saved(product):
    add()
    for code, kind, value, options, key in (
            ("HEMAT10", "fixed", 5_000, {}, "admin.reason.promo_code_taken"),
            ("BANYAK", "percent", 150, {}, "admin.reason.promo_percent_range"),
            ("DUA", "fixed", 5_000, {"product": product.id, "category": "Streaming"},
             "admin.reason.promo_product_or_category"),
            ("HILANG", "fixed", 5_000, {"product": 999}, "admin.reason.no_such_product"),
            ("FILM", "fixed", 5_000, {"category": "Film"}, "admin.reason.no_such_category"),
            ("TERBALIK", "fixed", 5_000, {"starts_at": utcnow(), "ends_at": utcnow() - timedelta(days=1)},
             "admin.reason.promo_ends_before_start")):
        with pytest.raises(promotions.PromoError) as refused:
            promotions.add(1, code, kind, value, options)
        assert refused.value.key == key
    assert Promo.select().count() == 1


def test_editing_a_scope_replaces_the_other_and_off_clears_an_option(product):
    promo = add(category="streaming", quota=5)
    edited = promotions.edit(1, promo.code, {"product": product.id, "quota": None})
    assert (edited.product_id, edited.category, edited.quota) == (product.id, None, None)
    assert promotions.edit(1, promo.code, {"active": False}).is_active is False
    assert promotions.disable(1, promo.code)[1] is False, "already off"


@pytest.mark.breaks_invariants
def test_check_data_reports_a_counter_that_drifted_from_its_orders(service, product):
    promo = add()
    checkout(service, make_user(6000), product, promo)
    Promo.update(held=0, used=2).where(Promo.id == promo.id).execute()
    finding = next(finding for finding in data_findings() if finding.what == "promos")
    assert not finding.ok
    assert finding.detail == "HEMAT10: held 0 != 1 order(s); HEMAT10: used 2 != 0 order(s)"

"""Referrals: tied once, rewarded once per paid order within the window, reversed by a refund."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from quickcart import balance, catalogue, referrals, refunds, stock
from quickcart.checks import data_findings
from quickcart.config import load_config
from quickcart.models import LedgerEntry, Order, ReferralReward, User
from quickcart.payments import Outcome, PaymentService
from quickcart.sandbox.launcher import write_config
from tests.unit.conftest import TOKEN
from tests.unit.helpers import make_user

pytestmark = pytest.mark.usefixtures("no_sockets")


def shop_config(tmp_path, **shop):
    return load_config(write_config(tmp_path / "referrals.ini", {
        "telegram": {"token": TOKEN},
        "pakasir": {"project": "memory-shop", "api_key": "k-unit"},
        "shop": shop,
    }), env={})


@pytest.fixture
def referring(db, tmp_path, gateway, events):
    """The payment service with referrals at 10% for 30 days and 2 orders."""
    payments = PaymentService(shop_config(tmp_path, referral_percent=10, referral_days=30, referral_orders=2),
                              gateway, events)
    yield payments
    payments.stop()


@pytest.fixture
def product(db):
    item = catalogue.add_product(1, "Netflix Premium", "Streaming", 50_000, 45_000)
    stock.add_lines(item.id, [f"akun-{n}:pw" for n in range(10)])
    return item


def paid_order(service, gateway, buyer, product):
    order = service.checkout_qris(buyer, product.id, 1, f"{buyer.id}-{Order.select().count():08d}", buyer.id).order
    gateway.pay(order.invoice_id)
    assert service.confirm(order, "test") is Outcome.PAID
    return Order.get_by_id(order.id)


def rewards_of(user) -> list[tuple[str, int]]:
    return [(entry.reason, entry.delta) for entry in
            LedgerEntry.select().where(LedgerEntry.user == user.id).order_by(LedgerEntry.id)]


# --- the tie ----------------------------------------------------------------------------------

def test_a_new_customer_is_tied_once_never_to_themselves_never_changed(db):
    ani, budi, citra = make_user(8001, "Ani"), make_user(8002, "Budi"), make_user(8003, "Citra")
    assert referrals.tie(ani, ani.bank_id) is False, "not to oneself"
    assert referrals.tie(budi, "USR999") is False, "no such code"
    assert referrals.tie(budi, ani.bank_id.lower()) is True
    assert referrals.tie(budi, ani.bank_id) is False, "the same link again"
    assert referrals.tie(budi, citra.bank_id) is False, "a second link"
    assert referrals.tie(ani, budi.bank_id) is False, "not to someone they brought"
    assert User.get_by_id(budi.id).referred_by_id == ani.id
    assert User.get_by_id(ani.id).referred_by_id is None


def test_a_customer_who_already_ordered_is_not_tied(service, product):
    ani, budi = make_user(8011, "Ani"), make_user(8012, "Budi")
    service.checkout_qris(budi, product.id, 1, "8012-a", budi.id)
    assert referrals.tie(budi, ani.bank_id) is False


def test_the_start_payload_is_read_strictly():
    assert referrals.code_in_start("ref_usr001") == "USR001"
    assert referrals.code_in_start(" ref_USR12 ") == "USR12"
    for payload in ("", "USR001", "ref_", "ref_USR 001", "ref_<b>", "promo_X"):
        assert referrals.code_in_start(payload) is None


# --- the reward --------------------------------------------------------------------------------

def test_each_paid_order_rewards_the_referrer_once_even_when_eight_confirmations_race(referring, gateway, product):
    ani, budi = make_user(8021, "Ani"), make_user(8022, "Budi")
    referrals.tie(budi, ani.bank_id)
    order = referring.checkout_qris(budi, product.id, 1, "8022-a", budi.id).order
    gateway.pay(order.invoice_id)
    outcomes, start = [], threading.Barrier(8)

    def confirm():
        start.wait()
        outcomes.append(referring.confirm(order, "race"))

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(Outcome.PAID) == 1
    assert rewards_of(ani) == [("referral", 5_000)]
    assert ReferralReward.select().count() == 1
    assert referrals.standing(ani).earned == 5_000 and referrals.standing(ani).referred == 1


def test_rewards_stop_after_the_first_orders_and_after_the_first_days(referring, gateway, product):
    ani, budi, citra = make_user(8031, "Ani"), make_user(8032, "Budi"), make_user(8033, "Citra")
    referrals.tie(budi, ani.bank_id)
    referrals.tie(citra, ani.bank_id)
    for _ in range(3):
        paid_order(referring, gateway, budi, product)
    assert rewards_of(ani) == [("referral", 5_000)] * 2, "referral_orders = 2"
    joined = User.get_by_id(citra.id).referred_at
    User.update(referred_at=joined - timedelta(days=30, seconds=1)).where(User.id == citra.id).execute()
    paid_order(referring, gateway, citra, product)
    assert len(rewards_of(ani)) == 2, "referral_days = 30"


def test_no_reward_when_referrals_are_off_or_the_buyer_was_not_referred(service, gateway, product):
    ani, budi, dewi = make_user(8041, "Ani"), make_user(8042, "Budi"), make_user(8043, "Dewi")
    referrals.tie(budi, ani.bank_id)
    paid_order(service, gateway, budi, product)  # the default config: referral_percent = 0
    paid_order(service, gateway, dewi, product)
    assert rewards_of(ani) == [] and ReferralReward.select().count() == 0


# --- the reversal --------------------------------------------------------------------------------

def test_a_refund_reverses_the_reward(referring, gateway, product):
    ani, budi = make_user(8051, "Ani"), make_user(8052, "Budi")
    referrals.tie(budi, ani.bank_id)
    order = paid_order(referring, gateway, budi, product)
    refunds.refund(1, order, 20_000, "akun mati")
    assert rewards_of(ani) == [("referral", 5_000), ("referral_reverse", -5_000)]
    given = ReferralReward.get(ReferralReward.order == order.id)
    assert (given.reversed_amount, given.reversed_at is not None) == (5_000, True)
    assert referrals.standing(ani).earned == 0


def test_a_reward_already_spent_is_taken_back_as_far_as_the_balance_goes(referring, gateway, product):
    ani, budi = make_user(8061, "Ani"), make_user(8062, "Budi")
    referrals.tie(budi, ani.bank_id)
    order = paid_order(referring, gateway, budi, product)
    balance.admin_adjust(1, User.get_by_id(ani.id), -3_000, "spent")
    refunds.refund(1, order)
    assert User.get_by_id(ani.id).account_balance == 0
    assert rewards_of(ani)[-1] == ("referral_reverse", -2_000)
    assert ReferralReward.get(ReferralReward.order == order.id).reversed_amount == 2_000
    assert all(finding.ok for finding in data_findings())


def test_top_referrers_by_what_they_earned_then_whom_they_brought(referring, gateway, product):
    ani, budi, citra, dewi = (make_user(8070 + n, name) for n, name in enumerate(("Ani", "Budi", "Citra", "Dewi")))
    referrals.tie(citra, budi.bank_id)
    referrals.tie(dewi, ani.bank_id)
    referrals.tie(make_user(8075, "Eko"), ani.bank_id)
    paid_order(referring, gateway, citra, product)
    assert [(s.referrer.id, s.referred, s.earned) for s in referrals.top()] == [(budi.id, 1, 5_000), (ani.id, 2, 0)]


@pytest.mark.breaks_invariants
def test_check_data_reports_a_reward_without_its_ledger_row(referring, gateway, product):
    ani, budi = make_user(8081, "Ani"), make_user(8082, "Budi")
    referrals.tie(budi, ani.bank_id)
    order = paid_order(referring, gateway, budi, product)
    ReferralReward.update(amount=4_000).where(ReferralReward.order == order.id).execute()
    finding = next(finding for finding in data_findings() if finding.what == "referrals")
    assert not finding.ok and order.invoice_id in finding.detail


def test_a_manual_order_counts_its_code_and_rewards_until_an_admin_rejects_it(referring, gateway):
    from quickcart import buyer_fields, manual, promotions
    from quickcart.models import Promo

    product = catalogue.add_product(1, "Joki Rank", "Game", 40_000, 40_000)
    catalogue.edit_product(1, product.id, {"kind": "manual"})
    catalogue.set_fields(1, product.id, buyer_fields.dump(buyer_fields.parse_spec("Akun")))
    promo = promotions.add(1, "JOKI", "fixed", 4_000, {})
    ani, budi = make_user(8091, "Ani"), make_user(8092, "Budi")
    referrals.tie(budi, ani.bank_id)
    order = referring.checkout_qris(budi, product.id, 1, "8092-a", budi.id, fields=["akun@mail.test"],
                                    promo_id=promo.id).order
    gateway.pay(order.invoice_id)
    assert referring.confirm(order, "test") is Outcome.PAID
    assert Order.get_by_id(order.id).settlement == "manual"
    assert (Promo.get_by_id(promo.id).used, rewards_of(ani)) == (1, [("referral", 3_600)])
    manual.reject(900_001, order.id, "slot penuh")
    assert Promo.get_by_id(promo.id).used == 0
    assert rewards_of(ani) == [("referral", 3_600), ("referral_reverse", -3_600)]

"""The ledger: every balance change is a row; the balance is their sum, never negative."""
import threading

import pytest

from quickcart import balance
from quickcart.db import immediate
from quickcart.models import LedgerEntry, User
from tests.unit.helpers import make_user


def test_credits_and_debits_are_rows_and_the_balance_is_their_sum(db):
    alice = make_user(1, "Alice")
    with immediate():
        balance.apply(alice.id, 100_000, balance.TOPUP, note="isi")
        balance.apply(alice.id, -30_000, balance.PURCHASE)
    assert User.get_by_id(alice.id).account_balance == 70_000
    assert [entry.balance_after for entry in LedgerEntry.select().order_by(LedgerEntry.id)] == [100_000, 70_000]
    assert balance.verify() == []


def test_a_debit_beyond_the_balance_is_refused_and_changes_nothing(db):
    bob = make_user(2, "Bob")
    with immediate():
        balance.apply(bob.id, 10_000, balance.TOPUP)
    with pytest.raises(balance.InsufficientBalance) as short, immediate():
        balance.apply(bob.id, -10_001, balance.PURCHASE)
    assert short.value.balance == 10_000
    assert User.get_by_id(bob.id).account_balance == 10_000
    assert LedgerEntry.select().count() == 1


def test_admin_adjustments_are_audited_and_can_go_down_but_not_below_zero(db):
    charlie = make_user(3, "Charlie")
    balance.admin_adjust(99, charlie, 25_000, "bonus")
    balance.admin_adjust(99, charlie, -5_000, "koreksi")
    with pytest.raises(balance.InsufficientBalance):
        balance.admin_adjust(99, charlie, -50_000, "terlalu banyak")
    assert User.get_by_id(charlie.id).account_balance == 20_000
    assert balance.verify() == []


def test_parallel_debits_never_take_the_balance_below_zero(db):
    dina = make_user(4, "Dina")
    with immediate():
        balance.apply(dina.id, 50_000, balance.TOPUP)
    outcomes = []

    def spend():
        try:
            with immediate():
                balance.apply(dina.id, -20_000, balance.PURCHASE)
            outcomes.append("ok")
        except balance.InsufficientBalance:
            outcomes.append("short")

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 2 and outcomes.count("short") == 6
    assert User.get_by_id(dina.id).account_balance == 10_000
    assert balance.verify() == []


@pytest.mark.breaks_invariants
def test_verify_reports_a_balance_that_drifted_from_its_ledger(db):
    eko = make_user(5, "Eko")
    with immediate():
        balance.apply(eko.id, 5_000, balance.TOPUP)
    User.update(account_balance=9_999).where(User.id == eko.id).execute()
    assert balance.verify() == [balance.Discrepancy(eko.id, 9_999, 5_000)]

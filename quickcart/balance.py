"""The balance ledger: every change of a user's balance is a row with its reason.

``User.account_balance`` is a cached sum of the user's ledger rows, moved in
the same transaction as the row that changes it, and never below zero (the
database refuses it too). :func:`verify` checks the equality for every user.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from quickcart import audit
from quickcart.db import immediate
from quickcart.models import LedgerEntry, Order, User
from quickcart.timeutil import utcnow

TOPUP = "topup"
PURCHASE = "purchase"
REFUND = "refund"
LATE_CREDIT = "late_credit"
ADMIN = "admin"


class InsufficientBalance(Exception):
    def __init__(self, balance: int, needed: int):
        super().__init__(f"balance {balance} < {needed}")
        self.balance = balance
        self.needed = needed


def apply(user_id: int, delta: int, reason: str, *, order: Order | None = None,
          admin_id: int | None = None, note: str = "") -> LedgerEntry:
    """Change a balance by ``delta`` and record why (inside a transaction).

    A debit larger than the balance raises :class:`InsufficientBalance` and
    changes nothing. The conditional UPDATE makes the check and the change
    one step, whatever else is running.
    """
    if delta == 0:
        raise ValueError("a ledger entry must change the balance")
    changed = (User.update(account_balance=User.account_balance + delta, updated_at=utcnow())
               .where((User.id == user_id) & (User.account_balance + delta >= 0)).execute())
    if changed != 1:
        balance = User.select(User.account_balance).where(User.id == user_id).scalar() or 0
        raise InsufficientBalance(balance, -delta)
    balance_after = User.select(User.account_balance).where(User.id == user_id).scalar()
    return LedgerEntry.create(user=user_id, delta=delta, balance_after=balance_after, reason=reason,
                              order=order, admin_id=admin_id, note=note[:500])


def current(user_id: int) -> int:
    """The user's balance now (inside a transaction, the one it will change)."""
    return User.select(User.account_balance).where(User.id == user_id).scalar() or 0


def admin_adjust(admin_id: int, user: User, delta: int, note: str) -> LedgerEntry:
    with immediate():
        before = User.get_by_id(user.id).account_balance
        entry = apply(user.id, delta, ADMIN, admin_id=admin_id, note=note)
        audit.record("balance.adjust", actor_id=admin_id, subject=f"user:{user.id}",
                     before={"balance": before}, after={"balance": entry.balance_after},
                     detail=note)
    return entry


def recent(user: User, limit: int = 5) -> list[LedgerEntry]:
    return list(LedgerEntry.select().where(LedgerEntry.user == user.id)
                .order_by(LedgerEntry.id.desc()).limit(limit))


@dataclass(frozen=True)
class Discrepancy:
    user_id: int
    balance: int
    ledger_sum: int


def verify() -> list[Discrepancy]:
    """Users whose balance is not the sum of their ledger (should be none)."""
    sums = dict(LedgerEntry.select(LedgerEntry.user, fn.SUM(LedgerEntry.delta))
                .group_by(LedgerEntry.user).tuples())
    problems = []
    for user_id, balance in User.select(User.id, User.account_balance).tuples():
        ledger_sum = int(sums.get(user_id, 0) or 0)
        if balance != ledger_sum or balance < 0:
            problems.append(Discrepancy(user_id, balance, ledger_sum))
    return problems

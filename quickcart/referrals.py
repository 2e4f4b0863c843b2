"""Referrals: a customer shares their link; the purchases of those who join through it earn them balance.

Off unless the owner sets ``shop.referral_percent``.

- **The link**, in Akun: ``https://t.me/<bot>?start=ref_<member id>`` (the
  member id, ``USR001``, is already on the profile; it is no secret).
- **The tie** (:func:`tie`): a customer who opens a link is tied to its
  owner once — never to themselves, never to someone they brought, never
  once they have ordered anything, and never changed later: one conditional
  UPDATE on "no referrer yet".
- **The reward** (:func:`reward`, inside the transaction that settles the
  order): ``referral_percent`` of the subtotal (what the goods cost the
  buyer, after any promo code) of each purchase of a tied customer that is
  paid and sold (delivered, or a manual order handed to the admins; not a
  free item, not a late payment credited back), during their first
  ``referral_days`` days and first ``referral_orders`` such purchases,
  whichever ends first. It goes to the
  referrer's balance through the ledger (reason ``referral``): once per
  order, since the settlement is claimed once and both the reward table and
  the ledger's (order, reason) index are unique.
- **The reversal** (:data:`refunds.AFTER_REFUND`): a refund of the order
  takes the reward back (reason ``referral_reverse``) as far as the
  referrer's balance allows — a balance is never negative; what could not
  be taken back is recorded on the reward and in the audit trail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from peewee import fn

from quickcart import audit, balance, refunds
from quickcart.config import ShopConfig
from quickcart.db import immediate
from quickcart.models import PAID, PURCHASE, LedgerEntry, Order, ReferralReward, User
from quickcart.promotions import SOLD
from quickcart.timeutil import utcnow

REFERRAL = "referral"
REFERRAL_REVERSE = "referral_reverse"
START_PREFIX = "ref_"
_START_PAYLOAD = re.compile(r"ref_([A-Za-z0-9]{1,16})")
TOP_REFERRERS = 5


def code_of(user: User) -> str:
    return user.bank_id


def link(bot_username: str, user: User) -> str:
    return f"https://t.me/{bot_username}?start={START_PREFIX}{code_of(user)}"


def code_in_start(argument: str) -> str | None:
    """The referral code in what followed ``/start`` (Telegram's deep-link payload), if it is one."""
    match = _START_PAYLOAD.fullmatch(argument.strip())
    return match.group(1).upper() if match else None


def tie(user: User, code: str) -> bool:
    """Tie ``user`` to the owner of ``code``, if the rules allow; True only when this call tied them."""
    with immediate():
        referrer = User.get_or_none(User.bank_id == code.upper())
        if referrer is None or referrer.id == user.id or referrer.referred_by_id == user.id:
            return False
        if Order.select().where(Order.user == user.id).exists():
            return False
        tied = User.update(referred_by=referrer.id, referred_at=utcnow()).where(
            (User.id == user.id) & User.referred_by.is_null()).execute() == 1
        if tied:
            audit.record("referral.tied", subject=f"user:{user.id}", after={"referrer": referrer.id})
    return tied


def reward(order: Order, shop: ShopConfig) -> ReferralReward | None:
    """Reward the buyer's referrer for a paid, sold purchase (inside the settling transaction)."""
    if not shop.referrals_on or order.kind != PURCHASE:
        return None
    buyer = User.get_by_id(order.user_id)
    if buyer.referred_by_id is None:
        return None
    now = utcnow()
    if shop.referral_days and now >= buyer.referred_at + timedelta(days=shop.referral_days):
        return None
    if shop.referral_orders:
        earlier = Order.select().where((Order.user == buyer.id) & (Order.kind == PURCHASE) & (Order.status == PAID)
                                       & Order.settlement.in_(SOLD) & (Order.subtotal > 0)
                                       & (Order.id != order.id)).count()
        if earlier >= shop.referral_orders:
            return None
    amount = order.subtotal * shop.referral_percent // 100
    if amount <= 0:
        return None
    given = ReferralReward.create(order=order.id, referrer=buyer.referred_by_id, buyer=buyer.id, amount=amount)
    balance.apply(buyer.referred_by_id, amount, REFERRAL, order=order, note=order.invoice_id)
    return given


def _taken_back(refund: refunds.Refund) -> None:
    """A refund of the order reverses its reward (inside the refund's transaction)."""
    given = ReferralReward.get_or_none((ReferralReward.order == refund.order.id) & ReferralReward.reversed_at.is_null())
    if given is None:
        return
    taken = min(given.amount, balance.current(given.referrer_id))
    if taken > 0:
        balance.apply(given.referrer_id, -taken, REFERRAL_REVERSE, order=refund.order, note=refund.order.invoice_id)
    ReferralReward.update(reversed_at=utcnow(), reversed_amount=taken).where(ReferralReward.id == given.id).execute()
    audit.record("referral.reversed", actor_id=refund.admin_id, subject=f"order:{refund.order.invoice_id}",
                 before={"referrer": given.referrer_id, "reward": given.amount},
                 after={"taken_back": taken, "not_taken_back": given.amount - taken})


if _taken_back not in refunds.AFTER_REFUND:
    refunds.AFTER_REFUND.append(_taken_back)


@dataclass(frozen=True)
class Standing:
    referrer: User
    referred: int  # customers tied to them
    earned: int  # rewards less what refunds took back


def standing(user: User) -> Standing:
    referred = User.select().where(User.referred_by == user.id).count()
    earned = (ReferralReward.select(fn.SUM(ReferralReward.amount - ReferralReward.reversed_amount))
              .where(ReferralReward.referrer == user.id).scalar())
    return Standing(user, referred, int(earned or 0))


def top(limit: int = TOP_REFERRERS) -> list[Standing]:
    """The referrers who earned most (then brought most)."""
    earned = dict(ReferralReward.select(ReferralReward.referrer,
                                        fn.SUM(ReferralReward.amount - ReferralReward.reversed_amount))
                  .group_by(ReferralReward.referrer).tuples())
    referred = dict(User.select(User.referred_by, fn.COUNT(User.id)).where(User.referred_by.is_null(False))
                    .group_by(User.referred_by).tuples())
    best = sorted(set(earned) | set(referred),
                  key=lambda user_id: (-int(earned.get(user_id) or 0), -referred.get(user_id, 0), user_id))[:limit]
    users = {user.id: user for user in User.select().where(User.id.in_(best))} if best else {}
    return [Standing(users[user_id], referred.get(user_id, 0), int(earned.get(user_id) or 0)) for user_id in best]


def books_drift() -> list[str]:
    """Invoices whose referral books do not add up (should be none).

    Each reward is for a paid, sold purchase of a customer tied to the
    referrer, with one ``referral`` ledger row of its amount to the
    referrer; it is reversed exactly when the order was refunded, by a
    ``referral_reverse`` row of what was taken back (at most the reward);
    and no referral ledger row is without its reward.
    """
    rewards = {given.order_id: given for given in ReferralReward.select()}
    rows: dict[tuple[int, str], LedgerEntry] = {
        (entry.order_id, entry.reason): entry for entry in LedgerEntry.select().where(
            LedgerEntry.reason.in_([REFERRAL, REFERRAL_REVERSE, balance.REFUND]) & LedgerEntry.order.is_null(False))}
    orders = {order.id: order for order in Order.select().where(Order.id.in_(list(rewards)))} if rewards else {}
    buyers = {user.id: user for user in User.select().where(
        User.id.in_([given.buyer_id for given in rewards.values()]))} if rewards else {}
    wrong = set()
    for order_id, given in rewards.items():
        order, buyer = orders[order_id], buyers[given.buyer_id]
        credit = rows.get((order_id, REFERRAL))
        undo = rows.get((order_id, REFERRAL_REVERSE))
        refunded = (order_id, balance.REFUND) in rows
        fine = (order.status == PAID and order.kind == PURCHASE and order.settlement in SOLD
                and order.user_id == buyer.id and buyer.referred_by_id == given.referrer_id
                and credit is not None and credit.user_id == given.referrer_id and credit.delta == given.amount
                and refunded == (given.reversed_at is not None)
                and 0 <= given.reversed_amount <= given.amount
                and (-undo.delta if undo is not None else 0) == given.reversed_amount
                and (undo is None or undo.user_id == given.referrer_id))
        if not fine:
            wrong.add(order.invoice_id)
    stray = [order_id for (order_id, reason) in rows if reason != balance.REFUND and order_id not in rewards]
    if stray:
        wrong |= {invoice for (invoice,) in Order.select(Order.invoice_id).where(Order.id.in_(stray)).tuples()}
    return sorted(wrong)

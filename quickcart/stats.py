"""The shop's figures, for ``/stats`` and ``GET /admin/stats`` alike, and by period.

The shape is the seed's::

    {"total_users": 1250, "total_transactions": 3456, "active_orders": 12,
     "revenue_today": 2500000, "top_products": [{"id": 1, "name": "Netflix Premium", "sold": 45}]}

- ``total_transactions``: paid orders of both kinds (purchases and top-ups);
- ``active_orders``: pending orders;
- ``revenue_today``: the subtotals of paid purchases whose ``paid_at``
  falls on today's Asia/Jakarta date — QRIS fees and top-ups are not revenue;
- ``top_products``: by units sold (``Product.sold_count``, moved with the
  stock lines when an order is paid).

Each figure is one query that an index answers: the order counts and the
revenue range use the ``(status, paid_at)`` / ``(status, expires_at)``
indexes, the top products scan the small product table. ``queries`` hands
them out so a test can check the plans with EXPLAIN QUERY PLAN.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from peewee import fn

from quickcart.balance import REFUND
from quickcart.db import database
from quickcart.models import PAID, PENDING, PURCHASE, QRIS, TOPUP, Order, Product, User
from quickcart.timeutil import DayRange, jakarta_day_bounds_utc, jakarta_today

TOP_PRODUCTS = 5


def queries(now: datetime | None = None, top: int = TOP_PRODUCTS) -> dict:
    """The peewee queries behind each figure (``now`` is naive UTC; default: now)."""
    start, end = jakarta_day_bounds_utc(jakarta_today(now))
    return {
        "total_users": User.select(fn.COUNT(User.id)),
        "total_transactions": Order.select(fn.COUNT(Order.id)).where(Order.status == PAID),
        "active_orders": Order.select(fn.COUNT(Order.id)).where(Order.status == PENDING),
        "revenue_today": (Order.select(fn.COALESCE(fn.SUM(Order.subtotal), 0))
                          .where((Order.status == PAID) & (Order.paid_at >= start) & (Order.paid_at < end)
                                 & (Order.kind == PURCHASE))),
        "top_products": (Product.select(Product.id, Product.name, Product.sold_count)
                         .where(Product.sold_count > 0)
                         .order_by(Product.sold_count.desc(), Product.id).limit(top)),
    }


def shop_stats(now: datetime | None = None, top: int = TOP_PRODUCTS) -> dict:
    """The figures in the seed's shape (JSON-ready)."""
    found = queries(now, top)
    return {
        "total_users": int(found["total_users"].scalar() or 0),
        "total_transactions": int(found["total_transactions"].scalar() or 0),
        "active_orders": int(found["active_orders"].scalar() or 0),
        "revenue_today": int(found["revenue_today"].scalar() or 0),
        "top_products": [{"id": product_id, "name": name, "sold": sold}
                         for product_id, name, sold in found["top_products"].tuples()],
    }


# --- figures by period (/stats 7d, 30d, month, 2026-11) -------------------------------

@dataclass(frozen=True)
class DayFigures:
    day: date
    revenue: int  # subtotals of purchases paid that Jakarta day
    orders: int  # purchases paid that day


@dataclass(frozen=True)
class ProductFigures:
    id: int
    name: str
    units: int
    revenue: int


@dataclass(frozen=True)
class PeriodFigures:
    """What a period brought, on Jakarta days. Revenue as ``revenue_today``: paid purchase subtotals."""
    period: DayRange
    revenue: int
    paid_orders: int  # purchases paid in the period
    units: int  # units those purchases sold
    new_customers: int  # users who first came in the period
    created: int  # purchases created in the period ...
    created_paid: int  # ... and how many of those were paid (the conversion)
    average_seconds_to_pay: int | None  # QRIS purchases paid in the period: from order to payment
    topups: int  # top-up amounts paid in the period
    refunded: int  # refunds given in the period
    refunds: int
    days: list[DayFigures]
    top: list[ProductFigures]

    @property
    def conversion_percent(self) -> int | None:
        return round(100 * self.created_paid / self.created) if self.created else None


def period_figures(period: DayRange, top: int = TOP_PRODUCTS) -> PeriodFigures:
    """The figures of ``period``; each query is a range on an index (see the models' indexes)."""
    start, end = (str(moment) for moment in period.bounds_utc())  # as the datetimes are stored: text
    run = database.execute_sql
    # One pass over the period's paid orders. A stored naive-UTC moment's Jakarta date: Jakarta is UTC+7 all year.
    per_day: dict[date, tuple[int, int]] = {}
    topups = waited = waits = 0
    for day, orders, revenue, waited_days, qris, topped_up in run(
            "SELECT date(paid_at, '+7 hours') AS day, SUM(kind = ?), SUM(CASE WHEN kind = ? THEN subtotal END), "
            "SUM(CASE WHEN kind = ? AND payment_method = ? THEN julianday(paid_at) - julianday(created_at) END), "
            "SUM(kind = ? AND payment_method = ?), SUM(CASE WHEN kind = ? THEN subtotal END) "
            'FROM "order" WHERE status = ? AND paid_at >= ? AND paid_at < ? GROUP BY day',
            (PURCHASE, PURCHASE, PURCHASE, QRIS, PURCHASE, QRIS, TOPUP, PAID, start, end)):
        per_day[date.fromisoformat(day)] = (int(revenue or 0), int(orders or 0))
        topups += int(topped_up or 0)
        waited += waited_days or 0
        waits += int(qris or 0)
    days = [DayFigures(day, *per_day.get(day, (0, 0))) for day in period.each_day()]
    # Only purchases have items, one each: what a product brought is its item's price less the order's
    # promo discount.
    products = run(
        'SELECT i.product_id, SUM(i.quantity), SUM(i.quantity * i.price_per_unit - o.discount) FROM "order" o '
        "JOIN order_item i ON i.order_id = o.id WHERE o.status = ? AND o.paid_at >= ? AND o.paid_at < ? "
        "GROUP BY i.product_id ORDER BY 2 DESC, 3 DESC, 1", (PAID, start, end)).fetchall()
    names = dict(Product.select(Product.id, Product.name)
                 .where(Product.id.in_([product_id for product_id, *_ in products[:top]])).tuples())
    created, created_paid = run(
        'SELECT COUNT(*), COALESCE(SUM(status = ?), 0) FROM "order" WHERE created_at >= ? AND created_at < ? '
        "AND kind = ?", (PAID, start, end, PURCHASE)).fetchone()
    refunded, refunds = run("SELECT COALESCE(SUM(delta), 0), COUNT(*) FROM ledger_entry WHERE reason = ? "
                            "AND created_at >= ? AND created_at < ?", (REFUND, start, end)).fetchone()
    (new_customers,) = run('SELECT COUNT(*) FROM "user" WHERE created_at >= ? AND created_at < ?',
                           (start, end)).fetchone()
    return PeriodFigures(
        period=period, revenue=sum(day.revenue for day in days), paid_orders=sum(day.orders for day in days),
        units=sum(int(units) for _, units, _ in products), new_customers=new_customers, created=created,
        created_paid=int(created_paid), average_seconds_to_pay=round(waited * 86400 / waits) if waits else None,
        topups=topups, refunded=int(refunded), refunds=refunds, days=days,
        top=[ProductFigures(product_id, names.get(product_id, ""), int(units), int(revenue))
             for product_id, units, revenue in products[:top]])

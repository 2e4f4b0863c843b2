"""The shop's figures, for ``/stats`` and ``GET /admin/stats`` alike.

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

from datetime import datetime

from peewee import fn

from quickcart.models import PAID, PENDING, PURCHASE, Order, Product, User
from quickcart.timeutil import jakarta_day_bounds_utc, jakarta_today

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

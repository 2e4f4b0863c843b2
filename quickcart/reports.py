"""What admins look at besides the stats: the latest orders, a user's totals,
an order's trail. Read-only; the figures are in :mod:`quickcart.stats`."""
from __future__ import annotations

from quickcart import audit, orders
from quickcart.models import AuditLog, Order, User


def latest_orders(limit: int) -> list[Order]:
    """The newest orders of every kind and status, newest first."""
    return list(Order.select().order_by(Order.id.desc()).limit(limit))


def user_order_totals(user: User) -> tuple[int, int, int]:
    """(orders of any kind and status, paid purchases, rupiah paid for them)."""
    total = Order.select().where(Order.user == user.id).count()
    paid, spent = orders.purchase_totals(user)
    return total, paid, spent


def order_trail(order: Order, limit: int = 10) -> list[AuditLog]:
    """The order's audit events, oldest first."""
    return list(reversed(audit.recent(subject=f"order:{order.invoice_id}", limit=limit)))

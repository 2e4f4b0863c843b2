"""Small builders for domain tests."""
from __future__ import annotations

from datetime import datetime

from quickcart import orders, stock, users
from quickcart.db import immediate
from quickcart.models import PAID, QRIS, Order, Product, User

FEES = orders.FeePolicy(70, 310)


def make_user(user_id: int, name: str = "Budi", username: str | None = None, reseller: bool = False) -> User:
    user, _ = users.register(users.TelegramIdentity(id=user_id, first_name=name, username=username))
    if reseller:
        user = users.set_role(0, user, "reseller")
    return user


def paid_purchase(user: User, product: Product, quantity: int, paid_at: datetime, method: str = QRIS) -> Order:
    """A purchase settled at ``paid_at`` (for figures that depend on the day it was paid)."""
    order = orders.create_purchase(user, product.id, quantity, method=method, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=user.id)
    with immediate():
        stock.sell_reserved(order)
        Order.update(status=PAID, paid_at=paid_at, settlement="delivered").where(Order.id == order.id).execute()
    return order


def paid_topup(user: User, amount: int, paid_at: datetime) -> Order:
    order = orders.create_topup(user, amount, fees=FEES, ttl_minutes=10, chat_id=user.id)
    Order.update(status=PAID, paid_at=paid_at).where(Order.id == order.id).execute()
    return order

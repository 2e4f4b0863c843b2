"""Small builders for domain tests."""
from __future__ import annotations

from quickcart import users
from quickcart.models import User


def make_user(user_id: int, name: str = "Budi", username: str | None = None, reseller: bool = False) -> User:
    user, _ = users.register(users.TelegramIdentity(id=user_id, first_name=name, username=username))
    if reseller:
        user = users.set_role(0, user, "reseller")
    return user

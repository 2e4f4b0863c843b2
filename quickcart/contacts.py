"""Customers write to the shop's admins, and admins answer by replying.

Each admin gets a copy of the customer's message from the bot; this module
keeps which copy (admin, message id) belongs to which customer and order,
in the database, so an admin's Telegram "reply" to a copy reaches that
customer also after a restart. Only ids are kept: the content stays in
Telegram, and the audit log says who wrote to whom, never what.

A customer may write :data:`MESSAGES_PER_WINDOW` messages per
:data:`WINDOW`; the count is read from the same table, so a restart does
not reset it. One message is forwarded once, however often its button is
pressed (unique per customer, source message and admin).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from peewee import fn

from quickcart import audit
from quickcart.db import immediate
from quickcart.models import ContactMessage, Order
from quickcart.timeutil import utcnow

MESSAGES_PER_WINDOW = 5
WINDOW = timedelta(minutes=10)


def _subject(customer_id: int, order: Order | None) -> str:
    return f"order:{order.invoice_id}" if order is not None else f"user:{customer_id}"


def recent_count(customer_id: int, now: datetime | None = None) -> int:
    """How many messages the customer sent the admins within the last :data:`WINDOW`."""
    since = (now or utcnow()) - WINDOW
    return (ContactMessage.select(fn.COUNT(ContactMessage.source_message_id.distinct()))
            .where((ContactMessage.user == customer_id) & (ContactMessage.created_at > since)).scalar() or 0)


def may_write(customer_id: int, now: datetime | None = None) -> bool:
    return recent_count(customer_id, now) < MESSAGES_PER_WINDOW


def already_forwarded(customer_id: int, source_message_id: int) -> bool:
    return ContactMessage.select().where((ContactMessage.user == customer_id)
                                         & (ContactMessage.source_message_id == source_message_id)).exists()


def record_forwarded(customer_id: int, order: Order | None, source_message_id: int, copies: Mapping[int, int],
                     kind: str) -> None:
    """Remember each admin's copy (admin id → message id) of a customer's message, and audit it."""
    now = utcnow()
    with immediate():
        (ContactMessage.insert_many(
            [{"user": customer_id, "order": order.id if order else None, "source_message_id": source_message_id,
              "admin_id": admin_id, "admin_message_id": message_id, "created_at": now}
             for admin_id, message_id in copies.items()]).on_conflict_ignore().execute())
        audit.record("contact.message", actor_id=customer_id, subject=_subject(customer_id, order),
                     detail=f"{kind} to {len(copies)} admin(s)")


def copy_at(admin_id: int, admin_message_id: int) -> ContactMessage | None:
    """The customer's message that an admin's message is a copy of, if it is one."""
    return ContactMessage.get_or_none((ContactMessage.admin_id == admin_id)
                                      & (ContactMessage.admin_message_id == admin_message_id))


def record_reply(admin_id: int, copy: ContactMessage, kind: str) -> None:
    """An admin answered a customer's message (audited; the answer itself is not kept)."""
    order = Order.get_by_id(copy.order_id) if copy.order_id else None
    audit.record_now("contact.reply", actor_id=admin_id, subject=_subject(copy.user_id, order),
                     detail=f"{kind} to user {copy.user_id}")

"""The admins' cards for what waits on them: a paid manual order, a warranty claim.

A card is a message with the facts and the buttons that decide (Selesai /
Tolak; Ganti / Refund / Tolak), sent to every admin. Whoever presses first
decides (:mod:`quickcart.manual`, :mod:`quickcart.warranty`); the others'
buttons then answer who did. :class:`AdminDesk` sends the cards and reminds
admins of manual orders waiting longer than ``shop.manual_sla_minutes``.
"""
from __future__ import annotations

from datetime import timedelta

from telebot import types

from quickcart import admin_views, buyer_fields, manual, orders, warranty
from quickcart.callbacks import encode
from quickcart.i18n import Speaker
from quickcart.models import OPEN, WAITING, Order, User, WarrantyClaim
from quickcart.notices import AdminNotifier

Card = tuple[str, types.InlineKeyboardMarkup | None]


def _keyboard(rows: list[list[tuple[str, str]]]) -> types.InlineKeyboardMarkup | None:
    if not rows:
        return None
    markup = types.InlineKeyboardMarkup()
    for row in rows:
        markup.row(*(types.InlineKeyboardButton(label, callback_data=data) for label, data in row))
    return markup


def manual_card(say: Speaker, order: Order, reminder: bool = False) -> Card:
    fulfilment = manual.get(order.id)
    text = admin_views.manual_card(say, order, User.get_by_id(order.user_id), orders.items(order),
                                   buyer_fields.values_of(order), fulfilment, reminder)
    rows = []
    if fulfilment is not None and fulfilment.state == WAITING:
        rows.append([(say.plain("btn.manual_done"), encode("mdone", order.id)),
                     (say.plain("btn.manual_reject"), encode("mrej", order.id))])
    return text, _keyboard(rows)


def claim_card(say: Speaker, claim: WarrantyClaim) -> Card:
    order = Order.get_by_id(claim.order_id)
    line = warranty.line_text(claim.line_id)
    text = admin_views.claim_card(say, claim, order, User.get_by_id(claim.user_id), orders.items(order), line,
                                  warranty.unit_price(claim))
    rows = []
    if claim.state == OPEN:
        rows.append([(say.plain("btn.claim_replace"), encode("wrep", claim.id)),
                     (say.plain("btn.claim_refund"), encode("wref", claim.id)),
                     (say.plain("btn.claim_reject"), encode("wrej", claim.id))])
    return text, _keyboard(rows)


class AdminDesk:
    def __init__(self, notifier: AdminNotifier, sla_minutes: int):
        self._notifier = notifier
        self._sla = timedelta(minutes=sla_minutes)

    def manual_paid(self, order: Order) -> None:
        self._notifier.post_card(lambda say: manual_card(say, order))

    def claim_opened(self, claim: WarrantyClaim) -> None:
        self._notifier.post_card(lambda say: claim_card(say, claim))

    def remind_overdue(self) -> int:
        """Send the card again for manual orders waiting past the SLA (each at most once per SLA period)."""
        overdue = manual.claim_reminders(self._sla)
        for order in overdue:
            self._notifier.post_card(lambda say, order=order: manual_card(say, order, reminder=True))
        return len(overdue)

"""Admins answer what waits on them: paid manual orders and warranty claims.

Their cards (:mod:`quickcart.admin_cards`) carry the buttons. Every button
here is for admins only: anyone else gets the answer any stale button gets.
A decision is one conditional UPDATE in the domain (:mod:`quickcart.manual`,
:mod:`quickcart.warranty`): when two admins press at once, one decides and
the other is shown who did and when. The buyer is told after the commit
(:mod:`quickcart.decisions`).

Selesai asks for the reply to deliver (a text, a file or a photo), or none;
Tolak asks for the reason. ``/claims`` shows the open claims' cards again.
"""
from __future__ import annotations

from collections.abc import Callable

from telebot import types

from quickcart import admin_cards, admin_views, manual, refunds, stock, users, warranty
from quickcart.admin_syntax import CommandText, parse_no_arguments
from quickcart.callbacks import Callback, encode
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import show
from quickcart.i18n import Speaker
from quickcart.models import COMPLETED, OPEN, WAITING, ManualFulfilment, Order, User, WarrantyClaim

MANUAL_REPLY = "manual_reply"  # the prompt: what to send the buyer of a manual order (text, file, photo)
MANUAL_REASON = "manual_reason"  # the prompt: why a manual order is rejected
CLAIM_REASON = "claim_reason"  # the prompt: why a warranty claim is rejected
CLAIMS_LISTED = 10


def _admin(app: App, call: types.CallbackQuery, user: User) -> bool:
    """Admins only; anyone else is answered as for any button that no longer works."""
    if app.is_admin(user.id):
        return True
    app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
    return False


def _decided_by(say: Speaker, row: ManualFulfilment | WarrantyClaim, plain: bool = True) -> str:
    """Who decided it, how and when: for the admin who pressed second (plain for an alert, else HTML)."""
    admin = users.get(row.admin_id) if row.admin_id else None
    return admin_views.decided_by(say, admin, row.admin_id, row.state, row.decided_at, plain)


# --- manual orders --------------------------------------------------------------------------

def _waiting_fulfilment(app: App, call: types.CallbackQuery, user: User, order_id: int) -> ManualFulfilment | None:
    """The order's fulfilment if it still waits; else the press is told who decided it (or that it is stale)."""
    fulfilment = manual.get(order_id)
    say = app.say(user)
    if fulfilment is None:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return None
    if fulfilment.state != WAITING:
        app.sender.answer(call.id, _decided_by(say, fulfilment), alert=True)
        return None
    return fulfilment


def manual_done(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Selesai: ask what to send the buyer (or nothing)."""
    if not _admin(app, call, user) or _waiting_fulfilment(app, call, user, cb.int(0)) is None:
        return
    say = app.say(user)
    order = Order.get_by_id(cb.int(0))
    app.prompts.ask(user.id, MANUAL_REPLY, order.id)
    app.sender.answer(call.id)
    app.sender.send_text(call.message.chat.id, say("admin.manual.ask_reply", invoice=order.invoice_id),
                         inline([[(say.plain("btn.manual_no_reply"), encode("mnone", order.id))]]))


def manual_no_reply(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Selesai without a reply: done."""
    if not _admin(app, call, user) or _waiting_fulfilment(app, call, user, cb.int(0)) is None:
        return
    app.prompts.done(user.id)
    app.sender.answer(call.id)
    _told(app, call.message.chat.id, user, manual.complete(user.id, cb.int(0)))


def typed_manual_reply(app: App, message: types.Message, user: User) -> None:
    """The reply for the buyer: a text, or a file or photo (its caption sent with it)."""
    order_id = app.prompts.subject(user.id, MANUAL_REPLY)
    if not app.is_admin(user.id) or not isinstance(order_id, int):
        return
    text, file_id, kind = message.text, None, None
    if message.content_type == "document":
        text, file_id, kind = message.caption, message.document.file_id, "document"
    elif message.content_type == "photo":
        text, file_id, kind = message.caption, message.photo[-1].file_id, "photo"
    if text and len(text) > manual.MAX_REPLY:
        reply(app, message, app.say(user)("admin.manual.reply_too_long", limit=manual.MAX_REPLY))
        return
    app.prompts.done(user.id)
    _told(app, message.chat.id, user, manual.complete(user.id, order_id, text, file_id, kind))


def manual_reject(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Tolak: ask for the reason (the buyer reads it, and gets the money back)."""
    if not _admin(app, call, user) or _waiting_fulfilment(app, call, user, cb.int(0)) is None:
        return
    order = Order.get_by_id(cb.int(0))
    app.prompts.ask(user.id, MANUAL_REASON, order.id)
    app.sender.answer(call.id)
    app.sender.send_text(call.message.chat.id, app.say(user)("admin.manual.ask_reason", invoice=order.invoice_id,
                                                             amount=order.total_bill))


def typed_manual_reason(app: App, message: types.Message, user: User) -> None:
    order_id = app.prompts.subject(user.id, MANUAL_REASON)
    if not app.is_admin(user.id) or not isinstance(order_id, int):
        return
    app.prompts.done(user.id)
    try:
        decision = manual.reject(user.id, order_id, (message.text or "").strip()[:manual.MAX_REASON])
    except refunds.RefundRefused:
        reply(app, message, app.say(user)("admin.manual.refunded_before", invoice=Order.get_by_id(order_id).invoice_id))
        return
    _told(app, message.chat.id, user, decision)


def _told(app: App, chat_id: int, admin: User, decision: manual.Decision) -> None:
    """The deciding admin hears it is done; the buyer is told. The one who came second hears who did it."""
    say = app.say(admin)
    fulfilment = decision.fulfilment
    if not decision.won:
        app.sender.send_text(chat_id, _decided_by(say, fulfilment, plain=False))
        return
    order = Order.get_by_id(fulfilment.order_id)
    key = "admin.manual.completed" if fulfilment.state == COMPLETED else "admin.manual.rejected"
    app.sender.send_text(chat_id, say(key, invoice=order.invoice_id, amount=fulfilment.refund_amount or 0))
    app.decisions.tell_fulfilment_async(order.id)


# --- warranty claims ------------------------------------------------------------------------

def _open_claim(app: App, call: types.CallbackQuery, user: User, claim_id: int) -> WarrantyClaim | None:
    claim = warranty.get(claim_id)
    say = app.say(user)
    if claim is None:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return None
    if claim.state != OPEN:
        app.sender.answer(call.id, _decided_by(say, claim), alert=True)
        return None
    return claim


def _claim_decided(app: App, call: types.CallbackQuery, user: User, decision: warranty.Decision) -> None:
    say = app.say(user)
    if not decision.won:
        app.sender.answer(call.id, _decided_by(say, decision.claim), alert=True)
        return
    app.sender.answer(call.id, say.plain("admin.claim.done"))
    show(app, call, *admin_cards.claim_card(say, decision.claim))
    app.decisions.tell_claim_async(decision.claim.id)


# Why Ganti or Refund could not be done, by the decision (one refund per order: a second is refused).
_CANNOT = {"replace": "admin.claim.no_stock", "refund": "admin.claim.refunded_before"}


def _decide(app: App, call: types.CallbackQuery, cb: Callback, user: User, decision: str,
            decide: Callable[[int, int], warranty.Decision], refused: type[Exception]) -> None:
    """Ganti or Refund on an open claim: ``decide`` it, or tell the admin why it could not be done."""
    if not _admin(app, call, user) or _open_claim(app, call, user, cb.int(0)) is None:
        return
    try:
        outcome = decide(user.id, cb.int(0))
    except refused:
        app.sender.answer(call.id, app.say(user).plain(_CANNOT[decision]), alert=True)
        return
    _claim_decided(app, call, user, outcome)


def claim_replace(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Ganti: a fresh line of the same product goes to the buyer."""
    _decide(app, call, cb, user, "replace", warranty.replace, stock.StockShort)


def claim_refund(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Refund: the unit price goes to the buyer's balance."""
    _decide(app, call, cb, user, "refund", warranty.refund, refunds.RefundRefused)


def claim_reject(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """Tolak: ask for the reason."""
    if not _admin(app, call, user) or _open_claim(app, call, user, cb.int(0)) is None:
        return
    app.prompts.ask(user.id, CLAIM_REASON, cb.int(0))
    app.sender.answer(call.id)
    app.sender.send_text(call.message.chat.id, app.say(user)("admin.claim.ask_reason", claim=cb.int(0)))


def typed_claim_reason(app: App, message: types.Message, user: User) -> None:
    claim_id = app.prompts.subject(user.id, CLAIM_REASON)
    if not app.is_admin(user.id) or not isinstance(claim_id, int):
        return
    app.prompts.done(user.id)
    say = app.say(user)
    decision = warranty.reject(user.id, claim_id, (message.text or "").strip()[:warranty.MAX_DESCRIPTION])
    if not decision.won:
        reply(app, message, _decided_by(say, decision.claim, plain=False))
        return
    reply(app, message, say("admin.claim.rejected", claim=claim_id))
    app.decisions.tell_claim_async(claim_id)


def claims(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """/claims: the open claims, oldest first, each with its buttons."""
    parse_no_arguments("claims", command.argument)
    say = app.say(admin)
    found, total = warranty.open_claims(CLAIMS_LISTED)
    reply(app, message, say("admin.claim.list_title", count=total, shown=len(found)) if found
          else say("admin.claim.list_empty"))
    for claim in found:
        app.sender.send_text(message.chat.id, *admin_cards.claim_card(say, claim))

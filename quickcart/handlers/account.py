"""Riwayat (order history, goods shown again, warranty claims), Akun (the profile) and the language switch.

The switch is on the profile and behind ``/bahasa`` (``/language``): one button
per language, each named in its own language. The choice is the user's from
then on (Telegram's app language no longer changes it); the pressed screen is
shown again in the new language and a short message brings the main menu's
keyboard in it.

An order still under warranty offers "🛡 Klaim Garansi": the buyer picks the
line that stopped working (one of the order's, or a replacement sent for an
earlier claim) and describes the problem in the chat; admins get the claim.
"""
from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from quickcart import buyer_fields, manual, orders, referrals, refunds, stock, users, views, warranty
from quickcart.callbacks import Callback, encode
from quickcart.delivery import send_goods
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import Screen, owned_order, pager, show
from quickcart.i18n import DEFAULT_LANGUAGE, Speaker
from quickcart.models import COMPLETED, PAID, PENDING, Order, User, WarrantyClaim

CLAIM_DESCRIPTION = "claim_description"  # the prompt: the buyer describes what is wrong with a line
CLAIM_REFUSALS = {warranty.DESCRIPTION_LENGTH: "warranty.description_length",
                  warranty.NOT_COVERED: "warranty.not_covered", warranty.LINE_SETTLED: "warranty.line_settled"}


@dataclass(frozen=True)
class ClaimedLine:
    """The line a buyer is claiming (the prompt's subject)."""
    order_id: int
    line_id: int


def history_screen(say: Speaker, user: User, page: int) -> Screen:
    found, page, pages = orders.history(user, page)
    if not found:
        return say("history.empty"), None
    what = views.order_summaries(say, found, orders.first_items(found))
    rows = [[(views.history_button(say, order, what.get(order.id, "")), encode("ord", order.id, page))]
            for order in found]
    rows += pager(say, page, pages, lambda p: encode("hist", p))
    return views.history_title(say, page, pages), inline(rows)


def _shows_goods(order: Order) -> bool:
    if order.status != PAID or not order.is_purchase or order.is_credited:
        return False
    if order.is_manual:
        fulfilment = manual.get(order.id)
        return fulfilment is not None and fulfilment.state == COMPLETED
    return True


def order_screen(say: Speaker, order: Order, page: int) -> Screen:
    rows = []
    if _shows_goods(order):
        rows.append([(say.plain("btn.show_goods"), encode("goods", order.id))])
    if warranty.offered(order):
        rows.append([(say.plain("btn.claim_warranty"), encode("wcl", order.id, page))])
    if order.status == PENDING and order.payment_number:
        rows.append([(say.plain("btn.check_status"), encode("chk", order.id)),
                     (say.plain("btn.cancel"), encode("cnl", order.id))])
    rows.append([(say.plain("btn.contact"), encode("ask", order.id))])
    rows.append([(say.plain("btn.history_back"), encode("hist", page))])
    claims = list(WarrantyClaim.select().where(WarrantyClaim.order == order.id).order_by(WarrantyClaim.id))
    text = views.order_detail(say, order, orders.items(order), refunds.previous_refund(order),
                              buyer_fields.values_of(order), manual.get(order.id) if order.is_manual else None, claims)
    return text, inline(rows)


def show_history(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *history_screen(app.say(user), user, 0))


def history_page(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    show(app, call, *history_screen(app.say(user), user, cb.int(0)))


def order_detail(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is not None:
        show(app, call, *order_screen(app.say(user), order, cb.int(1)))


def goods_again(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    if not _shows_goods(order):
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    app.sender.answer(call.id)
    say = app.say(user)
    if order.is_manual:
        app.decisions.resend_reply(order.id)
    else:
        send_goods(app.sender, say, call.message.chat.id, order)


# --- warranty claims ------------------------------------------------------------------

def claim_lines_screen(say: Speaker, order: Order, page: int) -> Screen:
    lines = warranty.claimable_lines(order)
    texts = stock.line_texts([line.id for line in lines])
    rows = [[(views.claim_line_button(say, position, texts.get(line.id)), encode("wln", order.id, line.id))]
            for position, line in enumerate(lines, start=1)]
    rows.append([(say.plain("btn.back"), encode("ord", order.id, page))])
    return say("warranty.pick_line", invoice=order.invoice_id, ends=warranty.warranty_ends(order)), inline(rows)


def claim_start(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """🛡 Klaim Garansi: pick the line."""
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    say = app.say(user)
    if not warranty.offered(order):
        app.sender.answer(call.id, say.plain("warranty.not_covered"), alert=True)
        show(app, call, *order_screen(say, order, cb.int(1)))
        return
    show(app, call, *claim_lines_screen(say, order, cb.int(1)))


def claim_line(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """A line picked: ask what is wrong with it."""
    order = owned_order(app, call, cb.int(0), user)
    if order is None:
        return
    say = app.say(user)
    if not warranty.under_warranty(order) or cb.int(1) not in {line.id for line in warranty.claimable_lines(order)}:
        app.sender.answer(call.id, say.plain("warranty.line_settled"), alert=True)
        return
    app.prompts.ask(user.id, CLAIM_DESCRIPTION, ClaimedLine(order.id, cb.int(1)))
    show(app, call, say("warranty.describe", invoice=order.invoice_id, limit=warranty.MAX_DESCRIPTION),
         inline([[(say.plain("btn.back"), encode("ord", order.id, 0))]]))


def typed_claim(app: App, message: types.Message, user: User) -> None:
    """The problem, described: the claim goes to the admins."""
    say = app.say(user)
    claimed = app.prompts.subject(user.id, CLAIM_DESCRIPTION)
    if not isinstance(claimed, ClaimedLine):
        return
    try:
        claim = warranty.open_claim(user, claimed.order_id, claimed.line_id, message.text or "")
    except warranty.ClaimRefused as refused:
        if refused.reason != warranty.DESCRIPTION_LENGTH:
            app.prompts.done(user.id)  # a description too long may be typed again; the rest is final
        app.sender.post_text(message.chat.id, say(CLAIM_REFUSALS[refused.reason], limit=warranty.MAX_DESCRIPTION))
        return
    app.prompts.done(user.id)
    app.sender.post_text(message.chat.id, say("warranty.claim_sent", claim=claim.id))
    app.desk.claim_opened(claim)


# Where a language button was pressed, so that screen is shown again in the new language.
ON_ACCOUNT = "a"
ON_LANGUAGE = "l"


def language_buttons(app: App, say: Speaker, where: str) -> list[list[tuple[str, str]]]:
    """🇮🇩 / 🇬🇧: each language named in its own words, the reader's marked; the shop's own first."""
    row = []
    for language in sorted(app.texts.languages, key=lambda code: (code != DEFAULT_LANGUAGE, code)):
        name = app.texts.plain(language, "language.name")
        label = say.plain("btn.language_current", name=name) if language == say.language else name
        row.append((label, encode("lang", language, where)))
    return [row]


def account_screen(app: App, say: Speaker, user: User) -> Screen:
    paid, spent = orders.purchase_totals(user)
    referral = []
    if app.config.shop.referrals_on:
        link = referrals.link(app.bot.username, user) if app.bot.username else None
        referral = views.referral_block(say, link, referrals.standing(user), app.config.shop)
    return views.account(say, user, paid, spent, referral), inline(language_buttons(app, say, ON_ACCOUNT))


def language_screen(app: App, say: Speaker) -> Screen:
    return say("language.choose"), inline(language_buttons(app, say, ON_LANGUAGE))


def show_account(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *account_screen(app, app.say(user), user))


def show_languages(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *language_screen(app, app.say(user)))


def choose_language(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    language, where = cb.args
    if language not in app.texts.languages:
        app.sender.answer(call.id, app.say(user).plain("gate.stale_button"))
        return
    changed = users.choose_language(user.id, language)
    user = users.get(user.id)
    say = app.say(user)
    app.sender.answer(call.id, say.plain("language.chosen"))
    if not changed:
        return  # a double tap, or the language they already had: nothing to show again
    show(app, call, *(account_screen(app, say, user) if where == ON_ACCOUNT else language_screen(app, say)))
    app.sender.post_text(call.message.chat.id, say("language.changed"), app.menu_keyboard(say))

"""Messages made of several catalogue texts: the product card, the QR caption, an order, ...

Each takes a :class:`~quickcart.i18n.Speaker` (the reader's language) and
the domain objects, and returns Telegram HTML. The words are all in the
catalogue (``quickcart/locales``); here is only which lines a message has.
"""
from __future__ import annotations

from collections.abc import Iterable

from quickcart import richtext, storefront
from quickcart.i18n import DEFAULT_LANGUAGE, Speaker
from quickcart.models import (
    BALANCE,
    CLAIM_REJECTED,
    COMPLETED,
    EXPIRED,
    FREE,
    MANUAL_KIND,
    OPEN,
    REFUNDED,
    REJECTED,
    REPLACED,
    STOCK,
    TOPUP,
    WAITING,
)
from quickcart.telegram.sender import MAX_TEXT


def shown(say: Speaker, thing, field: str) -> str:
    """The seller's own words (a product's name, description or terms, a category's name) for this reader.

    The seller writes them in the shop's language and may add another
    (``name_en``); a reader of that language sees it when it is given.
    """
    if say.language != DEFAULT_LANGUAGE:
        translated = getattr(thing, f"{field}_{say.language}", "")
        if translated:
            return translated
    return getattr(thing, field)


def welcome(say: Speaker, name: str, shop: str, custom: str | None = None) -> str:
    """The greeting: the admins' own text (:mod:`quickcart.storefront`) when they set one."""
    name = name or say.plain("start.default_name")
    if custom is not None:
        return _within_a_message(say, storefront.fill(custom, name=name, shop=shop))
    return say("start.welcome", name=name, shop=shop)


def with_admin_entry(say: Speaker, greeting: str) -> str:
    """An admin's greeting also says where the admin commands are."""
    return _within_a_message(say, greeting + say("start.admin_entry"))


def help_text(say: Speaker, shop: str, contact: str, minutes: int, custom: str | None = None) -> str:
    text = (storefront.fill(custom, shop=shop, minutes=minutes) if custom is not None
            else say("start.help", shop=shop, minutes=minutes))
    return _within_a_message(say, text + (say("start.help_support", contact=contact) if contact else ""))


def _within_a_message(say: Speaker, text: str) -> str:
    """An admins' text, filled with a customer's long name many times over, still goes out (shortened)."""
    return richtext.cut(text, MAX_TEXT, say.plain("shop.cut_mark"))


def account(say: Speaker, user, orders_paid: int, spent: int, referral: list[str] = ()) -> str:
    """The profile; ``referral``: the referral block's lines (:func:`referral_block`), when referrals are on."""
    lines = [
        say("account.title"),
        say("account.name", name=user.name or "-"),
        say("account.username", username=user.username) if user.username else say("account.no_username"),
        say("account.telegram_id", id=user.id),
        say("account.member_id", member=user.bank_id),
        say("account.tier_reseller" if user.is_reseller else "account.tier_customer"),
        say("account.balance", balance=user.account_balance),
        say("account.orders", count=orders_paid, spent=spent),
    ]
    return "\n".join(lines + contacts(say, user) + list(referral))


def referral_block(say: Speaker, link: str | None, standing, shop) -> list[str]:
    """Akun's referral lines: the link to share (when the bot's username is known), the terms, what it brought."""
    lines = ["", say("account.referral_title")]
    if link:
        lines.append(say("account.referral_link", link=link))
    lines.append(say("account.referral_terms", percent=shop.referral_percent))
    if shop.referral_days:
        lines.append(say("account.referral_days", days=shop.referral_days))
    if shop.referral_orders:
        lines.append(say("account.referral_orders", count=shop.referral_orders))
    lines.append(say("account.referral_standing", count=standing.referred, earned=standing.earned))
    return lines


def contacts(say: Speaker, user) -> list[str]:
    """The e-mail and WhatsApp lines a profile shows, for those given (the account screen, an admin's /user)."""
    lines = []
    if user.email:
        lines.append(say("account.email", email=user.email))
    if user.whatsapp_number:
        lines.append(say("account.whatsapp", number=user.whatsapp_number))
    return lines


def category_button(say: Speaker, category) -> str:
    return say.plain("btn.category", name=shown(say, category, "name"), products=category.products)


def products_title(say: Speaker, category, page: int, pages: int) -> str:
    name = shown(say, category, "name")
    if pages > 1:
        return say("shop.products_paged", category=name, page=page + 1, pages=pages)
    return say("shop.products", category=name)


def product_button(say: Speaker, product, price: int, stock: int | None) -> str:
    """A product in a list; ``stock`` None: not counted (unlimited, manual) and available."""
    if stock is None:
        tail = say.plain("btn.product_available")
    else:
        tail = say.plain("btn.product_stock", stock=stock) if stock else say.plain("btn.product_sold_out")
    if price == 0:
        return say.plain("btn.product_free", name=shown(say, product, "name"), stock=tail)
    return say.plain("btn.product", name=shown(say, product, "name"), price=price, stock=tail)


def product_card(say: Speaker, product, price: int, quantity: int, reseller: bool, buyable: int,
                 fields: Iterable[str] = (), subscribed: bool = False, limit: int = MAX_TEXT) -> str:
    """The card, within ``limit`` (a photo's caption holds 1024): when the whole card does not fit, the
    terms become a line saying they come before payment, then the description is shortened.

    ``buyable`` is how many may be bought now (0: none), ``fields`` what a manual product asks its buyer,
    ``subscribed`` whether this customer asked to be told of a sold-out product's stock.
    """
    def card(description: str, terms: str) -> str:
        lines = [say("shop.card_name", name=shown(say, product, "name"))]
        if description:
            lines.append(say("shop.card_description", description=description))
        if terms:
            lines += ["", terms]
        lines.append("")
        if price == 0:
            lines.append(say("shop.card_free"))
        else:
            lines.append(say("shop.card_price_reseller" if reseller else "shop.card_price", price=price))
        if product.kind == STOCK:
            lines.append(say("shop.card_stock", stock=product.stock_count) if product.stock_count
                         else say("shop.card_sold_out"))
        else:
            lines.append(say("shop.card_available") if buyable else say("shop.card_sold_out"))
        if product.kind == STOCK and product.warranty_days:
            lines.append(say("shop.card_warranty", days=product.warranty_days))
        labels = ", ".join(fields)
        if product.kind == MANUAL_KIND:
            lines.append(say("shop.card_fields", fields=labels) if labels else say("shop.card_manual"))
        lines.append(say("shop.card_sold", sold=product.sold_count))
        if buyable and price:
            lines.append("")
            lines.append(say("shop.card_quantity", quantity=quantity, subtotal=price * quantity))
        elif not buyable:
            lines.append(say("shop.card_subscribed") if subscribed else say("shop.card_cannot_buy"))
        return "\n".join(lines)

    # The English terms translate the terms: without terms there is nothing to show or accept.
    description, terms = shown(say, product, "description"), shown(say, product, "terms") if product.terms else ""
    whole = card(description, say("shop.card_terms", terms=terms) if terms else "")
    if richtext.visible_length(whole) <= limit:
        return whole
    notice = say("shop.card_terms_notice") if terms else ""
    shorter = card(description, notice)
    if richtext.visible_length(shorter) <= limit:
        return shorter
    room = limit - richtext.visible_length(card("", notice)) - 1  # the description's own line break
    return card(richtext.cut(description, room, say.plain("shop.cut_mark")) if room > 1 else "", notice)


def terms(say: Speaker, product) -> str:
    """The product's terms, to accept before the payment methods are shown."""
    return say("shop.terms", name=shown(say, product, "name"), terms=shown(say, product, "terms"))


def stock_short(say: Speaker, available: int) -> str:
    return say.plain("shop.stock_short", available=available) if available > 0 else say.plain("shop.stock_gone")


def choose_payment(say: Speaker, product, cost, balance: int, balance_enough: bool,
                   fields: Iterable[tuple[str, str]] = ()) -> str:
    """The order summary: ``cost`` is the :class:`~quickcart.orders.Quote` the buttons will charge;
    ``fields`` the (label, value) a manual product's buyer gave.

    Subtotal, the promo code's discount, the fee and the total, in that order.
    """
    lines = [
        say("checkout.summary_title"),
        say("checkout.summary_item", name=shown(say, product, "name"), quantity=cost.quantity, price=cost.price),
        *field_lines(say, fields),
        say("checkout.summary_subtotal", subtotal=cost.subtotal),
    ]
    if cost.discount:
        lines.append(say("checkout.summary_discount", code=cost.promo.code, discount=cost.discount))
    lines += [
        "",
        say("checkout.summary_qris", total=cost.total, fee=cost.fee),
        say("checkout.summary_balance", subtotal=cost.charged, balance=balance) if balance_enough
        else say("checkout.summary_balance_short", balance=balance),
        say("checkout.summary_choose"),
    ]
    return "\n".join(lines)


def field_lines(say: Speaker, fields: Iterable[tuple[str, str]]) -> list[str]:
    return [say("checkout.summary_field", label=label, value=value) for label, value in fields]


def ask_field(say: Speaker, label: str, position: int, count: int, retry: bool = False) -> str:
    """The question for one field of a manual product (again, after a value that did not fit)."""
    question = say("checkout.field_ask", label=label, position=position, count=count)
    return say("checkout.field_invalid", label=label) + "\n" + question if retry else question
# promotions.Refusal values → why a code does not apply, as the customer reads it
PROMO_REFUSALS = {
    "unknown": "promo.why_unknown",
    "not_started": "promo.why_not_started",
    "ended": "promo.why_ended",
    "min_spend": "promo.why_min_spend",
    "product": "promo.why_product",
    "category": "promo.why_category",
    "resellers": "promo.why_resellers",
    "used_up": "promo.why_used_up",
    "per_user": "promo.why_per_user",
    "nothing_off": "promo.why_nothing_off",
}


def promo_refusal(say: Speaker, refused, category=None, plain: bool = False) -> str:
    """Why a code does not apply (``refused``: a :class:`~quickcart.promotions.PromoRefused`; ``category``: the
    :class:`~quickcart.catalogue.Category` it is for, to name it in the reader's language)."""
    promo = refused.promo
    values = {"minimum": 0, "count": 0, "start": None, "category": "", "product": ""}
    if promo is not None:
        values.update(minimum=promo.min_spend, count=promo.per_user or 0, start=promo.starts_at,
                      category=shown(say, category, "name") if category else promo.category or "",
                      product=shown(say, promo.product, "name") if promo.product_id else "")
    key = PROMO_REFUSALS[refused.why.value]
    return say.plain(key, **values) if plain else say(key, **values)


def qr_caption(say: Speaker, order, items) -> str:
    lines = [say("payment.qr_title"), say("payment.qr_invoice", invoice=order.invoice_id)]
    if order.is_topup:
        lines.append(say("payment.qr_topup", amount=order.subtotal))
    lines += [say("payment.qr_item", name=shown(say, item, "product_name"), quantity=item.quantity,
                  price=item.price_per_unit) for item in items]
    lines.append(say("payment.qr_subtotal", subtotal=order.subtotal + order.discount))
    if order.discount:
        lines.append(say("payment.qr_discount", code=order.promo.code, discount=order.discount))
    lines += [
        say("payment.qr_fee", fee=order.charged_fee),
        say("payment.qr_total", total=order.total_bill),
        say("payment.qr_expires", expires=order.expires_at),
        say("payment.qr_note"),
    ]
    return "\n".join(lines)


def order_closed_caption(say: Speaker, order) -> str:
    key = "payment.closed_expired" if order.status == EXPIRED else "payment.closed_cancelled"
    return say(key, invoice=order.invoice_id)


def _paid_line(say: Speaker, order) -> str:
    if order.payment_method == FREE:
        return say("delivery.paid_free")
    paid = "delivery.paid_balance" if order.payment_method == BALANCE else "delivery.paid_qris"
    return say(paid, total=order.total_bill)


def _order_head(say: Speaker, title: str, order, items) -> list[str]:
    """``title`` (already said), the invoice, and each item."""
    lines = [title, say("delivery.invoice", invoice=order.invoice_id)]
    for item in items:
        lines.append(say("delivery.product", name=shown(say, item, "product_name")))
        lines.append(say("delivery.quantity", quantity=item.quantity))
    return lines


def purchase_success(say: Speaker, order, items, goods_inline: str | None, contents: Iterable[str] = (),
                     files: int = 0) -> str:
    """The goods: stock lines inline (None: in the .txt file sent with it; "": none), an unlimited
    product's ``contents``, and how many ``files`` follow as documents."""
    lines = _order_head(say, say("delivery.title"), order, items)
    lines.append(_paid_line(say, order))
    if goods_inline is None:
        lines.append(say("delivery.goods_file"))
    elif goods_inline:
        lines.append(say("delivery.goods_inline", goods=goods_inline))
    lines += [say("delivery.content", content=content) for content in contents]
    if files:
        lines.append(say("delivery.content_files", count=files))
    lines.append(say("delivery.thanks"))
    return "\n".join(lines)


def manual_paid(say: Speaker, order, items, fields: Iterable[tuple[str, str]]) -> str:
    lines = _order_head(say, say("delivery.manual_title"), order, items)
    lines += field_lines(say, fields)
    lines += [_paid_line(say, order), say("delivery.manual_waiting")]
    return "\n".join(lines)


def manual_done(say: Speaker, order, items, reply: str | None) -> str:
    lines = _order_head(say, say("delivery.manual_done_title"), order, items)
    if reply:
        lines.append(say("delivery.manual_reply", reply=reply))
    lines.append(say("delivery.thanks"))
    return "\n".join(lines)


def manual_rejected(say: Speaker, order, items, reason: str, refund: int, balance: int,
                    fields: Iterable[tuple[str, str]]) -> str:
    lines = _order_head(say, say("delivery.manual_rejected_title"), order, items)
    lines += field_lines(say, fields)
    lines.append(say("delivery.manual_rejected", reason=reason))
    if refund:
        lines.append(say("delivery.refunded", amount=refund, balance=balance))
    return "\n".join(lines)


def claim_replaced(say: Speaker, claim, order, line: str) -> str:
    return say("warranty.replaced", claim=claim.id, invoice=order.invoice_id, line=line)


def claim_answered(say: Speaker, claim, order, balance: int) -> str:
    if claim.state == REFUNDED:
        return say("warranty.refunded", claim=claim.id, invoice=order.invoice_id, amount=claim.refund_amount or 0,
                   balance=balance)
    return say("warranty.rejected", claim=claim.id, invoice=order.invoice_id, reason=claim.reason or "")


def claim_line_button(say: Speaker, position: int, line: str | None) -> str:
    shown = say.plain("delivery.unreadable_line") if line is None else line
    return say.plain("btn.claim_line", position=position, line=shown[:40])


def restock_alert(say: Speaker, product) -> str:
    return say("shop.restock_alert", name=shown(say, product, "name"), stock=product.stock_count)

def goods_lines(say: Speaker, lines: Iterable[str | None]) -> list[str]:
    """Delivered lines as the reader sees them; one that can no longer be opened says so."""
    return [line if line is not None else say.plain("delivery.unreadable_line") for line in lines]


def late_payment_credited(say: Speaker, order, balance: int) -> str:
    fee_part = say("delivery.late_credited_fee", fee=order.charged_fee) if order.charged_fee else ""
    return say("delivery.late_credited", invoice=order.invoice_id, amount=order.total_bill,
               fee_part=fee_part, balance=balance)


def history_title(say: Speaker, page: int, pages: int) -> str:
    return say("history.title_paged", page=page + 1, pages=pages) if pages > 1 else say("history.title")


def order_summaries(say: Speaker, orders: Iterable, items_by_order: dict) -> dict[int, str]:
    """A short "what" per order for lists: product ×qty, or the top-up label (``items_by_order``: an item each)."""
    summaries = {}
    for order in orders:
        if order.kind == TOPUP:
            summaries[order.id] = say.plain("history.topup_summary")
        elif order.id in items_by_order:
            item = items_by_order[order.id]
            summaries[order.id] = say.plain("history.item_summary", name=shown(say, item, "product_name"),
                                            quantity=item.quantity)
    return summaries


def history_button(say: Speaker, order, summary: str) -> str:
    return say.plain("btn.history_order", status=say.plain(f"status_icon.{order.status}"),
                     date=say.moment(order.created_at), summary=summary, total=order.total_bill)


def order_detail(say: Speaker, order, items, refund=None, fields: Iterable[tuple[str, str]] = (), fulfilment=None,
                 claims: Iterable = ()) -> str:
    lines = [say("history.order_invoice", invoice=order.invoice_id),
             say("history.order_status", status=say.plain(f"status.{order.status}")),
             say("history.order_created", created=order.created_at)]
    if order.paid_at:
        lines.append(say("history.order_paid", paid=order.paid_at))
    if order.is_topup:
        lines.append(say("history.order_topup", amount=order.subtotal))
    lines += [say("history.order_item", name=shown(say, item, "product_name"), quantity=item.quantity,
                  price=item.price_per_unit) for item in items]
    lines += field_lines(say, fields)
    if order.promo_id is not None:
        lines.append(say("history.order_promo", code=order.promo.code, discount=order.discount))
    if fulfilment is not None:
        lines.append(say(FULFILMENT_STATES[fulfilment.state]))
    lines += [say(CLAIM_STATES[claim.state], claim=claim.id) for claim in claims]
    if order.charged_fee:
        lines.append(say("history.order_fee", fee=order.charged_fee))
    total = "history.order_total_qris"
    if order.payment_method == BALANCE:
        total = "history.order_total_balance"
    elif order.payment_method == FREE:
        total = "history.order_total_free"
    lines.append(say(total, total=order.total_bill))
    if order.is_credited:
        lines.append(say("history.order_credited"))
    if refund is not None:
        lines.append(say("history.order_refunded", amount=refund.delta, date=refund.created_at))
    return "\n".join(lines)


FULFILMENT_STATES = {WAITING: "history.manual_waiting", COMPLETED: "history.manual_completed",
                     REJECTED: "history.manual_rejected"}
CLAIM_STATES = {OPEN: "history.claim_open", REPLACED: "history.claim_replaced", REFUNDED: "history.claim_refunded",
                CLAIM_REJECTED: "history.claim_rejected"}


def balance_screen(say: Speaker, balance: int, entries) -> str:
    lines = [say("balance.title", balance=balance)]
    if entries:
        lines.append(say("balance.recent"))
        for entry in entries:
            reason = say.plain(f"ledger.{entry.reason}")
            key = "balance.entry_credit" if entry.delta > 0 else "balance.entry_debit"
            lines.append(say(key, date=entry.created_at, amount=abs(entry.delta), reason=reason))
    lines.append(say("balance.footer"))
    return "\n".join(lines)


def balance_changed(say: Speaker, delta: int, balance: int, note: str) -> str:
    """An admin added to (or took from) the customer's balance."""
    lines = [say("balance.admin_added" if delta > 0 else "balance.admin_taken", amount=abs(delta), balance=balance)]
    if note:
        lines.append(say("balance.admin_note", note=note))
    return "\n".join(lines)


def refunded(say: Speaker, invoice: str, amount: int, balance: int, reason: str) -> str:
    lines = [say("history.refunded_notice", invoice=invoice, amount=amount, balance=balance)]
    if reason:
        lines.append(say("history.refund_reason", reason=reason))
    return "\n".join(lines)


def contact_ask(say: Speaker, invoice: str | None) -> str:
    return say("contact.ask_order", invoice=invoice) if invoice else say("contact.ask")


def admin_answer(say: Speaker, invoice: str | None, text: str) -> str:
    """An admin's answer to the customer's message (about an order, when it was)."""
    head = say("contact.answer_order", invoice=invoice) if invoice else say("contact.answer")
    return "\n\n".join(part for part in (head, say("contact.answer_text", text=text) if text else "") if part)


# --- notices to admins ---------------------------------------------------------

def buyer(say: Speaker, user) -> str:
    return say.plain("notice.buyer", name=user.name or "-", id=user.id)


def notice_sale(say: Speaker, order, items, buyer_label: str) -> str:
    parts = ", ".join(say("notice.sale_item", name=item.product_name, quantity=item.quantity) for item in items)
    method = say.plain("btn.pay_balance" if order.payment_method == BALANCE else "btn.pay_qris")
    return say("notice.sale_late" if order.paid_late else "notice.sale", invoice=order.invoice_id,
               items=parts or say("notice.sale_topup"), total=order.total_bill, method=method, buyer=buyer_label)


def notice_mismatch(say: Speaker, order, account: str, gateway: str, transaction) -> str:
    return say("notice.mismatch", invoice=order.invoice_id, account=account, amount=order.gateway_amount,
               gateway=gateway, their_account=transaction.account[:60], their_order=transaction.order_id[:60],
               their_amount=transaction.amount, their_status=transaction.status[:20])


def notice_error(say: Speaker, summary: str, count: int) -> str:
    if count > 1:
        return say("notice.errors", summary=summary, more=count - 1)
    return say("notice.error", summary=summary)

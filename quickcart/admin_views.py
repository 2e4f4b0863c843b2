"""What admins read that is made of several catalogue texts: the help, usage answers, lists, details.

Like :mod:`quickcart.views` for customers: each function takes the admin's
:class:`~quickcart.i18n.Speaker` and domain objects and returns Telegram
HTML (a list of messages where a long list may need several). The words are
all in the catalogue under ``admin.*``; here is only which lines a message has.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from quickcart import views
from quickcart.admin_syntax import Term
from quickcart.charts import ChartDay, ChartProduct, ChartWords
from quickcart.i18n import Speaker
from quickcart.models import (
    BALANCE,
    CLAIM_REJECTED,
    COMPLETED,
    DELIVERED,
    FREE,
    MANUAL,
    MANUAL_KIND,
    PAID,
    PERCENT,
    REFUNDED,
    REJECTED,
    REPLACED,
    STOCK,
    UNLIMITED,
    WAITING,
)
from quickcart.richtext import FormatError
from quickcart.telegram.sender import MAX_TEXT
from quickcart.timeutil import DayRange, jakarta_day_bounds_utc

MEGABYTE = 1024 * 1024


def split_for_telegram(say: Speaker, lines: Iterable[str], limit: int = MAX_TEXT) -> list[str]:
    """Join lines into messages of at most ``limit`` characters of HTML.

    Splits only between lines, so tags (which never span lines here) stay
    balanced; counting the HTML rather than the text Telegram counts keeps
    a margin. A single line longer than the limit is cut, and says so.
    """
    cut = say.plain("admin.cut_line")
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > limit:
            line = line[:limit - len(cut)] + cut
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            messages.append("\n".join(current))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        messages.append("\n".join(current))
    return messages


def _when(say: Speaker, moment: datetime | None) -> str:
    return say.moment(moment) if moment else "-"


def megabytes(size_bytes: int, digits: int = 1) -> float:
    return round(size_bytes / MEGABYTE, digits) if digits else round(size_bytes / MEGABYTE)


# --- help and usage --------------------------------------------------------------

COMMAND_PARTS = ("syntax", "example", "does")


def command_text(say: Speaker, command: str, part: str, **values: object) -> str:
    """A command's ``syntax``, ``example`` or ``does`` (one of :data:`COMMAND_PARTS`)."""
    return say(f"admin.command.{command}.{part}", **values)


def admin_help(say: Speaker, commands: Iterable[str], **values: object) -> list[str]:
    """Every command's syntax and what it does; ``values`` fill the descriptions (the gateway's name, limits)."""
    lines = [say("admin.help_title"), ""]
    for command in commands:
        lines += say("admin.help_command", syntax=command_text(say, command, "syntax"),
                     does=command_text(say, command, "does", **values)).split("\n")
    lines += ["", say("admin.help_footer")]
    return split_for_telegram(say, lines)


def reason(say: Speaker, key: str, values: Mapping[str, object]) -> str:
    """A refusal's reason: the text of the key it carries, with any :class:`Term` value said too, and
    any refusal it carries inside (a :class:`~quickcart.richtext.FormatError` in a product edit's) said
    as its own reason, in HTML.

    The only look-up whose key the code does not spell out here: the refusal
    spelled it where it was raised (``UsageError``, ``ProductError``, ``Term``, ``FormatError``).
    """
    said = {name: say.plain(value.key) if isinstance(value, Term)
            else reason(say, value.key, value.values) if isinstance(value, FormatError) else value
            for name, value in values.items()}
    return say(key, **said)


def usage(say: Speaker, command: str, key: str = "", values: Mapping[str, object] | None = None) -> str:
    """Why ``command`` was refused (by ``key``; none: just "wrong format"), its syntax and an example."""
    head = say("admin.refused", reason=reason(say, key, values or {})) if key else say("admin.wrong_format")
    return "\n".join([head,
                      say("admin.usage_syntax", syntax=command_text(say, command, "syntax")),
                      say("admin.usage_example", example=command_text(say, command, "example"))])


# --- products and stock ----------------------------------------------------------

def product_added(say: Speaker, product) -> str:
    return say("admin.product.added", id=product.id, name=product.name, category=product.category,
               price=product.customer_price, reseller_price=product.reseller_price)


def product_line(say: Speaker, product) -> str:
    state = say.plain("admin.product.state_active" if product.is_active else "admin.product.state_inactive")
    line = say("admin.product.line", state=state, id=product.id, name=product.name, category=product.category,
               price=product.customer_price, reseller_price=product.reseller_price,
               stock=product.stock_count, sold=product.sold_count)
    if product.name_en:
        line += say("admin.product.line_english", name=product.name_en)
    if product.kind != STOCK:
        line += "\n" + say(KIND_LINES[product.kind], per_order=product.max_quantity)
    if product.warranty_days:
        line += "\n" + say("admin.product.warranty", days=product.warranty_days)
    return line


def category_named(say: Speaker, category: str, name_en: str) -> str:
    if name_en:
        return say("admin.category.named", category=category, name=name_en)
    return say("admin.category.unnamed", category=category)


def product_edited(say: Speaker, product, changed: Iterable[str]) -> str:
    return say("admin.product.edited", id=product.id, fields=", ".join(changed), line=product_line(say, product))


def goods_set(say: Speaker, product) -> str:
    """What an unlimited product now gives."""
    return say("admin.product.goods", id=product.id, name=product.name,
               content=say.plain("admin.product.goods_text", length=len(product.content)) if product.content
               else say.plain("admin.product.goods_none"),
               file=product.file_name or say.plain("admin.product.goods_file") if product.file_id
               else say.plain("admin.product.goods_none"))


def fields_set(say: Speaker, product, fields) -> str:
    """What a manual product now asks its buyer."""
    if not fields:
        return say("admin.product.fields_none", id=product.id, name=product.name)
    lines = [say("admin.product.fields", id=product.id, name=product.name)]
    lines += [say("admin.product.field_pattern", label=field.label, pattern=field.pattern) if field.pattern
              else say("admin.product.field_any", label=field.label) for field in fields]
    return "\n".join(lines)


def product_switched(say: Speaker, product) -> str:
    key = "admin.product.now_active" if product.is_active else "admin.product.now_inactive"
    return say(key, id=product.id, name=product.name)


def product_list(say: Speaker, products) -> list[str]:
    if not products:
        return [say("admin.product.list_empty")]
    lines = [say("admin.product.list_title", count=len(products))]
    lines += [product_line(say, product) for product in products]
    return split_for_telegram(say, lines)


def stock_counts(say: Speaker, product, counts) -> str:
    return say("admin.stock.counts", id=product.id, name=product.name, available=counts.available,
               reserved=counts.reserved, sold=counts.sold)


def line_page(say: Speaker, product, listed) -> str:
    """A page of /lines: each available line by id, masked, with when it was added."""
    title = (say("admin.lines.title_paged", id=product.id, name=product.name, count=listed.total,
                 page=listed.page + 1, pages=listed.pages) if listed.pages > 1
             else say("admin.lines.title", id=product.id, name=product.name, count=listed.total))
    if not listed.lines:
        return "\n".join([title, say("admin.lines.none")])
    lines = [title] + [say("admin.lines.line", id=line.id, first=line.ends[0], last=line.ends[1],
                           added=line.created_at)
                       if line.ends is not None else
                       say("admin.lines.line_unreadable", id=line.id, added=line.created_at)
                       for line in listed.lines]
    return "\n".join(lines + ["", say("admin.lines.footer")])


# stock.Refusal.why → why a line was not removed
_NOT_REMOVED = {"missing": "admin.lines.not_found", "removed": "admin.lines.already_removed",
                "reserved": "admin.lines.reserved", "sold": "admin.lines.sold"}


def lines_removed(say: Speaker, removal) -> list[str]:
    lines = []
    if removal.removed:
        lines.append(say("admin.lines.removed", count=len(removal.removed),
                         ids=", ".join(f"#{line_id}" for line_id in removal.removed)))
    if removal.refused:
        lines.append(say("admin.lines.refused", count=len(removal.refused)))
        lines += [say(_NOT_REMOVED[refusal.why], id=refusal.line_id, invoice=refusal.invoice or "-")
                  for refusal in removal.refused]
    return split_for_telegram(say, lines)


def stock_imported(say: Speaker, product, result, available: int) -> str:
    lines = [say("admin.stock.imported", id=product.id, name=product.name, added=result.added,
                 duplicates=result.duplicates, blank=result.blank)]
    if result.too_long:
        lines.append(say("admin.stock.imported_too_long", too_long=result.too_long))
    lines.append(say("admin.stock.imported_available", available=available))
    return "\n".join(lines)


KIND_LINES = {UNLIMITED: "admin.product.kind_unlimited", MANUAL_KIND: "admin.product.kind_manual"}


# --- users -----------------------------------------------------------------------

def user_label(say: Speaker, user) -> str:
    return say("admin.user.label", name=user.name or "-", id=user.id)


def user_profile(say: Speaker, user, orders_total: int, paid_purchases: int, spent: int) -> str:
    if user.is_banned and user.ban_reason:
        banned = say("admin.user.banned_because", reason=user.ban_reason)
    else:
        banned = say("admin.user.banned_plain" if user.is_banned else "admin.user.not_banned")
    lines = [
        say("admin.user.title", name=user.name or "-", username=user.username) if user.username
        else say("admin.user.title_no_username", name=user.name or "-"),
        say("admin.user.ids", id=user.id, member=user.bank_id),
        say("admin.user.role_reseller" if user.is_reseller else "admin.user.role_customer"),
        say("admin.user.balance", balance=user.account_balance),
        say("admin.user.orders", count=orders_total, paid=paid_purchases, spent=spent),
        banned,
        say("admin.user.blocked_bot" if user.blocked_bot else "admin.user.not_blocked_bot"),
        say("admin.user.registered", when=_when(say, user.created_at)),
    ]
    return "\n".join(lines + views.contacts(say, user))


def user_banned(say: Speaker, user) -> str:
    if user.ban_reason:
        return say("admin.user.banned_with_reason", user=user_label(say, user), reason=user.ban_reason)
    return say("admin.user.banned", user=user_label(say, user))


def role_set(say: Speaker, user) -> str:
    return say("admin.user.now_reseller" if user.is_reseller else "admin.user.now_customer",
               user=user_label(say, user))


def balance_adjusted(say: Speaker, user, delta: int, balance_after: int, told: bool | None) -> str:
    """``told``: the customer was told (True), could not be reached (False), or was not to be told (None)."""
    done = say("admin.user.balance_added" if delta > 0 else "admin.user.balance_taken",
               user=user_label(say, user), amount=abs(delta), balance=balance_after)
    return "\n".join([done, customer_told(say, told)])


def customer_told(say: Speaker, told: bool | None) -> str:
    if told is None:
        return say("admin.customer.not_told")
    return say("admin.customer.told" if told else "admin.customer.unreachable")


def balance_short(say: Speaker, user, balance: int, delta: int) -> str:
    return say("admin.user.balance_short", user=user_label(say, user), balance=balance, amount=abs(delta))


def contact_copy(say: Speaker, customer, order, text: str) -> str:
    """An admin's copy of a customer's message: who, about which order, what they wrote, how to answer."""
    lines = [say("admin.contact.from", user=user_label(say, customer))]
    if customer.username:
        lines.append(say("admin.contact.username", username=customer.username))
    if order is not None:
        lines.append(say("admin.contact.order", invoice=order.invoice_id, status=say.plain(f"status.{order.status}"),
                         total=order.total_bill))
    if text:
        lines += ["", say("admin.contact.text", text=text)]
    lines += ["", say("admin.contact.how_to_answer")]
    return "\n".join(lines)


# --- orders ----------------------------------------------------------------------

def order_detail(say: Speaker, order, user, items, events, gateway: str, refund=None, fields=(),
                 fulfilment=None) -> list[str]:
    kind = say.plain("admin.order.kind_topup" if order.is_topup else "admin.order.kind_purchase")
    method_key = "admin.order.method_qris"
    if order.payment_method == BALANCE:
        method_key = "admin.order.method_balance"
    elif order.payment_method == FREE:
        method_key = "admin.order.method_free"
    method = say.plain(method_key)
    lines = [say("admin.order.title", invoice=order.invoice_id, kind=kind, status=say.plain(f"status.{order.status}")),
             say("admin.order.buyer", buyer=user_label(say, user) if user else order.user_id)]
    lines += [say("admin.order.item", name=item.product_name, id=item.product_id, quantity=item.quantity,
                  price=item.price_per_unit) for item in items]
    lines += [say("admin.manual.field", label=label, value=value) for label, value in fields]
    if fulfilment is not None:
        lines.append(fulfilment_line(say, fulfilment))
    if order.promo_id is not None:
        lines.append(say("admin.order.promo", code=order.promo.code, discount=order.discount))
    lines.append(say("admin.order.amounts", subtotal=order.subtotal, fee=order.fee, total=order.total_bill,
                     method=method))
    if order.gateway_fee is not None:
        lines.append(say("admin.order.gateway_amount_fee", gateway=gateway, amount=order.gateway_amount,
                         fee=order.gateway_fee))
    else:
        lines.append(say("admin.order.gateway_amount", gateway=gateway, amount=order.gateway_amount))
    lines += [say("admin.order.created", when=_when(say, order.created_at)),
              say("admin.order.expires", when=_when(say, order.expires_at))]
    if order.paid_at:
        lines.append(say("admin.order.paid_late" if order.paid_late else "admin.order.paid",
                         when=_when(say, order.paid_at)))
    if order.closed_at:
        lines.append(say("admin.order.closed", when=_when(say, order.closed_at)))
    if order.settlement:
        settled = "admin.order.settled_credited"
        if order.settlement == DELIVERED:
            settled = "admin.order.settled_delivered"
        elif order.settlement == MANUAL:
            settled = "admin.order.settled_manual"
        lines.append(say(settled))
    if order.status == PAID:
        lines.append(say("admin.order.delivered", when=_when(say, order.delivered_at),
                         attempts=order.delivery_attempts))
    if refund is not None:
        lines.append(say("admin.order.refunded", amount=refund.delta, when=_when(say, refund.created_at)))
    if events:
        lines.append(say("admin.order.events"))
        lines += [say("admin.order.event_detail", when=_when(say, event.created_at), action=event.action,
                      detail=event.detail[:80]) if event.detail
                  else say("admin.order.event", when=_when(say, event.created_at), action=event.action)
                  for event in events]
    return split_for_telegram(say, lines)


# Why a refund was refused (quickcart.refunds.Refusal values) → what the admin reads.
REFUND_REFUSALS = {
    "not_paid": "admin.refund.not_paid",
    "topup": "admin.refund.topup",
    "credited": "admin.refund.credited",
    "too_much": "admin.refund.too_much",
    "already": "admin.refund.already",
}


def refund_refused(say: Speaker, why: str, order, previous) -> str:
    return say(REFUND_REFUSALS[why], invoice=order.invoice_id, status=say.plain(f"status.{order.status}"),
               paid=order.total_bill, amount=previous.delta if previous else 0,
               when=_when(say, previous.created_at if previous else None))


def refund_done(say: Speaker, refund, buyer, told: bool) -> str:
    return "\n".join([say("admin.refund.done", invoice=refund.order.invoice_id, amount=refund.amount,
                           user=user_label(say, buyer), balance=refund.entry.balance_after),
                       customer_told(say, told)])


def goods(say: Speaker, lines: list[str]) -> str:
    return say("admin.order.goods", count=len(lines), goods="\n".join(lines))


def order_list(say: Speaker, orders, summaries: dict[int, str]) -> list[str]:
    if not orders:
        return [say("admin.order.list_empty")]
    lines = [say("admin.order.list_title", count=len(orders))]
    lines += [say("admin.order.list_line", icon=say.plain(f"status_icon.{order.status}"), invoice=order.invoice_id,
                  summary=summaries.get(order.id, "-"), total=order.total_bill, user=order.user_id,
                  created=_when(say, order.created_at))
              for order in orders]
    return split_for_telegram(say, lines)


# --- manual orders and warranty claims -----------------------------------------------

DECISIONS = {COMPLETED: "admin.decision.completed", REJECTED: "admin.decision.rejected",
             REPLACED: "admin.decision.replaced", REFUNDED: "admin.decision.refunded",
             CLAIM_REJECTED: "admin.decision.rejected"}


def fulfilment_line(say: Speaker, fulfilment) -> str:
    if fulfilment.state == WAITING:
        return say("admin.manual.waiting_since", when=_when(say, fulfilment.created_at))
    return say("admin.manual.decided", outcome=say.plain(DECISIONS[fulfilment.state]),
               who=fulfilment.admin_id, when=_when(say, fulfilment.decided_at))


def manual_card(say: Speaker, order, user, items, fields, fulfilment, reminder: bool = False) -> str:
    """A paid manual order for the admins: who, what, the buyer's fields, what was paid."""
    lines = [say("admin.manual.reminder" if reminder else "admin.manual.title", invoice=order.invoice_id),
             say("admin.order.buyer", buyer=user_label(say, user))]
    lines += [say("admin.order.item", name=item.product_name, id=item.product_id, quantity=item.quantity,
                  price=item.price_per_unit) for item in items]
    lines += [say("admin.manual.field", label=label, value=value) for label, value in fields]
    lines.append(say("admin.manual.paid", total=order.total_bill, when=_when(say, order.paid_at)))
    if fulfilment is not None and fulfilment.state != WAITING:
        lines.append(fulfilment_line(say, fulfilment))
    return "\n".join(lines)


def claim_card(say: Speaker, claim, order, user, items, line: str | None, price: int) -> str:
    """A warranty claim for the admins: the order, the line claimed, the buyer's words, what a refund is."""
    name = next((item.product_name for item in items if item.product_id == claim.product_id), "-")
    lines = [say("admin.claim.title", claim=claim.id, invoice=order.invoice_id),
             say("admin.order.buyer", buyer=user_label(say, user)),
             say("admin.claim.product", name=name, id=claim.product_id, price=price),
             say("admin.claim.line", line=line if line is not None else say.plain("delivery.unreadable_line")),
             say("admin.claim.problem", problem=claim.description),
             say("admin.claim.opened", when=_when(say, claim.created_at))]
    if claim.decided_at is not None:
        lines.append(say("admin.manual.decided", outcome=say.plain(DECISIONS[claim.state]), who=claim.admin_id,
                         when=_when(say, claim.decided_at)))
    return "\n".join(lines)


def decided_by(say: Speaker, admin, admin_id: int | None, state: str, when: datetime | None,
               plain: bool = False) -> str:
    """For the admin who pressed second: it was decided already, how, by whom, when (plain: for an alert)."""
    who = say.plain("admin.decision.who", name=admin.name or "-", id=admin.id) if admin else str(admin_id or "-")
    values = {"outcome": say.plain(DECISIONS[state]), "who": who, "when": _when(say, when)}
    return say.plain("admin.decision.already", **values) if plain else say("admin.decision.already", **values)


# --- the shop --------------------------------------------------------------------

def stats(say: Speaker, figures: dict, claims=()) -> str:
    """The shop's figures; ``claims``: warranty claims per product (:func:`quickcart.warranty.claims_per_product`)."""
    lines = [say("admin.stats.figures", users=figures["total_users"], paid=figures["total_transactions"],
                 active=figures["active_orders"], revenue=figures["revenue_today"])]
    if figures["top_products"]:
        lines.append(say("admin.stats.top"))
        lines += [say("admin.stats.top_product", rank=rank, name=product["name"], id=product["id"],
                      sold=product["sold"])
                  for rank, product in enumerate(figures["top_products"], start=1)]
    if claims:
        lines.append(say("admin.stats.claims"))
        lines += [say("admin.stats.claims_product", name=row.name, id=row.product_id, total=row.total, open=row.open,
                      replaced=row.replaced, refunded=row.refunded) for row in claims]
    return "\n".join(lines)


def storefront_texts(say: Speaker, custom: Mapping[str, bool]) -> str:
    """/settext alone: each storefront text, and whether the admins' own or the default is in use."""
    lines = [say("admin.storefront.list_title")]
    lines += [say("admin.storefront.list_custom" if is_custom else "admin.storefront.list_default", name=name)
              for name, is_custom in custom.items()]
    return "\n".join(lines + ["", say("admin.storefront.list_footer")])


def storefront_text(say: Speaker, name: str, text: str, is_custom: bool) -> str:
    """/settext <name>: the text in use, as written (to copy, change and send back)."""
    key = "admin.storefront.current_custom" if is_custom else "admin.storefront.current_default"
    return say(key, name=name, text=text or "-")


def _day(day: date) -> datetime:
    """A Jakarta day as the stored moment its {x:date} placeholder writes as that day (its first instant)."""
    return jakarta_day_bounds_utc(day)[0]


def stats_overview(say: Speaker, figures: dict, claims=(), referrers=()) -> str:
    referred = top_referrers(say, referrers)
    return "\n".join([stats(say, figures, claims), *([""] + referred if referred else []), "",
                      say("admin.stats.periods_hint")])


def period_title(say: Speaker, period: DayRange) -> str:
    if period.days == 1:
        return say("admin.stats.period_day", day=_day(period.first))
    return say("admin.stats.period", first=_day(period.first), last=_day(period.last), days=period.days)


def period_stats(say: Speaker, figures) -> str:
    """The figures of a period (:class:`quickcart.stats.PeriodFigures`)."""
    lines = [period_title(say, figures.period),
             say("admin.stats.revenue", revenue=figures.revenue),
             say("admin.stats.orders", orders=figures.paid_orders, units=figures.units),
             say("admin.stats.new_customers", customers=figures.new_customers)]
    if figures.created:
        lines.append(say("admin.stats.conversion", paid=figures.created_paid, created=figures.created,
                         percent=figures.conversion_percent))
    else:
        lines.append(say("admin.stats.conversion_none"))
    if figures.average_seconds_to_pay is not None:
        minutes, seconds = divmod(figures.average_seconds_to_pay, 60)
        lines.append(say("admin.stats.time_to_pay", minutes=minutes, seconds=seconds))
    if figures.topups:
        lines.append(say("admin.stats.topups", amount=figures.topups))
    if figures.refunds:
        lines.append(say("admin.stats.refunds", amount=figures.refunded, count=figures.refunds))
    if figures.top:
        lines.append(say("admin.stats.top"))
        lines += [say("admin.stats.period_top_product", rank=rank, name=product.name, id=product.id,
                      units=product.units, revenue=product.revenue)
                  for rank, product in enumerate(figures.top, start=1)]
    return "\n".join(lines)


def chart_words(say: Speaker, shop: str, period: DayRange) -> ChartWords:
    return ChartWords(title=say.plain("admin.stats.chart_title", shop=shop, first=_day(period.first),
                                      last=_day(period.last)),
                      revenue=say.plain("admin.stats.chart_revenue"), orders=say.plain("admin.stats.chart_orders"),
                      top=say.plain("admin.stats.chart_top"), nothing=say.plain("admin.stats.chart_nothing"),
                      cut=say.plain("admin.cut_line"))


def chart_days(say: Speaker, figures) -> list[ChartDay]:
    return [ChartDay(say.plain("admin.stats.chart_day", day=f"{day.day.day:02d}", month=f"{day.day.month:02d}"),
                     day.revenue, day.orders) for day in figures.days]


def chart_products(figures) -> list[ChartProduct]:
    return [ChartProduct(product.name, product.units) for product in figures.top]


def export_range(say: Speaker, period: DayRange | None) -> str:
    if period is None:
        return say.plain("admin.export.range_all")
    return say.plain("admin.export.range", first=_day(period.first), last=_day(period.last))


def export_file_name(say: Speaker, kind: str, period: DayRange | None) -> str:
    """``pesanan-2026-11-01_2026-11-30.csv``; ``kind`` is :data:`quickcart.exports.ORDERS` or ``LEDGER``."""
    span = f"{period.first.isoformat()}_{period.last.isoformat()}" if period else say.plain("admin.export.all_name")
    return say.plain("admin.export.orders_file" if kind == "orders" else "admin.export.ledger_file", span=span)


def export_caption(say: Speaker, kind: str, period: DayRange | None, count: int, zipped: bool) -> str:
    caption = say("admin.export.orders_caption" if kind == "orders" else "admin.export.ledger_caption",
                  range=export_range(say, period), count=count)
    return caption + say("admin.export.zipped") if zipped else caption


def maintenance_switched(say: Speaker, on: bool, was_on: bool) -> str:
    if on:
        return say("admin.maintenance.on_already" if was_on else "admin.maintenance.on")
    return say("admin.maintenance.off" if was_on else "admin.maintenance.off_already")


def broadcast_progress(say: Speaker, tally) -> str:
    return say("admin.broadcast.progress", done=tally.done, total=max(tally.total, tally.done), sent=tally.sent,
               blocked=tally.blocked, failed=tally.failed)


def broadcast_finished(say: Speaker, tally, seconds: float, stopped: bool = False) -> str:
    minutes, secs = divmod(int(seconds), 60)
    summary = say("admin.broadcast.summary", total=max(tally.total, tally.done), sent=tally.sent,
                  blocked=tally.blocked, failed=tally.failed, minutes=minutes, seconds=secs)
    return say("admin.broadcast.stopped" if stopped else "admin.broadcast.finished", summary=summary)


def broadcast_refused(say: Speaker, reason: str) -> str:
    """Telegram refused the admin's own copy (its ``reason``): nobody got it."""
    return say("admin.broadcast.refused", reason=reason)


# --- promo codes and referrals -------------------------------------------------------

def _promo_off(say: Speaker, promo) -> str:
    if promo.kind == PERCENT:
        if promo.max_discount is not None:
            return say("admin.promo.off_percent_max", percent=promo.value, maximum=promo.max_discount)
        return say("admin.promo.off_percent", percent=promo.value)
    return say("admin.promo.off_fixed", amount=promo.value)


def _promo_conditions(say: Speaker, promo) -> str:
    parts = []
    if promo.min_spend:
        parts.append(say("admin.promo.cond_min", amount=promo.min_spend))
    if promo.product_id is not None:
        parts.append(say("admin.promo.cond_product", id=promo.product_id, name=promo.product.name))
    if promo.category is not None:
        parts.append(say("admin.promo.cond_category", category=promo.category))
    if promo.quota is not None:
        parts.append(say("admin.promo.cond_quota", quota=promo.quota))
    if promo.per_user is not None:
        parts.append(say("admin.promo.cond_per_user", limit=promo.per_user))
    if promo.starts_at is not None:
        parts.append(say("admin.promo.cond_starts", when=promo.starts_at))
    if promo.ends_at is not None:
        parts.append(say("admin.promo.cond_ends", when=promo.ends_at))
    if not promo.resellers:
        parts.append(say("admin.promo.cond_no_resellers"))
    return ", ".join(parts) or say("admin.promo.cond_none")


def promo_lines(say: Speaker, promo) -> list[str]:
    """A code as admins read it: on or off, what it takes off, its conditions."""
    state = say("admin.promo.state_active" if promo.is_active else "admin.promo.state_inactive")
    return [say("admin.promo.line", state=state, code=promo.code, off=_promo_off(say, promo)),
            say("admin.promo.conditions", conditions=_promo_conditions(say, promo))]


def promo_saved(say: Speaker, promo, added: bool) -> str:
    head = say("admin.promo.added" if added else "admin.promo.edited", code=promo.code)
    return "\n".join([head, *promo_lines(say, promo)])


def promo_list(say: Speaker, figures) -> list[str]:
    """/promos: every code with its uses (paid, and held by unpaid orders), discount given and revenue."""
    if not figures:
        return [say("admin.promo.list_empty")]
    lines = [say("admin.promo.list_title", count=len(figures))]
    for figure in figures:
        lines += ["", *promo_lines(say, figure.promo),
                  say("admin.promo.figures", used=figure.uses, held=figure.promo.held, discount=figure.discount,
                      revenue=figure.revenue)]
    return split_for_telegram(say, lines)


def top_referrers(say: Speaker, standings) -> list[str]:
    """/stats: who brought most, when anyone did."""
    if not standings:
        return []
    lines = [say("admin.stats.top_referrers")]
    lines += [say("admin.stats.top_referrer", rank=rank, user=user_label(say, standing.referrer),
                  referred=standing.referred, earned=standing.earned)
              for rank, standing in enumerate(standings, start=1)]
    return lines

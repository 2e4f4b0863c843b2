"""Browsing and buying: categories → products → card → (terms) → payment method → QR.

Every screen after the first edits the same message; a card with a photo
is a photo message, and a move between it and a text screen replaces the
message (:func:`~quickcart.handlers.screens.show`). Button data is never
trusted: the product must exist and be active, the quantity must be within
1 and the smaller of stock and the per-order maximum, and each checkout
button carries a one-time nonce (a double tap makes one order) and the
subtotal the customer was shown (a changed price is shown again, never
charged). A product with terms (SNK) shows them with "Setuju" before the
payment methods; a payment button works only for a checkout whose nonce
accepted the product's current terms.

By the product's kind: a free unlimited item is claimed with one button (one
claim per customer); a manual product asks its fields one by one in the
chat (each checked with its pattern, asked again until it fits) before the
summary shows them; a sold-out stock product offers "🔔 Kabari saya".
"""
from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from quickcart import audit, buyer_fields, catalogue, orders, promotions, restock, users, views
from quickcart.callbacks import Callback, encode, new_nonce
from quickcart.handlers.context import App, inline
from quickcart.handlers.screens import (
    PhotoScreen,
    Screen,
    back_to_product,
    checkout_token,
    open_orders_screen,
    pager,
    send_qr,
    show,
)
from quickcart.i18n import Speaker
from quickcart.models import MANUAL_KIND, STOCK, Product, Promo, User
from quickcart.payments import Checkout, CheckoutFailure
from quickcart.telegram.sender import MAX_CAPTION, MAX_TEXT, TelegramError

BUYER_FIELD = "buyer_field"  # the prompt: the buyer types a manual product's next field


@dataclass(frozen=True)
class FieldEntry:
    """A manual product's fields being asked (the prompt's subject): the values typed so far."""
    product_id: int
    quantity: int
    values: tuple[str, ...] = ()

# --- screens ---------------------------------------------------------------------


def categories_screen(say: Speaker, user: User, page: int = 0) -> Screen:
    found = catalogue.categories()
    if not found:
        return say("shop.empty"), None
    if len(found) == 1:
        return products_screen(say, found[0], 0, user)
    shown = catalogue.paginate(found, page, catalogue.CATEGORIES_PER_PAGE)
    rows = [[(views.category_button(say, category), encode("cat", category.key, 0))] for category in shown.items]
    rows += pager(say, shown.page, shown.pages, lambda p: encode("cats", p))
    return say("shop.categories"), inline(rows)


def products_screen(say: Speaker, category: catalogue.Category, page: int, user: User) -> Screen:
    shown = catalogue.products_page(category.name, page)
    rows = [[(views.product_button(say, product, product.price_for(user), _listed_stock(product)),
              encode("prod", product.id, 1))] for product in shown.items]
    rows += pager(say, shown.page, shown.pages, lambda p: encode("cat", category.key, p))
    if len(catalogue.categories()) > 1:
        rows.append([(say.plain("btn.back"), encode("cats", 0))])
    return views.products_title(say, category, shown.page, shown.pages), inline(rows)


def _listed_stock(product: Product) -> int | None:
    """What a list shows as stock: the lines of a stock product; None (available) or 0 for the others."""
    if product.kind == STOCK:
        return product.stock_count
    return None if catalogue.has_goods(product) else 0


def card_screen(app: App, say: Speaker, product, quantity: int, user: User) -> PhotoScreen:
    limit = catalogue.max_quantity(product, app.config.shop.max_quantity)
    price = product.price_for(user)
    subscribed = catalogue.is_sold_out(product) and restock.is_subscribed(user.id, product.id)
    rows = []
    if limit and catalogue.is_free_for(product, price):
        rows.append([(say.plain("btn.claim_free"), encode("free", product.id))])
    elif limit:
        if product.kind == STOCK or limit > 1:  # one unit per order of an unlimited/manual product: no ➖ ➕
            rows.append([(say.plain("btn.minus"), encode("prod", product.id, max(quantity - 1, 0))),
                         (str(quantity), encode("noop")),
                         (say.plain("btn.plus"), encode("prod", product.id, quantity + 1))])
        rows.append([(say.plain("btn.buy"), encode("buy", product.id, quantity))])
    elif catalogue.is_sold_out(product) and not subscribed:
        rows.append([(say.plain("btn.notify_me"), encode("sub", product.id))])
    rows.append([(say.plain("btn.back"), encode("cat", catalogue.category_key(product.category), 0))])
    fields = [field.label for field in buyer_fields.load(product.fields_spec)] if product.kind == MANUAL_KIND else []
    photo = product.photo_file_id
    text = views.product_card(say, product, price, quantity, user.is_reseller, limit, fields, subscribed,
                              limit=MAX_CAPTION if photo else MAX_TEXT)
    return text, inline(rows), photo


def terms_screen(say: Speaker, product, quantity: int) -> Screen:
    rows = [[(say.plain("btn.agree"), encode("agree", product.id, quantity))],
            [(say.plain("btn.back"), encode("prod", product.id, quantity))]]
    return views.terms(say, product), inline(rows)


def payment_choice_screen(app: App, say: Speaker, product, quantity: int, user: User,
                          fields: tuple[str, ...] = (), promo: Promo | None = None, nonce: str | None = None,
                          notice: str = "") -> Screen:
    """The order summary and the payment methods. Shown only once the product's terms (if any) were
    accepted, so a new nonce for its buttons is recorded as having accepted them; ``fields``: what the buyer
    of a manual product typed, kept for the buttons by their nonce. A summary shown again with a promo code
    keeps its checkout's ``nonce`` (one checkout, one order, whichever summary is pressed) and the fields
    kept for it. ``notice`` goes above it (why a code does not apply)."""
    cost = orders.quote(product, user, quantity, app.payments.fees, promo=promo)
    enough = user.account_balance >= cost.charged
    if nonce is None:
        nonce = new_nonce()
        if product.terms:
            app.accepted_terms.accept(user.id, nonce, product.id, catalogue.terms_digest(product))
    elif not fields:
        fields = app.drafts.get(checkout_token(user.id, nonce)) or ()
    if fields:
        app.drafts.keep(checkout_token(user.id, nonce), fields)  # the pay buttons name them by their nonce

    def pay_button(method: str) -> str:
        # The buttons carry what the goods cost as shown here: a press pays exactly that or nothing.
        if promo is None:
            return encode("pay", method, product.id, quantity, nonce, cost.charged)
        return encode("payv", method, product.id, quantity, nonce, cost.charged, promo.id)

    methods = [(say.plain("btn.pay_qris"), pay_button("q"))]
    if enough:
        methods.append((say.plain("btn.pay_balance"), pay_button("b")))
    rows = [methods]
    if promo is not None or promotions.offered():  # a shop with no codes does not ask for one
        rows.append([(say.plain("btn.promo"), encode("promo", product.id, quantity, nonce))])
    rows.append([(say.plain("btn.back"), encode("prod", product.id, quantity))])
    labels = [field.label for field in buyer_fields.load(product.fields_spec)]
    typed = list(zip(labels, fields, strict=False))
    summary = views.choose_payment(say, product, cost, user.account_balance, enough, typed)
    return "\n\n".join(part for part in (notice, summary) if part), inline(rows)


# --- handlers --------------------------------------------------------------------

def open_catalogue(app: App, message: types.Message, user: User) -> None:
    app.sender.post_text(message.chat.id, *categories_screen(app.say(user), user))


def noop(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    app.sender.answer(call.id)


def categories(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    show(app, call, *categories_screen(app.say(user), user, cb.int(0)))


def category(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say = app.say(user)
    found = catalogue.category_by_key(cb.args[0])
    if found is None:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        show(app, call, *categories_screen(say, user))
        return
    show(app, call, *products_screen(say, found, cb.int(1), user))


@dataclass(frozen=True)
class _ProductPress:
    say: Speaker
    product: Product
    quantity: int  # what the button asks for, unchecked
    limit: int  # what may be bought now: the smaller of stock and the per-order maximum


def _product_press(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> _ProductPress | None:
    """The product a ``prod``/``buy`` button names, or None after sending the user back to the categories."""
    say = app.say(user)
    product = catalogue.active_product(cb.int(0))
    if product is None:
        app.sender.answer(call.id, say.plain("shop.unavailable"), alert=True)
        show(app, call, *categories_screen(say, user))
        return None
    return _ProductPress(say, product, cb.int(1), catalogue.max_quantity(product, app.config.shop.max_quantity))


def product_card(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    press = _product_press(app, call, cb, user)
    if press is None:
        return
    if press.limit and press.quantity < 1:
        app.sender.answer(call.id, press.say.plain("shop.qty_min"))
        return
    if press.limit and press.quantity > press.limit:
        # Shown again at the maximum (Telegram ignores an edit that changes nothing).
        app.sender.answer(call.id, press.say.plain("shop.qty_max", limit=press.limit))
    quantity = min(press.quantity, press.limit) if press.limit else 1
    show(app, call, *card_screen(app, press.say, press.product, quantity, user))


def _buyable(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> _ProductPress | None:
    """The press of a ``buy``/``agree`` button, if that quantity can be bought; else the card again."""
    press = _product_press(app, call, cb, user)
    if press is None:
        return None
    say, product, quantity = press.say, press.product, press.quantity
    if not press.limit or catalogue.is_free_for(product, product.price_for(user)):
        app.sender.answer(call.id, say.plain("shop.out_of_stock"), alert=True)
        show(app, call, *card_screen(app, say, product, 1, user))
    elif not 1 <= quantity <= press.limit:
        refusal = (views.stock_short(say, product.stock_count) if product.is_stock and quantity > product.stock_count
                   else say.plain("shop.qty_max", limit=press.limit))
        app.sender.answer(call.id, refusal, alert=True)
        show(app, call, *card_screen(app, say, product, max(1, min(quantity, press.limit)), user))
    else:
        return press
    return None


def buy(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """🛒 Beli: the terms first when the product has them, then a manual product's fields, then the summary."""
    press = _buyable(app, call, cb, user)
    if press is None:
        return
    if press.product.terms:
        show(app, call, *terms_screen(press.say, press.product, press.quantity))
    else:
        _fields_or_summary(app, call, press, user)


def agree(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """"Setuju" under a product's terms: on to the fields or the payment methods, for this checkout."""
    press = _buyable(app, call, cb, user)
    if press is not None:
        _fields_or_summary(app, call, press, user)


def _fields_or_summary(app: App, call: types.CallbackQuery, press: _ProductPress, user: User) -> None:
    if press.product.kind == MANUAL_KIND and buyer_fields.load(press.product.fields_spec):
        _ask_field(app, user.id, FieldEntry(press.product.id, press.quantity),
                   lambda text, markup: show(app, call, text, markup))
    else:
        show(app, call, *payment_choice_screen(app, press.say, press.product, press.quantity, user))


def _terms_accepted(app: App, call: types.CallbackQuery, user: User, product, quantity: int, nonce: str) -> bool:
    """Whether this checkout accepted the product's current terms; if not, the terms are shown again."""
    if product is None or not product.terms or app.accepted_terms.holds(
            user.id, nonce, product.id, catalogue.terms_digest(product)):
        return True  # (a product gone is refused by the checkout itself)
    say = app.say(user)
    app.sender.answer(call.id, say.plain("shop.terms_first"), alert=True)
    show(app, call, *terms_screen(say, product, quantity))
    return False


def _record_acceptance(order, product) -> None:
    if product is not None and product.terms:
        audit.record_now("terms.accepted", subject=f"order:{order.invoice_id}",
                         detail=f"terms {catalogue.terms_digest(product)} of product {product.id}")


# --- a manual product's fields, asked one by one -------------------------------------

def _ask_field(app: App, user_id: int, entry: FieldEntry, post, retry: bool = False) -> None:
    """Ask the next field of ``entry`` (``post(text, markup)`` shows the question)."""
    product = catalogue.active_product(entry.product_id)
    fields = buyer_fields.load(product.fields_spec) if product is not None else []
    say = app.say(users.get(user_id))
    position = len(entry.values)
    app.prompts.ask(user_id, BUYER_FIELD, entry)
    post(views.ask_field(say, fields[position].label, position + 1, len(fields), retry),
         inline([[(say.plain("btn.cancel_fields"), encode("fcnl", entry.product_id))]]))


def typed_field(app: App, message: types.Message, user: User) -> None:
    """The answer to a field's question: kept if it fits the pattern, else asked again."""
    say = app.say(user)
    entry = app.prompts.subject(user.id, BUYER_FIELD)
    product = catalogue.active_product(entry.product_id) if isinstance(entry, FieldEntry) else None
    fields = buyer_fields.load(product.fields_spec) if product is not None else []
    if product is None or not len(entry.values) < len(fields):
        app.prompts.done(user.id)
        app.sender.post_text(message.chat.id, say("shop.unavailable"))
        return

    def post(text: str, markup) -> None:
        app.sender.post_text(message.chat.id, text, markup)
    value = (message.text or "").strip()
    if not fields[len(entry.values)].accepts(value):
        _ask_field(app, user.id, entry, post, retry=True)
        return
    entry = FieldEntry(entry.product_id, entry.quantity, entry.values + (value,))
    if len(entry.values) < len(fields):
        _ask_field(app, user.id, entry, post)
        return
    app.prompts.done(user.id)
    post(*payment_choice_screen(app, say, product, entry.quantity, users.get(user.id), entry.values))


def cancel_fields(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    app.prompts.done(user.id)
    product = catalogue.active_product(cb.int(0))
    say = app.say(user)
    if product is None:
        show(app, call, *categories_screen(say, user))
    else:
        show(app, call, *card_screen(app, say, product, 1, user))


# --- free items and restock alerts --------------------------------------------------------

def claim_free(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """🎁 Ambil gratis: one order per customer and product, however often it is pressed."""
    say = app.say(user)
    checkout = app.payments.claim_free(user, cb.int(0), call.message.chat.id)
    if checkout.failure is CheckoutFailure.DUPLICATE:
        app.sender.answer(call.id, say.plain("shop.free_claimed_before"), alert=True)
    elif not checkout.ok:
        app.sender.answer(call.id, say.plain("shop.unavailable"), alert=True)
        show(app, call, *categories_screen(say, user))
    else:
        app.sender.answer(call.id, say.plain("shop.free_claimed"))
        show(app, call, say("shop.free_claimed_screen", invoice=checkout.order.invoice_id), None)


def notify_me(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """🔔 Kabari saya on a sold-out product."""
    say = app.say(user)
    product = catalogue.active_product(cb.int(0))
    if product is None:
        app.sender.answer(call.id, say.plain("shop.unavailable"), alert=True)
        show(app, call, *categories_screen(say, user))
        return
    if catalogue.is_sold_out(product):
        restock.subscribe(user.id, product.id)
        app.sender.answer(call.id, say.plain("shop.notify_subscribed"))
    show(app, call, *card_screen(app, say, product, 1, user))


def _fields_for(app: App, product, token: str) -> tuple[str, ...] | None:
    """What the buyer typed for a manual product's fields before this summary (None: lost, ask again)."""
    if product is None or product.kind != MANUAL_KIND or not buyer_fields.load(product.fields_spec):
        return ()
    return app.drafts.get(token)


def pay(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    """QRIS or Saldo on a summary (``payv``: one with a promo code, whose id the button carries)."""
    say = app.say(user)
    method, product_id, quantity, nonce, quoted = cb.args[0], cb.int(1), cb.int(2), cb.args[3], cb.int(4)
    promo_id = cb.int(5) if cb.action == "payv" else None
    product = catalogue.active_product(product_id)  # (one gone is refused by the checkout itself)
    if not _terms_accepted(app, call, user, product, quantity, nonce):
        return
    token = checkout_token(user.id, nonce)
    chat_id = call.message.chat.id
    fields = _fields_for(app, product, token)
    if fields is None:
        checkout = Checkout(failure=CheckoutFailure.FIELDS_INVALID)
        tell_checkout_failure(app, say, call, checkout, product_id, quantity, user)
        return
    if method == "b":
        checkout = app.payments.pay_with_balance(user, product_id, quantity, token, chat_id, quoted, list(fields),
                                                 promo_id)
        if not checkout.ok:
            tell_checkout_failure(app, say, call, checkout, product_id, quantity, user, promo_id)
            return
        _record_acceptance(checkout.order, product)
        app.sender.answer(call.id, say.plain("checkout.paid_with_balance"))
        show(app, call, say("checkout.paid_with_balance_screen", invoice=checkout.order.invoice_id), None)
        return
    app.sender.answer(call.id, say.plain("checkout.creating_qr"))
    checkout = app.payments.checkout_qris(user, product_id, quantity, token, chat_id, quoted, list(fields), promo_id)
    if not checkout.ok:
        tell_checkout_failure(app, say, call, checkout, product_id, quantity, user, promo_id)
        return
    _record_acceptance(checkout.order, product)
    if send_qr(app, say, chat_id, checkout.order):
        try:
            app.sender.delete(chat_id, call.message.message_id)
        except TelegramError:
            pass
    else:
        show(app, call, say("gate.error"), None)


def promo_category(promo: Promo | None) -> catalogue.Category | None:
    """The category a code is for, to name it in the reader's language."""
    if promo is None or promo.category is None:
        return None
    return catalogue.category_by_key(catalogue.category_key(promo.category))


def usable_promo(promo_id: int | None, user: User, product, quantity: int) -> Promo | None:
    """The code a summary had, if it still applies to this purchase (else it is shown without)."""
    if promo_id is None:
        return None
    try:
        return promotions.check_id(promo_id, user, product, quantity)
    except promotions.PromoRefused:
        return None


def tell_checkout_failure(app: App, say: Speaker, call: types.CallbackQuery, checkout: Checkout,
                          product_id: int, quantity: int, user: User, promo_id: int | None = None) -> None:
    """Why no order was made, and the screen to go on from."""
    failure = checkout.failure
    if failure is CheckoutFailure.DUPLICATE:
        app.sender.answer(call.id, say.plain("checkout.in_progress"))
    elif failure is CheckoutFailure.UNAVAILABLE:
        app.sender.answer(call.id, say.plain("shop.unavailable"), alert=True)
        show(app, call, *categories_screen(say, user))
    elif failure is CheckoutFailure.STOCK_SHORT:
        app.sender.answer(call.id, views.stock_short(say, checkout.available), alert=True)
        product = catalogue.active_product(product_id)
        if product is not None:
            show(app, call, *card_screen(app, say, product, max(1, min(quantity, checkout.available)), user))
    elif failure is CheckoutFailure.FIELDS_INVALID:
        app.sender.answer(call.id, say.plain("checkout.fields_again"), alert=True)
        product = catalogue.active_product(product_id)
        if product is not None:
            show(app, call, *card_screen(app, say, product, 1, user))
    elif failure in (CheckoutFailure.GATEWAY_DOWN, CheckoutFailure.GATEWAY_ERROR):
        key = "checkout.gateway_down" if failure is CheckoutFailure.GATEWAY_DOWN else "checkout.gateway_error"
        show(app, call, say(key), back_to_product(say, product_id, quantity))
    elif failure in (CheckoutFailure.INSUFFICIENT_BALANCE, CheckoutFailure.PRICE_CHANGED):
        refusal = (say.plain("checkout.price_changed") if failure is CheckoutFailure.PRICE_CHANGED
                   else say.plain("checkout.balance_insufficient", balance=checkout.balance, needed=checkout.needed))
        app.sender.answer(call.id, refusal, alert=True)
        product = catalogue.active_product(product_id)
        if product is not None:
            user = users.get(user.id)
            promo = usable_promo(promo_id, user, product, quantity)
            show(app, call, *payment_choice_screen(app, say, product, quantity, user, promo=promo))
    elif failure is CheckoutFailure.PROMO_REFUSED:
        # Said above the summary, not in an alert: the QRIS press was already answered ("creating the QR").
        refused = checkout.promo_refusal
        product = catalogue.active_product(product_id)
        if product is not None:
            notice = say("promo.refused", code=refused.promo.code if refused.promo else "",
                         reason=views.promo_refusal(say, refused, promo_category(refused.promo)))
            show(app, call, *payment_choice_screen(app, say, product, quantity, users.get(user.id), notice=notice))
    elif failure is CheckoutFailure.BELOW_MINIMUM:
        show(app, call, say("checkout.below_minimum", amount=checkout.needed, minimum=app.gateway.minimum_amount),
             back_to_product(say, product_id, quantity))
    elif failure is CheckoutFailure.TOO_MANY_PENDING:
        show(app, call, *open_orders_screen(say, checkout.open_orders))

"""🎟 Pakai Kode Promo: on the order summary, the customer types a code and sees the summary with its discount.

The code is checked (:func:`quickcart.promotions.check`) and the summary is
shown again with the discount before anything is paid; its buttons carry
the code's id and the price after the discount, and keep the checkout's
nonce, so the old and the new summary make one order between them. Whether
the code still applies is decided again, for good, when the order is made.
"""
from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from quickcart import catalogue, promotions, users, views
from quickcart.callbacks import Callback
from quickcart.handlers.context import App
from quickcart.handlers.shop import payment_choice_screen, promo_category
from quickcart.models import User
from quickcart.telegram.sender import TelegramError

CODE = "promo_code"  # the prompt: the customer types a promo code


@dataclass(frozen=True)
class CodeQuestion:
    """What a typed code is for: the summary's product, quantity and checkout nonce, and that summary's message."""
    product_id: int
    quantity: int
    nonce: str
    summary_message_id: int


def ask_code(app: App, call: types.CallbackQuery, cb: Callback, user: User) -> None:
    say = app.say(user)
    product = catalogue.active_product(cb.int(0))
    if product is None:
        app.sender.answer(call.id, say.plain("shop.unavailable"), alert=True)
        return
    if not 1 <= cb.int(1) <= app.config.shop.max_quantity:
        app.sender.answer(call.id, say.plain("gate.stale_button"))
        return
    app.prompts.ask(user.id, CODE, CodeQuestion(product.id, cb.int(1), cb.args[2], call.message.message_id))
    app.sender.answer(call.id)
    app.sender.post_text(call.message.chat.id, say("promo.ask", name=views.shown(say, product, "name"),
                                                   quantity=cb.int(1)))


def typed_code(app: App, message: types.Message, user: User) -> None:
    """The answer to "type your code": the summary again, with the discount or with why there is none."""
    say = app.say(user)
    question = app.prompts.subject(user.id, CODE)
    app.prompts.done(user.id)
    product = catalogue.active_product(question.product_id) if isinstance(question, CodeQuestion) else None
    if product is None:
        app.sender.post_text(message.chat.id, say("shop.unavailable"))
        return
    user = users.get(user.id)
    typed = (message.text or "").strip()
    notice = ""
    try:
        promo = promotions.check(typed, user, product, question.quantity)
    except promotions.PromoRefused as refused:
        promo = None
        notice = say("promo.refused", code=promotions.normal_code(typed)[:32],
                     reason=views.promo_refusal(say, refused, promo_category(refused.promo)))
    try:
        app.sender.delete(message.chat.id, question.summary_message_id)
    except TelegramError:
        pass  # too old to delete: it stays, and pays for the same one order
    app.sender.post_text(message.chat.id, *payment_choice_screen(app, say, product, question.quantity, user,
                                                                 promo=promo, nonce=question.nonce, notice=notice))

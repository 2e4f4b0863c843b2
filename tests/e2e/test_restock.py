"""Restock alerts: 🔔 Kabari saya on a sold-out product; each subscriber told once when stock arrives."""
from __future__ import annotations

from quickcart import restock
from quickcart.models import RestockSubscription, User
from tests.admin_words import pattern
from tests.e2e.admin_helpers import ask, start_admin
from tests.e2e.journey import open_product, start
from tests.e2e.test_broadcast import register_many
from tests.words import button, fragment, says

CROWD = list(range(300_001, 300_050))  # 49, and one who subscribes by the button


def alerts_to(telegram, user_id: int, name: str) -> int:
    alert = fragment("shop.restock_alert", name=name)
    return sum(1 for m in telegram.chat(user_id).bot_messages() if alert in m.plain_text())


def test_fifty_subscribers_are_told_once_when_stock_arrives(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(name="Canva Pro 1 Tahun", category="Desain")
    kiki = telegram.user(9101, "Kiki")
    start(kiki)
    card = open_product(kiki, product.name, category="Desain")
    assert says("shop.card_sold_out") in card.plain_text()
    first = kiki.press(card, button("btn.notify_me"))
    assert kiki.wait_for_answer(first).text == button("shop.notify_subscribed")
    subscribed = kiki.wait_for_message(contains=says("shop.card_subscribed").strip())
    assert button("btn.notify_me") not in subscribed.button_texts()
    again = kiki.press_callback_data(subscribed, f"v1:sub:{product.id}")  # a second tap changes nothing
    kiki.wait_for_answer(again)
    register_many(telegram, CROWD)
    register_many(telegram, [300_100], is_banned=True)
    for user_id in CROWD + [300_100]:
        restock.subscribe(user_id, product.id)
    assert RestockSubscription.select().count() == 51

    ask(admin, f"/addstock {product.id}\nakun-canva-1:pw\nakun-canva-2:pw", pattern("admin.stock.imported"))
    everyone = CROWD + [kiki.id]
    telegram.wait_until(lambda: all(alerts_to(telegram, user_id, product.name) for user_id in everyone),
                        timeout=30, what="every subscriber alerted")
    alert = next(m for m in telegram.chat(kiki.id).bot_messages()
                 if fragment("shop.restock_alert", name=product.name) in m.plain_text())
    assert button("btn.restock_open") in alert.button_texts()
    telegram.wait_until(lambda: RestockSubscription.select().count() == 0, what="everyone unsubscribed")

    ask(admin, f"/addstock {product.id}\nakun-canva-3:pw", pattern("admin.stock.imported"))
    assert [alerts_to(telegram, user_id, product.name) for user_id in everyone] == [1] * 50
    assert alerts_to(telegram, 300_100, product.name) == 0, "a banned customer is not told"
    assert not User.get_by_id(300_100).blocked_bot
    kiki.press(alert, button("btn.restock_open"))  # the alert's button opens the card, with its stock
    kiki.wait_for_message(contains=says("shop.card_stock", stock=3))

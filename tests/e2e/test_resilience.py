"""Faults at the edges: Telegram and Pakasir misbehave, users block, updates repeat, input is garbage."""
from __future__ import annotations

import random
import string

from quickcart import callbacks
from quickcart.models import PAID, Order, Product, StockLine, User
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import choose_payment, invoice_of, open_product, pay_by_qris, start
from tests.words import button, fragment, says

LINES = ["kunci-lisensi-1111-AAAA", "kunci-lisensi-2222-BBBB", "kunci-lisensi-3333-CCCC"]


def bot_texts(telegram, user_id):
    return [m.plain_text() for m in telegram.chat(user_id).bot_messages() if m.kind in ("text", "photo")]


def test_429_then_500_then_a_dropped_connection_lose_no_message_and_double_none(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    gina = telegram.user(9101, "Gina")
    start(gina)
    telegram.faults.add("sendMessage", status=429, retry_after=1, chat_id=gina.id)
    telegram.faults.add("sendPhoto", status=500, chat_id=gina.id)
    telegram.faults.add("sendMessage", drop=True, chat_id=gina.id)
    qr = pay_by_qris(gina, product.name)
    pakasir.complete(invoice_of(qr))
    gina.wait_for_message(contains=says("delivery.title"), timeout=20)
    telegram.wait_until(lambda: not telegram.faults.pending(), what="every fault fired")
    seen = bot_texts(telegram, gina.id)
    assert sum(says("delivery.title") in t for t in seen) == 1
    assert sum(says("payment.qr_title") in t for t in seen) == 1
    assert sum(fragment("start.welcome") in t for t in seen) == 1
    assert telegram.stats.unhonoured_429 == 0


def test_a_customer_who_blocks_the_bot_mid_purchase_keeps_the_order_and_gets_it_on_return(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    hadi = telegram.user(9102, "Hadi")
    start(hadi)
    qr = pay_by_qris(hadi, product.name)
    hadi.block_bot()
    telegram.wait_until(lambda: User.get_by_id(hadi.id).blocked_bot, what="block noticed")
    pakasir.complete(invoice_of(qr))
    order = telegram.wait_until(lambda: Order.get_or_none((Order.status == PAID) & (Order.delivery_attempts > 0)))
    assert order.delivered_at is None and shop.get("/health").status_code == 200
    hadi.unblock_bot()
    hadi.send_text("/start")
    hadi.wait_for_message(contains=says("delivery.title"), timeout=15)
    assert not User.get_by_id(hadi.id).blocked_bot


def test_get_updates_failing_for_ten_seconds_then_the_bot_resumes(shop, telegram):
    indah = telegram.user(9103, "Indah")
    telegram.faults.fail_get_updates(10, status=502)
    telegram.wait_until(lambda: shop.get("/health").json()["services"]["telegram"] == "unreachable",
                        timeout=15, what="health to notice the outage")
    health = shop.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    indah.send_text("/start")
    indah.wait_for_message(contains=fragment("start.welcome"), timeout=25)
    telegram.wait_until(lambda: shop.get("/health").json()["status"] == "healthy", timeout=10)


def test_a_handler_that_fails_answers_coba_lagi_and_the_next_press_works(shop, telegram):
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    product = shop.add_product(lines=LINES)
    joni = telegram.user(9104, "Joni")
    start(joni)
    card = open_product(joni, product.name)
    telegram.faults.add("editMessageText", status=400, description="Bad Request: injected", chat_id=joni.id)
    answer = joni.wait_for_answer(joni.press(card, button("btn.plus")))
    assert answer.text == button("gate.error") and answer.show_alert
    admin.wait_for_message(contains=fragment("notice.error"))
    joni.press(card, button("btn.plus"))
    joni.wait_for_message(contains=fragment("shop.card_quantity", quantity=2))


def test_the_same_update_delivered_twice_creates_one_order(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    kartika = telegram.user(9105, "Kartika")
    start(kartika)
    choice = choose_payment(kartika, open_product(kartika, product.name))
    kartika.press(choice, button("btn.pay_qris"))
    kartika.wait_for_message(lambda m: m.kind == "photo")
    shop.stop()
    telegram.replay_last_updates(3)  # Telegram redelivers what a crashed bot never confirmed
    shop.start()
    telegram.wait_until(lambda: "already handled" in shop.logs(), what="the replay seen and skipped")
    assert Order.select().count() == 1
    assert len(pakasir.transactions) == 1


def random_payload(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 64)))
    if kind == 1:
        action = rng.choice(list(callbacks.ACTIONS))
        return ":".join(["v1", action] + [str(rng.choice([-1, 0, 1, 7, 10**9, "x", "ffffffff"]))
                                          for _ in range(rng.randint(0, 5))])
    if kind == 2:
        return "v1:" + "".join(rng.choice("0123456789:abcqv") for _ in range(rng.randint(1, 40)))
    return rng.choice(["🙂" * 16, "\u202e\u200b" * 10, "v1:prod:１:1", "v1:pay:q:1:1:AAAAAAA\u0000"])


def snapshot():
    return (
        [(o.id, o.status, o.total_bill) for o in Order.select().order_by(Order.id)],
        [(line.id, line.state, line.order_id) for line in StockLine.select().order_by(StockLine.id)],
        [(p.id, p.stock_count, p.sold_count, p.customer_price, p.is_active) for p in Product.select()],
        [(u.id, u.account_balance, u.member_status, u.is_banned) for u in User.select().order_by(User.id)],
    )


def test_random_buttons_huge_and_odd_texts_change_nothing_and_crash_nothing(shop, telegram):
    shop.add_product(lines=LINES)
    crowd = [telegram.user(9200 + i, f"Fuzzer{i}") for i in range(6)]
    for user in crowd:
        start(user)
    anchors = {user.id: user.wait_for_message(contains=fragment("start.welcome")) for user in crowd}
    before = snapshot()
    rng = random.Random(20261127)
    presses = []
    for i in range(300):
        user = crowd[i % len(crowd)]
        presses.append((user, user.press_callback_data(anchors[user.id], random_payload(rng))))
    odd_texts = ["x" * 4096, "y" * 5000, "\u202e\u0000\u200dمرحبا", "🧾" * 1000, "/addstock 1\n" + "z" * 4000,
                 "/addproduct |||| ", "/editproduct 1 customer_price=-5", "/ban", "/broadcast <b>hi",
                 "/start " + "\u0301" * 300]
    for i, text in enumerate(odd_texts):
        crowd[i % len(crowd)].send_text(text)
    for user, query_id in presses:
        user.wait_for_answer(query_id, timeout=30)
    assert shop.running and shop.get("/health").status_code == 200
    assert snapshot() == before
    assert shop.get("/health").json()["status"] == "healthy"


def test_floods_are_dropped_with_one_notice_a_minute(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    lutfi = telegram.user(9106, "Lutfi")
    for _ in range(12):
        lutfi.send_text("halo")
    telegram.wait_until(lambda: bot_texts(telegram, lutfi.id).count(says("gate.flood")) == 1,
                        timeout=20, what="one flood notice")
    telegram.wait_until(lambda: len(bot_texts(telegram, lutfi.id)) >= 11, timeout=20)
    assert bot_texts(telegram, lutfi.id).count(says("contact.offer")) == 10  # each offered to the admins

    maya = telegram.user(9107, "Maya")
    start(maya)
    qr = pay_by_qris(maya, product.name)
    answers = [maya.wait_for_answer(maya.press(qr, button("btn.check_status"))).text for _ in range(6)]
    assert answers[-1] == button("payment.check_limit")
    assert all(answer.startswith(fragment("payment.pending")) for answer in answers[:5])
    assert len(pakasir.requests_for("detail", invoice_of(qr))) <= 6


def test_admins_get_a_larger_allowance(shop, telegram):
    admin = telegram.user(ADMIN_ID, "Admin")
    for _ in range(15):
        admin.send_text("halo")
    telegram.wait_until(lambda: bot_texts(telegram, admin.id).count(says("gate.unknown_text")) == 15, timeout=30)
    assert says("gate.flood") not in bot_texts(telegram, admin.id)


def test_debug_logging_still_hides_the_api_key_the_token_and_the_goods(make_shop, telegram, pakasir):
    shop = make_shop(overrides={"logging": {"level": "DEBUG"}})
    product = shop.add_product(lines=LINES)
    nadia = telegram.user(9108, "Nadia")
    start(nadia)
    qr = pay_by_qris(nadia, product.name)
    nadia.press(qr, button("btn.check_status"))
    pakasir.complete(invoice_of(qr))
    nadia.wait_for_message(contains=says("delivery.title"))
    logs = shop.logs()
    assert "[upd-" in logs and "[whk-" in logs, "correlation ids tag updates and webhooks"
    # the fixture's teardown checks the token, the api_key and every stock line


def test_a_banned_user_gets_one_short_notice_and_nothing_else(shop, telegram):
    from quickcart import users
    from quickcart.models import ProcessedUpdate

    product = shop.add_product(lines=LINES)
    omar = telegram.user(9109, "Omar")
    start(omar)
    card = open_product(omar, product.name)
    users.ban(ADMIN_ID, users.get(omar.id), "penipuan")
    before = len(telegram.chat(omar.id).bot_messages())
    handled = ProcessedUpdate.select().count()
    for text in ("/start", "/produk", "halo", button("menu.balance")):
        omar.send_text(text)
    answer = omar.wait_for_answer(omar.press(card, button("btn.buy")))
    telegram.wait_until(lambda: ProcessedUpdate.select().count() == handled + 5, what="all five handled")
    # The notice is the chat's fourth message in a second or so: it waits for the chat's pace.
    after = telegram.wait_until(lambda: telegram.chat(omar.id).bot_messages()[before:], what="the notice")
    assert [m.plain_text() for m in after] == [says("gate.banned")]
    assert answer.text == button("gate.banned")
    assert Order.select().count() == 0

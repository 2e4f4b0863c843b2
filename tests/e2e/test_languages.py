"""Bahasa Indonesia and English: each customer's whole journey in their language, and switching mid-way.

A customer's journey is read back as they saw it — every message and edit,
every button label (on every version of every message), every answer to a
press, the reply keyboard — and searched for words that give the other
language away (tests/telltales.py), once the names, goods and ids that are
theirs to show are taken out.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from quickcart import catalogue, promotions
from quickcart.models import CANCELLED, PAID, Order, User
from quickcart.timeutil import utcnow
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import choose_payment, invoice_of, open_product, pay_by_qris, start
from tests.telltales import ENGLISH, INDONESIAN, giveaways
from tests.words import EN, ID, Words

SUPPORT = "@toko_cs"
BRANDS = ("Toko Demo", SUPPORT)  # the shop's name and contact, as the owner wrote them


@dataclass
class Catalogue:
    """Two categories, one of them given an English name; products given English names and descriptions.

    Each customer has a voucher of their own (one line: it sells out in their journey).
    """
    stream: object
    vouchers: dict
    goods: list[str] = field(default_factory=list)

    def content_for(self, words: Words) -> tuple[str, ...]:
        names = ["Game Vouchers" if words is EN else "Voucher Game", "Streaming"]
        for product in (self.stream, *self.vouchers.values()):
            names += [product.name_en, product.description_en] if words is EN else [product.name, product.description]
        return tuple(names + self.goods)


def seed(shop) -> Catalogue:
    stream_lines = [f"stream-{i}@mail.test:Pw{i}" for i in range(6)]
    stream = shop.add_product("Netflix Premium 1 Bulan", "Streaming", 50_000, 45_000, "Akun sharing 1 bulan, garansi",
                              lines=stream_lines)
    stream = catalogue.edit_product(ADMIN_ID, stream.id, {"name_en": "Netflix Premium 1 Month",
                                                          "description_en": "Shared account, 1 month, warranty"})
    vouchers, voucher_lines = {}, []
    for words, (name, name_en) in ((ID, ("Voucher Steam 60rb", "Steam Wallet 60K")),
                                   (EN, ("Voucher Google Play 50rb", "Google Play Gift Card 50K"))):
        line = f"CODE-{words.language.upper()}-AAAA-BBBB"
        voucher = shop.add_product(name, "Voucher Game", 60_000, 58_000, "Kode dikirim langsung", lines=[line])
        vouchers[words.language] = catalogue.edit_product(ADMIN_ID, voucher.id, {
            "name_en": name_en, "description_en": "Code sent instantly"})
        voucher_lines.append(line)
    catalogue.name_category(ADMIN_ID, "Voucher Game", "Game Vouchers")
    return Catalogue(stream, vouchers, stream_lines + voucher_lines)


def shown(words: Words, product) -> str:
    return product.name_en if words is EN else product.name


def category_of(words: Words, product) -> str:
    return "Game Vouchers" if words is EN and product.category == "Voucher Game" else product.category


def everything_seen(telegram, chat_id: int) -> list[str]:
    """What the customer saw: each message and edit, every button of every version, each answer."""
    chat = telegram.chat(chat_id)
    seen = [text for _, _, text in chat.bot_events]
    for message in chat.bot_messages():
        for markup in [message.reply_markup] + [markup for _, markup in message.history]:
            for row in (markup or {}).get("inline_keyboard", []) + (markup or {}).get("keyboard", []):
                seen += [button["text"] if isinstance(button, dict) else str(button) for button in row]
    seen += [press.answer.text for press in chat.presses if press.answer and press.answer.text]
    return seen


def walk(shop, telegram, pakasir, customer, words: Words, shop_goods: Catalogue) -> list[str]:
    """Start, help, browse, QRIS, delivery, history, top-up, balance, cancel, late payments, expiry.

    Returns the invoice ids the customer saw.
    """
    stream, voucher = shop_goods.stream, shop_goods.vouchers[words.language]
    start(customer, words)
    customer.send_text("/" + words.button("commands.help.name"))
    customer.wait_for_message(contains=words.says("start.help_support", contact=SUPPORT).strip())

    qr = pay_by_qris(customer, shown(words, stream), words=words, category=category_of(words, stream))
    paid = invoice_of(qr, words)
    customer.wait_for_answer(customer.press(qr, words.button("btn.check_status")))
    pakasir.complete(paid)
    customer.wait_for_message(contains=words.says("delivery.title"))

    customer.tap_keyboard(words.button("menu.history"))
    listing = customer.wait_for_message(contains=words.says("history.title"))
    customer.press(listing, listing.button_texts()[0])
    detail = customer.wait_for_message(contains=words.says("history.order_status", status=words.button("status.paid")))
    customer.press(detail, words.button("btn.show_goods"))
    customer.wait_for_message(contains=words.says("delivery.title"))

    customer.tap_keyboard(words.button("menu.balance"))
    screen = customer.wait_for_message(contains=words.fragment("balance.title"))
    customer.press(screen, words.button("btn.topup"))
    presets = customer.wait_for_message(contains=words.fragment("balance.topup_choose"))
    customer.press(presets, words.button("btn.topup_amount", amount=100_000))
    topup = invoice_of(customer.wait_for_message(lambda m: m.kind == "photo"), words)
    pakasir.complete(topup)
    customer.wait_for_message(contains=words.fragment("delivery.topup_success"))

    # The voucher's only line: ordered by QRIS and cancelled, then bought from the balance,
    # then the cancelled order is paid after all — no stock left, so it is credited.
    qr = pay_by_qris(customer, shown(words, voucher), words=words, category=category_of(words, voucher))
    cancelled = invoice_of(qr, words)
    customer.press(qr, words.button("btn.cancel"))
    customer.wait_for_message(contains=words.says("payment.closed_cancelled", invoice=cancelled))
    card = open_product(customer, shown(words, voucher), category_of(words, voucher), words)
    customer.press(choose_payment(customer, card, words), words.button("btn.pay_balance"))
    customer.wait_for_message(contains=words.says("delivery.title"))
    pakasir.complete(cancelled, force=True)
    customer.wait_for_message(contains=words.fragment("delivery.late_credited", invoice=cancelled))

    # A QR left to expire, then paid late with stock left: delivered after all.
    qr = pay_by_qris(customer, shown(words, stream), words=words, category=category_of(words, stream))
    expired = invoice_of(qr, words)
    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(Order.invoice_id == expired).execute()
    customer.wait_for_message(contains=words.says("payment.closed_expired", invoice=expired), timeout=15)
    pakasir.complete(expired, force=True)
    customer.wait_for_message(contains=words.says("delivery.late_delivered", invoice=expired))
    customer.wait_for_message(contains=words.says("delivery.title"))
    telegram.wait_until(lambda: Order.get(Order.invoice_id == expired).delivered_at)
    return [paid, topup, cancelled, expired]


def leftovers(telegram, customer, words: Words, goods: Catalogue, invoices: list[str]) -> dict[str, set[str]]:
    """What the customer saw that gives the other language away, by text."""
    others = INDONESIAN if words is EN else ENGLISH
    # Invoice ids are random letters and digits ("TRX…7THE7J" holds "the"): every one of the customer's is taken out.
    theirs = tuple(order.invoice_id for order in Order.select(Order.invoice_id).where(Order.user == customer.id))
    besides = goods.content_for(words) + BRANDS + tuple(invoices) + theirs + (customer.first_name,)
    return {text: found for text in everything_seen(telegram, customer.id)
            if (found := giveaways(text, others, besides))}


def test_the_whole_journey_reads_in_english_or_in_indonesian_with_no_word_of_the_other(make_shop, telegram,
                                                                                       pakasir):
    # Both customers walk at the same time, through the same shop: one in each language.
    shop = make_shop(overrides={"shop": {"support_contact": SUPPORT}})
    goods = seed(shop)
    customers = {EN: telegram.user(9701, "Rina", language_code="en-GB"),
                 ID: telegram.user(9702, "Sari", language_code="id")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        walks = {words: pool.submit(walk, shop, telegram, pakasir, customer, words, goods)
                 for words, customer in customers.items()}
        invoices = {words: walk_done.result(timeout=120) for words, walk_done in walks.items()}
    for words, customer in customers.items():
        assert User.get_by_id(customer.id).language == words.language
        assert leftovers(telegram, customer, words, goods, invoices[words]) == {}, words.language
    statuses = {order.invoice_id: order.status for order in Order.select()}
    assert set(invoices[EN] + invoices[ID]) < set(statuses) and set(statuses.values()) == {PAID}, statuses


def type_code(customer, summary, code: str, words: Words):
    customer.press(summary, words.button("btn.promo"))
    customer.wait_for_message(contains=words.fragment("promo.ask"))
    customer.send_text(code)
    return customer.wait_for_message(contains=words.says("checkout.summary_title"))


def walk_with_a_code(telegram, pakasir, customer, words: Words, goods: Catalogue) -> list[str]:
    """Akun with its referral link; a wrong promo code, then the right one; QRIS; the order in Riwayat."""
    stream = goods.stream
    start(customer, words)
    customer.tap_keyboard(words.button("menu.account"))
    profile = customer.wait_for_message(contains=words.says("account.title"))
    assert words.says("account.referral_standing", count=0, earned=0) in profile.plain_text()
    card = open_product(customer, shown(words, stream), category_of(words, stream), words)
    summary = type_code(customer, choose_payment(customer, card, words), "SALAH", words)
    assert summary.plain_text().startswith(words.says("promo.refused", code="SALAH",
                                                      reason=words.says("promo.why_unknown")))
    summary = type_code(customer, summary, "hemat", words)
    assert words.says("checkout.summary_discount", code="HEMAT", discount=5_000) in summary.plain_text()
    customer.press(summary, words.button("btn.pay_qris"))
    invoice = invoice_of(customer.wait_for_message(lambda m: m.kind == "photo"), words)
    pakasir.complete(invoice)
    customer.wait_for_message(contains=words.says("delivery.title"))
    customer.tap_keyboard(words.button("menu.history"))
    listing = customer.wait_for_message(contains=words.says("history.title"))
    customer.press(listing, listing.button_texts()[0])
    customer.wait_for_message(contains=words.says("history.order_promo", code="HEMAT", discount=5_000))
    return [invoice]


def test_promo_codes_and_the_referral_link_read_in_each_customers_language(make_shop, telegram, pakasir):
    shop = make_shop(overrides={"shop": {"referral_percent": 5, "referral_days": 30, "referral_orders": 3}})
    goods = seed(shop)
    promotions.add(ADMIN_ID, "HEMAT", "percent", 10, {"per_user": 1})
    customers = {EN: telegram.user(9721, "Rina", language_code="en-GB"),
                 ID: telegram.user(9722, "Sari", language_code="id")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        walks = {words: pool.submit(walk_with_a_code, telegram, pakasir, customer, words, goods)
                 for words, customer in customers.items()}
        invoices = {words: walk_done.result(timeout=60) for words, walk_done in walks.items()}
    for words, customer in customers.items():
        assert leftovers(telegram, customer, words, goods, invoices[words] + ["SALAH", "HEMAT"]) == {}, words.language


def test_indonesian_readers_see_the_products_as_the_seller_first_wrote_them(shop, telegram):
    goods = seed(shop)
    sari = telegram.user(9702, "Sari", language_code="id")
    start(sari)
    card = open_product(sari, goods.stream.name)
    assert goods.stream.description in card.plain_text() and goods.stream.name_en not in card.plain_text()


# --- switching ---------------------------------------------------------------------------------

def switch_language(customer, words_now: Words, to: Words, screen=None):
    """Tap the other language's button (on ``screen``, or under /language)."""
    if screen is None:
        customer.send_text("/" + words_now.button("commands.language.name"))
        screen = customer.wait_for_message(contains=words_now.fragment("language.choose"))
    customer.press(screen, to.button("language.name"))
    return customer.wait_for_message(contains=to.says("language.changed"))


def test_switching_with_a_qr_on_screen_keeps_the_order_working_in_the_new_language(shop, telegram, pakasir):
    goods = seed(shop)
    budi = telegram.user(9703, "Budi", language_code="id")
    start(budi)
    first = pay_by_qris(budi, goods.stream.name)
    second = pay_by_qris(budi, goods.stream.name)

    changed = switch_language(budi, ID, EN)
    assert telegram.chat(budi.id).reply_keyboard[0][0] == EN.button("menu.products")
    assert changed.plain_text() == EN.says("language.changed")
    assert (User.get_by_id(budi.id).language, User.get_by_id(budi.id).language_chosen) == ("en", True)

    # The QR's buttons still carry their Indonesian labels, and still work — answered in English.
    answer = budi.wait_for_answer(budi.press(first, ID.button("btn.check_status")))
    assert answer.text.startswith(EN.fragment("payment.pending"))
    budi.press(second, ID.button("btn.cancel"))
    budi.wait_for_message(contains=EN.says("payment.closed_cancelled", invoice=invoice_of(second)))
    assert Order.get(Order.invoice_id == invoice_of(second)).status == CANCELLED

    pakasir.complete(invoice_of(first))
    delivered = budi.wait_for_message(contains=EN.says("delivery.title"))
    assert EN.says("delivery.product", name=goods.stream.name_en) in delivered.plain_text()

    # An old keyboard's label and an Indonesian command still work, now answered in English.
    budi.send_text(ID.button("menu.balance"))
    budi.wait_for_message(contains=EN.fragment("balance.title"))
    budi.send_text("/riwayat")
    budi.wait_for_message(contains=EN.says("history.title"))


def test_the_account_switch_shows_the_profile_again_in_the_new_language_and_a_double_tap_once(shop, telegram):
    eka = telegram.user(9704, "Eka", language_code="en")
    start(eka, EN)
    eka.tap_keyboard(EN.button("menu.account"))
    profile = eka.wait_for_message(contains=EN.says("account.title"))
    assert profile.button_texts() == [ID.button("language.name"),
                                      EN.button("btn.language_current", name=EN.button("language.name"))]
    eka.press(profile, ID.button("language.name"))
    eka.press(profile, ID.button("language.name"))
    eka.wait_for_message(contains=ID.says("language.changed"))
    telegram.wait_until(lambda: profile.plain_text().startswith(ID.says("account.title")))
    assert profile.button_texts()[0] == ID.button("btn.language_current", name=ID.button("language.name"))
    telegram.wait_until(lambda: all(press.answer for press in telegram.chat(eka.id).presses))
    changes = [m for m in telegram.chat(eka.id).bot_messages() if m.plain_text() == ID.says("language.changed")]
    assert len(changes) == 1, "a double tap switches once"

    # Telegram's app in English again: the choice stays.
    eka.language_code = "en"
    eka.send_text("/start")
    eka.wait_for_message(contains=ID.fragment("start.welcome"))
    assert User.get_by_id(eka.id).language == "id"


def test_a_new_customer_gets_their_telegram_apps_language_and_commands_in_either(shop, telegram):
    for user_id, code, words in ((9705, "en-US", EN), (9706, "ms", ID), (9707, None, ID), (9708, "de", EN)):
        customer = telegram.user(user_id, "Tamu", language_code=code)
        start(customer, words)
        assert telegram.chat(user_id).reply_keyboard[0] == [words.button("menu.products"),
                                                            words.button("menu.balance")]
        other = EN if words is ID else ID
        customer.send_text("/" + other.button("commands.balance.name"))
        customer.wait_for_message(contains=words.fragment("balance.title"))


def test_telegrams_command_menu_is_set_in_each_language(shop, telegram):
    english = [(command["command"], command["description"]) for command in telegram.my_commands()]
    assert english[1] == (EN.button("commands.products.name"), EN.button("commands.products.about"))
    for code in ("id", "ms", "jv", "su"):
        menu = [(command["command"], command["description"]) for command in telegram.my_commands(language_code=code)]
        assert menu[1] == (ID.button("commands.products.name"), ID.button("commands.products.about"))
        assert len(menu) == len(english) == 7


# --- admins --------------------------------------------------------------------------------------

def test_an_admin_chooses_english_for_their_answers_and_notices(shop, telegram, pakasir):
    goods = seed(shop)
    admin = telegram.user(ADMIN_ID, "Admin", language_code="id")
    start(admin)
    switch_language(admin, ID, EN)
    admin.send_text("/admin")
    admin.wait_for_message(contains=EN.says("admin.help_title"))
    admin.send_text("/editcat Streaming")
    admin.wait_for_message(contains=EN.says("admin.wrong_format"))

    customer = telegram.user(9709, "Wati", language_code="id")
    start(customer)
    qr = pay_by_qris(customer, goods.stream.name)
    pakasir.complete(invoice_of(qr))
    customer.wait_for_message(contains=ID.says("delivery.title"))
    admin.wait_for_message(contains=EN.fragment("notice.sale"))


def test_admins_give_products_and_categories_their_english_names(shop, telegram):
    product = shop.add_product("Spotify Premium 1 Bulan", "Musik", lines=["spotify-1"])
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    admin.send_text(f"/editproduct {product.id} name_en=Spotify Premium 1 Month desc_en=Shared family plan")
    admin.wait_for_message(contains=ID.fragment("admin.product.edited"))
    admin.send_text("/editcat musik name_en=Music")
    admin.wait_for_message(contains=ID.says("admin.category.named", category="Musik", name="Music"))
    admin.send_text("/editcat Film name_en=Movies")
    admin.wait_for_message(contains=ID.says("admin.refused", reason=ID.says("admin.reason.no_such_category",
                                                                         category="Film")))

    tom = telegram.user(9710, "Tom", language_code="en")
    start(tom, EN)
    card = open_product(tom, "Spotify Premium 1 Month", "Music", EN)
    assert "Shared family plan" in card.plain_text() and "Bulan" not in card.plain_text()
    assert catalogue.categories()[0].name_en == "Music"


def test_english_customers_get_the_english_terms_and_the_welcome_written_for_them(shop, telegram):
    product = shop.add_product("Spotify Premium 1 Bulan", "Musik", lines=["spotify-1", "spotify-2"])
    catalogue.edit_product(ADMIN_ID, product.id, {"terms": "Jangan ganti password.", "name_en": "Spotify 1 Month",
                                                  "terms_en": "Do not change the password."})
    admin = telegram.user(ADMIN_ID, "Admin")
    start(admin)
    admin.send_text("/settext welcome\nHalo {name}, selamat datang di toko kami!")
    admin.wait_for_message(contains=ID.says("admin.storefront.saved", name="welcome"))

    tom = telegram.user(9711, "Tom", language_code="en")
    start(tom, EN)  # the English default: the Indonesian text is not for him
    admin.send_text("/settext welcome_en\nHi {name}, welcome to our shop!")
    preview = admin.wait_for_message(contains="Hi Admin, welcome to our shop!")
    assert preview.plain_text() == "Hi Admin, welcome to our shop!"
    tom.send_text("/start")
    tom.wait_for_message(contains="Hi Tom, welcome to our shop!")

    card = open_product(tom, "Spotify 1 Month", "Musik", EN)
    assert EN.says("shop.card_terms", terms="Do not change the password.") in card.plain_text()
    tom.press(card, EN.button("btn.buy"))
    terms = tom.wait_for_message(contains=EN.fragment("shop.terms", name="Spotify 1 Month"))
    assert "Do not change the password." in terms.plain_text() and "Jangan" not in terms.plain_text()
    tom.press(terms, EN.button("btn.agree"))
    tom.wait_for_message(contains=EN.says("checkout.summary_title"))

"""Promo codes and referrals, through the real bot: the discount shown is the discount charged, and every
use and every reward is counted once, whatever races, expires or is refunded."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from quickcart import orders, promotions, users
from quickcart.models import PAID, LedgerEntry, Order, Promo, ReferralReward, User
from quickcart.timeutil import utcnow
from tests import admin_words
from tests.e2e.admin_helpers import ask, start_admin
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import FEES, choose_payment, invoice_of, open_product, start
from tests.words import button, fragment, says

LINES = [f"email:promo{i}@mail.test password:Rahasia-{i:04d}" for i in range(12)]
REFERRALS = {"shop": {"referral_percent": 10, "referral_days": 30, "referral_orders": 0}}


def apply_code(customer, product_name: str, code: str):
    """Produk → the product → Beli → 🎟 Pakai Kode Promo → the code typed; returns the summary shown after it."""
    return type_code(customer, choose_payment(customer, open_product(customer, product_name)), code)


def type_code(customer, summary, code: str):
    """🎟 Pakai Kode Promo on ``summary``, the code typed; returns the summary shown after it."""
    customer.press(summary, button("btn.promo"))
    customer.wait_for_message(contains=fragment("promo.ask"))
    customer.send_text(code)
    return customer.wait_for_message(contains=says("checkout.summary_title"))


def add_code(code: str, kind: str = "percent", value: int = 10, **options) -> Promo:
    return promotions.add(ADMIN_ID, code, kind, value, options)


def counters(code: str) -> tuple[int, int]:
    promo = Promo.get(Promo.code == code)
    return promo.held, promo.used


def test_a_percent_code_lowers_what_pakasir_is_asked_for_and_history_shows_it(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    admin = start_admin(telegram)
    ask(admin, "/addpromo hemat10 | percent | 10 | min=40000 max=20rb quota=5 end=2030-12-31",
        admin_words.says("admin.promo.added", code="HEMAT10"))
    ani = telegram.user(7301, "Ani")
    start(ani)
    summary = apply_code(ani, product.name, "hemat10")
    lines = summary.plain_text().splitlines()
    fee = FEES.fee(45_000)
    shown = [says("checkout.summary_subtotal", subtotal=50_000),
             says("checkout.summary_discount", code="HEMAT10", discount=5_000),
             says("checkout.summary_qris", total=45_000 + fee, fee=fee)]
    assert [lines.index(line) for line in shown] == sorted(lines.index(line) for line in shown), \
        "subtotal, discount, fee and total, in that order"

    ani.press(summary, button("btn.pay_qris"))
    qr = ani.wait_for_message(lambda m: m.kind == "photo")
    assert says("payment.qr_discount", code="HEMAT10", discount=5_000) in qr.plain_text()
    invoice = invoice_of(qr)
    assert pakasir.transaction(invoice).amount == 45_000 + fee
    assert counters("HEMAT10") == (1, 0)
    pakasir.complete(invoice)
    ani.wait_for_message(contains=says("delivery.title"))
    order = Order.get(Order.invoice_id == invoice)
    assert (order.status, order.subtotal, order.discount, order.total_bill) == (PAID, 45_000, 5_000, 45_000 + fee)
    assert counters("HEMAT10") == (0, 1)

    ani.tap_keyboard(button("menu.history"))
    listing = ani.wait_for_message(contains=says("history.title"))
    ani.press(listing, listing.button_texts()[0])
    ani.wait_for_message(contains=says("history.order_promo", code="HEMAT10", discount=5_000))
    ask(admin, "/promos", admin_words.says("admin.promo.figures", used=1, held=0, discount=5_000, revenue=45_000))


def test_a_fixed_code_from_the_balance_debits_the_discounted_price(shop, telegram):
    product = shop.add_product(lines=LINES)
    add_code("POTONG15", "fixed", 15_000)
    budi = telegram.user(7302, "Budi")
    start(budi)
    from quickcart import balance
    balance.admin_adjust(ADMIN_ID, users.get(budi.id), 40_000, "saldo awal")
    summary = apply_code(budi, product.name, "potong15")
    assert says("checkout.summary_balance", subtotal=35_000, balance=40_000) in summary.plain_text()
    budi.press(summary, button("btn.pay_balance"))
    budi.wait_for_message(contains=says("delivery.title"))
    assert User.get_by_id(budi.id).account_balance == 5_000
    order = Order.get(Order.user == budi.id)
    assert (order.subtotal, order.discount, order.total_bill) == (35_000, 15_000, 35_000)
    assert [(e.reason, e.delta) for e in LedgerEntry.select().where(LedgerEntry.order == order.id)] == [
        ("purchase", -35_000)]
    assert counters("POTONG15") == (0, 1)


def test_minimum_spend_scope_and_unknown_codes_are_refused_with_the_reason(shop, telegram):
    product = shop.add_product(lines=LINES)
    other = shop.add_product("Spotify Premium", "Musik", 20_000, 19_000, lines=["spotify-1"])
    add_code("BESAR", min_spend=100_000)
    add_code("SPOTIFY", product=other.id)
    add_code("MUSIK", category="Musik")
    citra = telegram.user(7303, "Citra")
    start(citra)
    summary = choose_payment(citra, open_product(citra, product.name))
    for code, reason in (("besar", says("promo.why_min_spend", minimum=100_000)),
                         ("spotify", says("promo.why_product", product=other.name)),
                         ("musik", says("promo.why_category", category="Musik"))):
        summary = type_code(citra, summary, code)
        assert summary.plain_text().startswith(says("promo.refused", code=code.upper(), reason=reason) + "\n")
        assert fragment("checkout.summary_discount") not in summary.plain_text()
    assert Order.select().count() == 0 and counters("BESAR") == (0, 0)


def test_ten_customers_racing_for_the_last_use_make_exactly_one_discounted_order(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    add_code("TERAKHIR", quota=1)
    customers = [telegram.user(7400 + n, f"Pembeli{n}") for n in range(10)]

    def with_code(customer):
        start(customer)
        return apply_code(customer, product.name, "terakhir")

    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        summaries = dict(zip([c.id for c in customers], pool.map(with_code, customers), strict=True))
    assert all(fragment("checkout.summary_discount") in summary.plain_text() for summary in summaries.values())
    for customer in customers:
        customer.press(summaries[customer.id], button("btn.pay_qris"))

    used_up = says("promo.refused", code="TERAKHIR", reason=says("promo.why_used_up"))

    def outcome(customer):
        if any(m.kind == "photo" for m in telegram.chat(customer.id).bot_messages()):
            return "qr"
        return "refused" if summaries[customer.id].plain_text().startswith(used_up) else None

    telegram.wait_until(lambda: all(outcome(c) for c in customers), timeout=20, what="every customer answered")
    assert [outcome(c) for c in customers].count("qr") == 1
    discounted = list(Order.select().where(Order.promo.is_null(False)))
    assert len(discounted) == 1 and Order.select().count() == 1
    assert counters("TERAKHIR") == (1, 0)
    loser = next(c for c in customers if outcome(c) == "refused")
    assert fragment("checkout.summary_discount") not in summaries[loser.id].plain_text(), "shown without the code"


def test_an_expired_qr_returns_its_use(shop, telegram):
    product = shop.add_product(lines=LINES)
    add_code("SATU", quota=1)
    dedi, eka = telegram.user(7501, "Dedi"), telegram.user(7502, "Eka")
    start(dedi)
    dedi.press(apply_code(dedi, product.name, "satu"), button("btn.pay_qris"))
    invoice = invoice_of(dedi.wait_for_message(lambda m: m.kind == "photo"))
    start(eka)
    refused = apply_code(eka, product.name, "satu")
    assert refused.plain_text().startswith(says("promo.refused", code="SATU", reason=says("promo.why_used_up")))

    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(Order.invoice_id == invoice).execute()
    dedi.wait_for_message(contains=says("payment.closed_expired", invoice=invoice), timeout=15)
    assert counters("SATU") == (0, 0)
    summary = type_code(eka, refused, "satu")
    assert says("checkout.summary_discount", code="SATU", discount=5_000) in summary.plain_text()


def referred(telegram, referrer_id: int, user_id: int, name: str):
    """A new customer whose first /start comes through the referrer's link."""
    customer = telegram.user(user_id, name)
    customer.send_text(f"/start ref_{users.get(referrer_id).bank_id}")
    customer.wait_for_message(contains=fragment("start.welcome"))
    return customer


def test_a_refund_returns_the_use_and_reverses_the_referral_reward(make_shop, telegram, pakasir):
    shop = make_shop(overrides=REFERRALS)
    product = shop.add_product(lines=LINES)
    add_code("HEMAT10", quota=1)
    admin = start_admin(telegram)
    fitri = telegram.user(7601, "Fitri")
    start(fitri)
    gani = referred(telegram, fitri.id, 7602, "Gani")
    assert User.get_by_id(gani.id).referred_by_id == fitri.id

    gani.press(apply_code(gani, product.name, "hemat10"), button("btn.pay_qris"))
    invoice = invoice_of(gani.wait_for_message(lambda m: m.kind == "photo"))
    pakasir.complete(invoice)
    gani.wait_for_message(contains=says("delivery.title"))
    telegram.wait_until(lambda: User.get_by_id(fitri.id).account_balance == 4_500, what="the referral reward")
    assert counters("HEMAT10") == (0, 1)
    fitri.tap_keyboard(button("menu.account"))
    profile = fitri.wait_for_message(contains=says("account.title")).plain_text()
    link = f"https://t.me/quickcart_test_bot?start=ref_{users.get(fitri.id).bank_id}"
    assert says("account.referral_link", link=link) in profile
    assert says("account.referral_standing", count=1, earned=4_500) in profile
    stats = ask(admin, "/stats", admin_words.says("admin.stats.top_referrers")).plain_text()
    assert admin_words.says("admin.stats.top_referrer", rank=1, user=admin_words.user_label("Fitri", fitri.id),
                            referred=1, earned=4_500) in stats

    ask(admin, f"/refund {invoice}", fragment("history.refunded_notice", invoice=invoice)[:5])
    gani.wait_for_message(contains=says("history.refunded_notice", invoice=invoice, amount=45_000 + FEES.fee(45_000),
                                        balance=45_000 + FEES.fee(45_000)))
    assert User.get_by_id(fitri.id).account_balance == 0
    assert [(e.reason, e.delta) for e in LedgerEntry.select().where(LedgerEntry.user == fitri.id)] == [
        ("referral", 4_500), ("referral_reverse", -4_500)]
    assert counters("HEMAT10") == (0, 0)
    assert promotions.check("hemat10", users.get(fitri.id), product, 1).code == "HEMAT10", "the use is back"


def test_a_referral_reward_is_credited_once_when_webhooks_polling_and_status_race(make_shop, telegram, pakasir):
    shop = make_shop(overrides={**REFERRALS, "pakasir": {"poll_interval_seconds": 1}})
    product = shop.add_product(lines=LINES)
    hadi = telegram.user(7701, "Hadi")
    start(hadi)
    intan = referred(telegram, hadi.id, 7702, "Intan")
    summary = choose_payment(intan, open_product(intan, product.name))
    intan.press(summary, button("btn.pay_qris"))
    qr = intan.wait_for_message(lambda m: m.kind == "photo")
    invoice = invoice_of(qr)

    pakasir.complete(invoice, webhook=False)
    racers = [threading.Thread(target=lambda: intan.press(qr, button("btn.check_status"))) for _ in range(4)]
    for racer in racers:
        racer.start()
    pakasir.send_webhook(invoice, times=3, concurrent=True)
    for racer in racers:
        racer.join()
    intan.wait_for_message(contains=says("delivery.title"))
    telegram.wait_until(lambda: Order.get(Order.invoice_id == invoice).delivered_at is not None)
    pakasir.send_webhook(invoice, times=2)
    order = Order.get(Order.invoice_id == invoice)
    assert [(e.reason, e.delta) for e in LedgerEntry.select().where(LedgerEntry.user == hadi.id)] == [
        ("referral", 5_000)]
    assert ReferralReward.select().where(ReferralReward.order == order.id).count() == 1


def test_self_referral_and_a_second_link_are_ignored(make_shop, telegram):
    make_shop(overrides=REFERRALS)
    joko, kiki = telegram.user(7801, "Joko"), telegram.user(7802, "Kiki")
    start(joko)
    start(kiki)
    joko.send_text(f"/start ref_{users.get(joko.id).bank_id}")
    joko.wait_for_message(lambda m: m.plain_text().startswith(fragment("start.welcome")) and m.seq > 2)
    lina = referred(telegram, joko.id, 7803, "Lina")
    lina.send_text(f"/start ref_{users.get(kiki.id).bank_id}")
    telegram.wait_until(lambda: len([m for m in telegram.chat(lina.id).bot_messages()
                                     if fragment("start.welcome") in m.plain_text()]) == 2)
    assert User.get_by_id(joko.id).referred_by_id is None
    assert User.get_by_id(lina.id).referred_by_id == joko.id
    assert User.select().where(User.referred_by == kiki.id).count() == 0


def test_referral_links_do_nothing_while_referrals_are_off(shop, telegram):
    mira = telegram.user(7901, "Mira")
    start(mira)
    referred(telegram, mira.id, 7902, "Nico")
    assert User.get_by_id(7902).referred_by_id is None
    mira.tap_keyboard(button("menu.account"))
    profile = mira.wait_for_message(contains=says("account.title")).plain_text()
    assert fragment("account.referral_title") not in profile


def test_admins_edit_and_switch_off_codes_and_a_wrong_command_changes_nothing(shop, telegram):
    product = shop.add_product(lines=LINES)
    admin = start_admin(telegram)
    ask(admin, "/addpromo BANYAK | percent | 150", admin_words.refusal(
        "addpromo", "admin.reason.promo_percent_range", value=150))
    ask(admin, "/addpromo AKHIR | fixed | 5000 | end=31-12-2026", admin_words.reason(
        "admin.reason.promo_date", what=admin_words.SAY.plain("admin.what.ends"), typed="31-12-2026"))
    assert Promo.select().count() == 0
    ask(admin, "/addpromo AKHIR | fixed | 5rb | per_user=1", admin_words.says("admin.promo.added", code="AKHIR"))
    add_code("LAIN")  # another code still on: the summary keeps offering the button
    ask(admin, "/editpromo akhir value=7000 quota=3", admin_words.says("admin.promo.edited", code="AKHIR"))
    assert (Promo.get().value, Promo.get().quota) == (7_000, 3)
    ask(admin, "/disablepromo AKHIR", admin_words.says("admin.promo.disabled", code="AKHIR"))
    ask(admin, "/editpromo NONE quota=1", admin_words.reason("admin.reason.promo_unknown", code="NONE"))
    omar = telegram.user(7903, "Omar")
    start(omar)
    summary = apply_code(omar, product.name, "akhir")
    assert summary.plain_text().startswith(says("promo.refused", code="AKHIR", reason=says("promo.why_unknown")))
    assert orders.quote(product, users.get(omar.id), 1, FEES).discount == 0


def test_the_summary_offers_a_code_only_while_one_could_apply(shop, telegram):
    product = shop.add_product(lines=LINES)
    admin = start_admin(telegram)
    rina = telegram.user(7904, "Rina")
    start(rina)
    assert button("btn.promo") not in choose_payment(rina, open_product(rina, product.name)).button_texts()
    ask(admin, "/addpromo SEGERA | percent | 10", admin_words.says("admin.promo.added", code="SEGERA"))
    assert button("btn.promo") in choose_payment(rina, open_product(rina, product.name)).button_texts()
    Promo.update(ends_at=utcnow() - timedelta(minutes=1)).execute()
    assert button("btn.promo") not in choose_payment(rina, open_product(rina, product.name)).button_texts()

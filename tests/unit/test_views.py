"""Every message made of catalogue texts (quickcart.views) is valid Telegram HTML, whatever
names and goods contain, in every language; buttons show names as typed."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from quickcart import promotions, richtext, views
from quickcart.i18n import Speaker, catalogue, speaker
from quickcart.models import BALANCE, CREDITED, PAID, PURCHASE, QRIS, TOPUP
from quickcart.orders import Quote
from quickcart.sandbox.telegram_format import parse_formatted

NASTY = "<b>Tom & Jerry</b> <script> 5 > 3 &amp; _under_ *star* {braces}"
MOMENT = datetime(2026, 11, 27, 7, 5)


def fake_order(**changes):
    order = SimpleNamespace(id=7, invoice_id="TRX20261127ABC123", kind=PURCHASE, is_topup=False, subtotal=50_000,
                            charged_fee=660, total_bill=50_660, gateway_amount=50_660, payment_method=QRIS,
                            status=PAID, paid_late=True, settlement=CREDITED, is_credited=True, created_at=MOMENT,
                            paid_at=MOMENT, expires_at=MOMENT, promo_id=None, promo=None, discount=0)
    order.__dict__.update(changes)
    return order


ITEM = SimpleNamespace(product_name=NASTY, quantity=2, price_per_unit=25_000, kind="stock")
USER = SimpleNamespace(name=NASTY, username=NASTY, id=1, bank_id=NASTY, is_reseller=True, account_balance=5,
                       email=NASTY, whatsapp_number=NASTY)
# Descriptions and terms are stored as checked formatted text (quickcart.richtext).
PRODUCT = SimpleNamespace(name=NASTY, description=richtext.escape(NASTY), terms=richtext.escape(NASTY), stock_count=3,
                          sold_count=1, name_en=NASTY, description_en=richtext.escape(NASTY),
                          terms_en=richtext.escape(NASTY), kind="stock", warranty_days=7)
CATEGORY = SimpleNamespace(name=NASTY, name_en=NASTY, products=2)
LONG_FORMATTED = "<b>Garansi</b> <i>30 hari</i> &amp; <a href=\"https://x.test/\">bantuan</a>. " * 60
MANUAL_PRODUCT = SimpleNamespace(**{**PRODUCT.__dict__, "kind": "manual", "stock_count": 0, "warranty_days": 0})
CLAIM = SimpleNamespace(id=12, state="refunded", refund_amount=25_000, reason=NASTY)
TRANSACTION = SimpleNamespace(account=NASTY, order_id=NASTY, amount=5, status=NASTY)
ENTRY = SimpleNamespace(delta=-5000, reason="purchase", created_at=MOMENT)
PROMO = SimpleNamespace(code=NASTY, min_spend=50_000, per_user=2, starts_at=MOMENT, category=NASTY, product_id=3,
                        product=PRODUCT)
WITH_CODE = {"promo_id": 1, "promo": PROMO, "discount": 5_000}
SHOP = SimpleNamespace(referral_percent=5, referral_days=30, referral_orders=3)
STANDING = SimpleNamespace(referred=2, earned=12_500)

# Messages (Telegram HTML): each shows NASTY somewhere, exactly as typed (but those in NAMELESS).
MESSAGES = {
    "welcome": lambda say: views.welcome(say, NASTY, NASTY),
    "welcome_custom": lambda say: views.welcome(say, NASTY, NASTY, "<b>Halo {name}</b> di <i>{shop}</i> {other}"),
    "welcome_custom_long_name": lambda say: views.welcome(say, NASTY * 4, NASTY, "{shop} <b>{name}</b> " * 400),
    "help_text": lambda say: views.help_text(say, NASTY, NASTY, 10),
    "help_text_custom": lambda say: views.help_text(say, NASTY, NASTY, 10, "Belanja di {shop}: {minutes} menit"),
    "account": lambda say: views.account(say, USER, 3, 150_000),
    "products_title": lambda say: views.products_title(say, CATEGORY, 0, 3),
    "product_card": lambda say: views.product_card(say, PRODUCT, 50_000, 2, True, 3),
    "product_card_sold_out": lambda say: views.product_card(say, SimpleNamespace(**{**PRODUCT.__dict__,
                                                                                    "stock_count": 0}),
                                                            50_000, 1, False, 0, subscribed=True),
    "product_card_manual": lambda say: views.product_card(say, MANUAL_PRODUCT, 0, 1, False, 1, [NASTY, NASTY]),
    "product_card_caption": lambda say: views.product_card(
        say, SimpleNamespace(**{**PRODUCT.__dict__, "description": LONG_FORMATTED, "terms": LONG_FORMATTED,
                                "description_en": LONG_FORMATTED, "terms_en": LONG_FORMATTED}),
        50_000, 1, False, 3, limit=1024),
    "terms": lambda say: views.terms(say, PRODUCT),
    "choose_payment": lambda say: views.choose_payment(say, PRODUCT, Quote(25_000, 2, 50_000, 660), 10, False,
                                                       [(NASTY, NASTY)]),
    "ask_field": lambda say: views.ask_field(say, NASTY, 1, 2, retry=True),
    "choose_payment_with_code": lambda say: views.choose_payment(
        say, PRODUCT, Quote(25_000, 2, 50_000, 660, 5_000, PROMO), 10, True),
    "qr_caption": lambda say: views.qr_caption(say, fake_order(), [ITEM]),
    "qr_caption_with_code": lambda say: views.qr_caption(say, fake_order(**WITH_CODE), [ITEM]),
    "order_detail_with_code": lambda say: views.order_detail(say, fake_order(**WITH_CODE), [ITEM]),
    "account_with_referrals": lambda say: views.account(say, USER, 3, 150_000, views.referral_block(
        say, "https://t.me/toko_bot?start=ref_USR001", STANDING, SHOP)),
    "order_closed_caption": lambda say: views.order_closed_caption(say, fake_order(invoice_id=NASTY)),
    "purchase_success_inline": lambda say: views.purchase_success(say, fake_order(), [ITEM], NASTY + "\n" + NASTY),
    "purchase_success_file": lambda say: views.purchase_success(say, fake_order(payment_method=BALANCE), [ITEM],
                                                                None),
    "purchase_success_content": lambda say: views.purchase_success(say, fake_order(payment_method="free"), [ITEM],
                                                                   "", [NASTY], 1),
    "manual_paid": lambda say: views.manual_paid(say, fake_order(), [ITEM], [(NASTY, NASTY)]),
    "manual_done": lambda say: views.manual_done(say, fake_order(), [ITEM], NASTY),
    "manual_rejected": lambda say: views.manual_rejected(say, fake_order(), [ITEM], NASTY, 50_660, 5, []),
    "claim_replaced": lambda say: views.claim_replaced(say, CLAIM, fake_order(), NASTY),
    "claim_answered": lambda say: views.claim_answered(say, SimpleNamespace(**{**CLAIM.__dict__, "state": "rejected"}),
                                                       fake_order(), 5),
    "restock_alert": lambda say: views.restock_alert(say, PRODUCT),
    "late_payment_credited": lambda say: views.late_payment_credited(say, fake_order(invoice_id=NASTY), 7),
    "order_detail": lambda say: views.order_detail(say, fake_order(), [ITEM], None, [(NASTY, NASTY)],
                                                   SimpleNamespace(state="waiting"), [CLAIM]),
    "balance_screen": lambda say: views.balance_screen(say, 5, [ENTRY]),
    "notice_sale": lambda say: views.notice_sale(say, fake_order(), [ITEM], NASTY),
    "notice_mismatch": lambda say: views.notice_mismatch(say, fake_order(invoice_id=NASTY), NASTY, NASTY,
                                                         TRANSACTION),
    "notice_error": lambda say: views.notice_error(say, NASTY, 3),
}
for why in promotions.Refusal:
    MESSAGES[f"promo_refusal_{why.value}"] = (
        lambda say, why=why: say("promo.refused", code=NASTY,
                                 reason=views.promo_refusal(say, promotions.PromoRefused(why, PROMO))))
NAMELESS = {"balance_screen"}
# Captions: Telegram refuses more than 1024 characters (as shown).
CAPTIONS = {"product_card_caption"}

# Buttons and button-press answers: plain, shown as typed.
PLAIN = {
    "product_button": lambda say: views.product_button(say, PRODUCT, 50_000, 3),
    "product_button_free": lambda say: views.product_button(say, PRODUCT, 0, None),
    "category_button": lambda say: views.category_button(say, CATEGORY),
    "history_button": lambda say: views.history_button(say, fake_order(), NASTY),
    "order_summaries": lambda say: views.order_summaries(say, [fake_order()], {7: ITEM})[7],
    "goods_lines": lambda say: "\n".join(views.goods_lines(say, [NASTY, None])),
    "buyer": lambda say: views.buyer(say, USER),
    "promo_refusal_product": lambda say: views.promo_refusal(
        say, promotions.PromoRefused(promotions.Refusal.PRODUCT, PROMO), plain=True),
    "promo_refusal_category": lambda say: views.promo_refusal(
        say, promotions.PromoRefused(promotions.Refusal.CATEGORY, PROMO), plain=True),
}


def speakers() -> list[Speaker]:
    return [Speaker(language, catalogue()) for language in catalogue().languages]


@pytest.mark.parametrize("say", speakers(), ids=lambda say: say.language)
@pytest.mark.parametrize("name", MESSAGES)
def test_each_message_parses_as_telegram_html_and_shows_names_as_typed(name, say):
    parsed = parse_formatted(MESSAGES[name](say), "HTML")
    assert NASTY in parsed.text or name in NAMELESS
    assert len(parsed.text) <= (1024 if name in CAPTIONS else 4096)


@pytest.mark.parametrize("say", speakers(), ids=lambda say: say.language)
@pytest.mark.parametrize("name", PLAIN)
def test_each_button_shows_names_as_typed(name, say):
    assert NASTY in PLAIN[name](say)


def test_a_list_on_several_pages_says_which_page():
    say = speaker()
    game = SimpleNamespace(name="Game", name_en="")
    assert views.products_title(say, game, 1, 3) == say("shop.products_paged", category="Game", page=2, pages=3)
    assert views.products_title(say, game, 0, 1) == say("shop.products", category="Game")
    assert views.history_title(say, 2, 3) == say("history.title_paged", page=3, pages=3)


def test_how_an_order_was_paid_is_named_by_its_method():
    say = speaker()
    by_balance = views.purchase_success(say, fake_order(payment_method=BALANCE, total_bill=50_000), [ITEM], None)
    assert say("delivery.paid_balance", total=50_000) in by_balance
    assert say("delivery.paid_qris", total=50_660) in views.purchase_success(say, fake_order(), [ITEM], None)


def test_the_balance_screen_signs_each_movement_and_names_its_reason():
    say = speaker()
    credit = SimpleNamespace(delta=20_000, reason="topup", created_at=MOMENT)
    screen = views.balance_screen(say, 15_000, [credit, ENTRY])
    assert say("balance.entry_credit", date=MOMENT, amount=20_000, reason=say.plain("ledger.topup")) in screen
    assert say("balance.entry_debit", date=MOMENT, amount=5_000, reason=say.plain("ledger.purchase")) in screen


def test_a_top_up_is_summarised_as_one_in_lists():
    say = speaker()
    topup = fake_order(id=9, kind=TOPUP, is_topup=True)
    assert views.order_summaries(say, [topup], {}) == {9: say.plain("history.topup_summary")}


# --- the seller's own words in the reader's language ------------------------------------------

ENGLISH_PRODUCT = SimpleNamespace(name="Netflix 1 Bulan", description="Akun sharing", name_en="Netflix 1 Month",
                                  description_en="Shared account", terms="Jangan ganti password",
                                  terms_en="Do not change the password", stock_count=3, sold_count=1, kind="stock",
                                  warranty_days=0)
UNTRANSLATED = SimpleNamespace(**{**ENGLISH_PRODUCT.__dict__, "name_en": "", "description_en": "", "terms_en": ""})
ENGLISH_ITEM = SimpleNamespace(product_name="Netflix 1 Bulan", product_name_en="Netflix 1 Month", quantity=1,
                               price_per_unit=50_000)


def test_english_readers_see_the_english_name_and_description_when_the_seller_gave_them():
    english, indonesian = speaker("en"), speaker("id")
    card = views.product_card(english, ENGLISH_PRODUCT, 50_000, 1, False, 3)
    assert "Netflix 1 Month" in card and "Shared account" in card and "Do not change the password" in card
    assert "Bulan" not in card and "Jangan" not in card
    assert "Do not change the password" in views.terms(english, ENGLISH_PRODUCT)
    assert "Jangan ganti password" in views.terms(indonesian, ENGLISH_PRODUCT)
    assert "Jangan ganti password" in views.product_card(english, UNTRANSLATED, 50_000, 1, False, 3)
    no_terms = SimpleNamespace(**{**ENGLISH_PRODUCT.__dict__, "terms": ""})
    assert "Do not change" not in views.product_card(english, no_terms, 50_000, 1, False, 3), \
        "English terms translate the terms: none without them"
    assert "Netflix 1 Bulan" in views.product_card(indonesian, ENGLISH_PRODUCT, 50_000, 1, False, 3)
    assert "Netflix 1 Bulan" in views.product_card(english, UNTRANSLATED, 50_000, 1, False, 3)
    assert "Netflix 1 Month" in views.product_button(english, ENGLISH_PRODUCT, 50_000, 3)
    assert "Netflix 1 Month" in views.choose_payment(english, ENGLISH_PRODUCT, Quote(50_000, 1, 50_000, 660), 0, False)


def test_an_order_shows_the_english_name_kept_when_it_was_bought():
    english, indonesian = speaker("en"), speaker("id")
    for view in (lambda say: views.qr_caption(say, fake_order(), [ENGLISH_ITEM]),
                 lambda say: views.purchase_success(say, fake_order(), [ENGLISH_ITEM], "line"),
                 lambda say: views.order_detail(say, fake_order(), [ENGLISH_ITEM]),
                 lambda say: views.order_summaries(say, [fake_order()], {7: ENGLISH_ITEM})[7]):
        assert "Netflix 1 Month" in view(english) and "Netflix 1 Bulan" not in view(english)
        assert "Netflix 1 Bulan" in view(indonesian)


def test_a_category_shows_its_english_name_to_english_readers():
    category = SimpleNamespace(name="Voucher Game", name_en="Game Vouchers", products=4)
    assert "Game Vouchers" in views.category_button(speaker("en"), category)
    assert "Voucher Game" in views.category_button(speaker("id"), category)
    assert "Game Vouchers" in views.products_title(speaker("en"), category, 0, 1)


def test_english_money_and_moments_follow_english_conventions_in_jakarta_time():
    english = speaker("en")
    assert english.money(1_250_000) == "Rp1,250,000" and speaker("id").money(1_250_000) == "Rp1.250.000"
    assert english.moment(MOMENT) == "27 Nov 2026, 14:05 WIB"  # 07:05 UTC is 14:05 in Jakarta
    assert english.moment(datetime(2026, 3, 6, 20, 0), "date") == "7 Mar 2026"
    assert english("payment.qr_expires", expires=MOMENT).endswith("27 Nov 2026, 14:05 WIB")


def test_a_line_to_claim_is_shown_as_typed_and_cut_to_fit_a_button():
    say = speaker()
    assert views.claim_line_button(say, 2, "a&b <c>") == say.plain("btn.claim_line", position=2, line="a&b <c>")
    assert len(views.claim_line_button(say, 1, "x" * 500)) < 50
    assert say.plain("delivery.unreadable_line")[:40] in views.claim_line_button(say, 1, None)

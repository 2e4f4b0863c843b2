"""Admins word the storefront from Telegram: saved in the database, used at once, reset to the default."""
from __future__ import annotations

from quickcart import storefront
from quickcart.models import AuditLog, Setting
from tests.admin_words import reason, says, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin
from tests.words import fragment
from tests.words import says as customer_says

WELCOME = "🎉 Halo <b>{name}</b>, ini <i>{shop}</i> & kawan-kawan!\nPromo tiap Jumat."


def test_a_custom_welcome_shows_on_start_and_reset_brings_the_default_back(shop, telegram):
    admin = start_admin(telegram)
    customer = telegram.user(7401, "Budi <Jaya>")
    customer.send_text("/start")
    default = customer.wait_for_message(contains=fragment("start.welcome"))

    saved = ask(admin, f"/settext welcome\n{WELCOME}", says("admin.storefront.saved", name="welcome"))
    preview = admin.wait_for_message(contains="Promo tiap Jumat.", after=saved)
    assert preview.plain_text() == "🎉 Halo Bos, ini Toko Demo & kawan-kawan!\nPromo tiap Jumat."
    assert Setting.get(Setting.key == "storefront.welcome").value == WELCOME.replace(" & ", " &amp; ")

    customer.send_text("/start")
    custom = customer.wait_for_message(contains="Promo tiap Jumat.")
    assert custom.plain_text() == "🎉 Halo Budi <Jaya>, ini Toko Demo & kawan-kawan!\nPromo tiap Jumat."
    assert any(entity["type"] == "bold" for entity in custom.entities)

    ask(admin, "/settext welcome reset", says("admin.storefront.reset", name="welcome"))
    customer.send_text("/start")
    again = customer.wait_for_message(contains=fragment("start.welcome"))
    assert again.plain_text() == default.plain_text()
    assert [entry.action for entry in AuditLog.select().where(AuditLog.subject == "setting:storefront.welcome")
            .order_by(AuditLog.id)] == ["storefront.set", "storefront.reset"]


def test_shop_name_contact_and_help_are_set_from_telegram_and_used_at_once(shop, telegram):
    admin = start_admin(telegram)
    ask(admin, "/settext shopname Toko Budi & Co", says("admin.storefront.saved", name="shopname"))
    ask(admin, "/settext contact @budi_admin (WA 0812-0000)", says("admin.storefront.saved", name="contact"))
    help_preview = admin.wait_for_message(contains=customer_says("start.help_support",
                                                                 contact="@budi_admin (WA 0812-0000)"))
    assert customer_says("start.help", shop="Toko Budi & Co", minutes=10) in help_preview.plain_text()
    ask(admin, "/settext help\nBelanja di <b>{shop}</b>: bayar dalam {minutes} menit.",
        says("admin.storefront.saved", name="help"))
    customer = telegram.user(7402, "Cici")
    customer.send_text("/bantuan")
    shown = customer.wait_for_message(contains="Belanja di Toko Budi & Co: bayar dalam 10 menit.")
    assert customer_says("start.help_support", contact="@budi_admin (WA 0812-0000)") in shown.plain_text()

    listing = ask(admin, "/settext", says("admin.storefront.list_title")).plain_text()
    assert says("admin.storefront.list_custom", name="help") in listing
    assert says("admin.storefront.list_default", name="welcome") in listing
    current = ask(admin, "/settext help", says("admin.storefront.current_custom", name="help",
                                                text="Belanja di <b>{shop}</b>: bayar dalam {minutes} menit."))
    assert "<b>{shop}</b>" in current.plain_text()  # as written, to copy and change


def test_a_storefront_text_telegram_would_refuse_is_refused_when_saved(shop, telegram):
    admin = start_admin(telegram)
    before = db_snapshot()
    for text, problem in (("/settext welcome\n<b>Halo {name}", says("admin.format.not_closed", tag="b")),
                          ("/settext help\nHarga < 50rb", says("admin.format.bare_less_than", typed="< 50rb")),
                          ("/settext shopname Toko\nBaris dua", says("admin.format.one_line")),
                          ("/settext footer Halo", reason("admin.reason.unknown_text", typed="footer",
                                                          names=", ".join(storefront.NAMES)))):
        answer = ask(admin, text, problem)
        assert usage_of("settext") in answer.plain_text(), text
    assert db_snapshot() == before
    customer = telegram.user(7403, "Dewi")
    customer.send_text("/start")
    customer.wait_for_message(contains=fragment("start.welcome"))

"""Admins run the catalogue from Telegram: add, edit, list, enable, disable."""
from __future__ import annotations

import json

import pytest

from quickcart import admin_views
from quickcart.handlers.admin import COMMANDS
from quickcart.models import AuditLog, Product
from tests.admin_words import SAY, pattern, reason, says, shown, syntax_of, usage_of
from tests.e2e.admin_helpers import answers_since, ask, audit_actions, db_snapshot, start_admin
from tests.e2e.conftest import ADMIN_ID


def test_admin_help_lists_every_command_with_its_syntax(shop, telegram):
    admin = start_admin(telegram)
    sent = admin.send_text("/admin")
    last = shown(admin_views.command_text(SAY, list(COMMANDS)[-1], "syntax"))
    admin.wait_for_message(contains=last)  # the help may take several messages
    help_text = "\n".join(answers_since(admin, sent))
    assert help_text.startswith(says("admin.help_title"))
    for command in COMMANDS:
        assert shown(admin_views.command_text(SAY, command, "syntax")) in help_text, command


def test_admin_adds_a_product_and_it_is_audited(shop, telegram):
    admin = start_admin(telegram)
    answer = ask(admin, "/addproduct Netflix Premium 1 Bulan | Streaming | 50.000 | 45000 | "
                        "Akun &lt;sharing&gt; & <b>garansi</b>", pattern("admin.product.added"))
    product = Product.get(Product.name == "Netflix Premium 1 Bulan")
    assert (product.category, product.customer_price, product.reseller_price, product.description,
            product.is_active) == ("Streaming", 50_000, 45_000, "Akun &lt;sharing&gt; &amp; <b>garansi</b>", True)
    assert answer.plain_text() == says("admin.product.added", id=product.id, name=product.name, category="Streaming",
                                       price=50_000, reseller_price=45_000)
    entry = AuditLog.get(AuditLog.action == "product.add")
    assert entry.actor_id == ADMIN_ID and entry.subject == f"product:{product.id}"
    assert json.loads(entry.after)["customer_price"] == 50_000


def test_admin_edits_fields_whose_values_contain_spaces(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(name="Netflix", price=50_000, reseller_price=45_000)
    answer = ask(admin, f"/editproduct {product.id} name=Netflix Premium 1 Bulan price=55.000 "
                        'description="Login pakai email=password, garansi 30 hari"', pattern("admin.product.edited"))
    edited = Product.get_by_id(product.id)
    assert (edited.name, edited.customer_price, edited.reseller_price, edited.description) == (
        "Netflix Premium 1 Bulan", 55_000, 45_000, "Login pakai email=password, garansi 30 hari")
    assert pattern("admin.product.edited").search(answer.plain_text())["fields"] == (
        "name, customer_price, description")
    assert shown(admin_views.product_line(SAY, edited)) in answer.plain_text()
    entry = AuditLog.get(AuditLog.action == "product.edit")
    assert json.loads(entry.before)["customer_price"] == 50_000
    assert json.loads(entry.after)["customer_price"] == 55_000
    assert entry.actor_id == ADMIN_ID


def test_admin_lists_products_with_price_stock_sold_and_state(shop, telegram):
    admin = start_admin(telegram)
    netflix = shop.add_product(name="Netflix", lines=["nf-1@mail.test:Pw1", "nf-2@mail.test:Pw2", "nf-3@mail.test:Pw3"])
    spotify = shop.add_product(name="Spotify <Family>", category="Musik", price=20_000, reseller_price=18_000)
    ask(admin, f"/disable {spotify.id}", says("admin.product.now_inactive", id=spotify.id, name=spotify.name))
    listing = ask(admin, "/products", says("admin.product.list_title", count=2)).plain_text()
    assert says("admin.product.line", state=SAY.plain("admin.product.state_active"), id=netflix.id, name="Netflix",
                category="Streaming", price=50_000, reseller_price=45_000, stock=3, sold=0) in listing
    assert says("admin.product.line", state=SAY.plain("admin.product.state_inactive"), id=spotify.id,
                name="Spotify <Family>", category="Musik", price=20_000, reseller_price=18_000, stock=0,
                sold=0) in listing


def test_disable_hides_and_enable_shows_a_product_again(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(name="Canva Pro")
    ask(admin, f"/disable {product.id}", says("admin.product.now_inactive", id=product.id, name="Canva Pro"))
    assert not Product.get_by_id(product.id).is_active
    ask(admin, f"/enable #{product.id}", says("admin.product.now_active", id=product.id, name="Canva Pro"))
    assert Product.get_by_id(product.id).is_active
    assert audit_actions()[-2:] == ["product.disable", "product.enable"]
    disabled = AuditLog.get(AuditLog.action == "product.disable")
    assert (json.loads(disabled.before)["is_active"], json.loads(disabled.after)["is_active"]) == (True, False)


def test_a_long_product_list_is_split_into_messages_telegram_accepts(shop, telegram):
    admin = start_admin(telegram)
    ids = [shop.add_product(name=f"Produk {i:03d} " + "panjang sekali " * 5, category="Kategori " * 6).id
           for i in range(80)]
    first = ask(admin, "/products", says("admin.product.list_title", count=80))
    telegram.wait_until(lambda: all(f"#{product_id} " in "\n".join([first.plain_text()] + answers_since(admin, first))
                                    for product_id in ids), what="every product listed")
    parts = [first] + [m for m in admin.messages if m.from_bot and m.seq > first.seq]
    assert len(parts) > 1
    assert all(len(part.text) <= 4096 for part in parts)


MALFORMED = [
    ("/addproduct", syntax_of("addproduct")),
    ("/addproduct Netflix | Streaming | 50000", syntax_of("addproduct")),
    ("/addproduct Netflix | Streaming | 0 | 0 | x", syntax_of("addproduct")),
    ("/addproduct Netflix | Streaming | 50,5 | 45000", syntax_of("addproduct")),
    ("/addproduct Netflix | Streaming | 40000 | 45000 | reseller lebih mahal",
     reason("admin.reason.reseller_above_customer")),
    ("/addproduct Spotify | Musik | 20000 | 18000", reason("admin.reason.name_taken", name="Spotify")),
    ("/editproduct", syntax_of("editproduct")),
    ("/editproduct abc price=1000", syntax_of("editproduct")),
    ("/editproduct {id}", syntax_of("editproduct")),
    ("/editproduct {id} warna=merah", reason("admin.reason.unknown_field", field="warna")),
    ("/editproduct {id} price=0", syntax_of("editproduct")),
    ("/editproduct {id} reseller_price=99000", reason("admin.reason.reseller_above_customer")),
    ('/editproduct {id} name="tanpa tutup', reason("admin.reason.quote_not_closed")),
    ("/editproduct 999 price=1000", reason("admin.reason.product_missing", id=999)),
    ("/products semua", syntax_of("products")),
    ("/enable", syntax_of("enable")),
    ("/enable 999", reason("admin.reason.product_missing", id=999)),
    ("/disable satu", syntax_of("disable")),
    ("/disable 1 2", syntax_of("disable")),
]


@pytest.mark.parametrize("chunk", [MALFORMED[:10], MALFORMED[10:]], ids=["first", "second"])
def test_malformed_product_commands_answer_their_syntax_and_change_nothing(shop, telegram, chunk):
    admin = start_admin(telegram)
    product = shop.add_product(name="Spotify", category="Musik", price=20_000, reseller_price=18_000)
    before = db_snapshot()
    for text, expected in chunk:
        answer = ask(admin, text.format(id=product.id), expected)
        assert usage_of(text.split()[0][1:]) in answer.plain_text(), text
    assert db_snapshot() == before

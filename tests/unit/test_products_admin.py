"""Admins' product changes in the domain: deleting, renaming categories, sort order, formatted texts, storefront."""
from __future__ import annotations

import json

import pytest

from quickcart import catalogue, orders, stock, storefront
from quickcart.catalogue import ProductError
from quickcart.models import QRIS, REMOVED, SOLD, AuditLog, Product, StockLine
from quickcart.richtext import FormatError
from quickcart.timeutil import utcnow
from tests.unit.helpers import FEES, make_user, paid_purchase

ADMIN = 1


@pytest.fixture
def netflix(db):
    product = catalogue.add_product(ADMIN, "Netflix", "Streaming", 50_000, 45_000, "Akun <b>sharing</b>")
    stock.add_lines(product.id, ["nf-1", "nf-2", "nf-3", "nf-4"])
    return product


def test_a_product_with_pending_orders_is_not_deleted_and_says_how_many(netflix):
    for user_id in (10, 11):
        orders.create_purchase(make_user(user_id), netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                               max_quantity=10, chat_id=user_id)
    with pytest.raises(ProductError) as refused:
        catalogue.delete_product(ADMIN, netflix.id)
    assert (refused.value.key, refused.value.values["count"]) == ("admin.reason.pending_orders", 2)
    assert Product.get_by_id(netflix.id).is_active and not Product.get_by_id(netflix.id).is_deleted


def test_deleting_hides_the_product_removes_its_available_lines_and_keeps_what_was_sold(netflix):
    paid = paid_purchase(make_user(12), netflix, 1, utcnow())
    assert catalogue.delete_product(ADMIN, netflix.id) == 3
    product = Product.get_by_id(netflix.id)
    assert product.is_deleted and not product.is_active and product.stock_count == 0
    assert catalogue.active_product(netflix.id) is None and catalogue.categories() == []
    assert [line.state for line in StockLine.select().order_by(StockLine.id)] == [SOLD, REMOVED, REMOVED, REMOVED]
    assert stock.delivered_lines(paid) == ["nf-1"]
    assert orders.items(paid)[0].product_name == "Netflix"
    assert netflix.id not in [p.id for p in catalogue.all_products()]
    assert [entry.action for entry in AuditLog.select().order_by(AuditLog.id)][-2:] == ["product.delete", "stock.clear"]
    for change in (lambda: catalogue.edit_product(ADMIN, netflix.id, {"customer_price": 1000}),
                   lambda: catalogue.set_active(ADMIN, netflix.id, True),
                   lambda: catalogue.delete_product(ADMIN, netflix.id)):
        with pytest.raises(ProductError) as refused:
            change()
        assert refused.value.key == "admin.reason.product_deleted"


def test_a_deleted_products_name_may_be_used_again(netflix):
    catalogue.delete_product(ADMIN, netflix.id)
    again = catalogue.add_product(ADMIN, "netflix", "Streaming", 50_000, 45_000)
    assert again.id != netflix.id


def test_renaming_a_category_moves_all_its_products(netflix):
    spotify = catalogue.add_product(ADMIN, "Spotify", "streaming", 20_000, 18_000)
    canva = catalogue.add_product(ADMIN, "Canva", "Desain", 15_000, 14_000)
    assert catalogue.rename_category(ADMIN, "STREAMING", "Streaming & Musik") == 2
    assert {p.id: p.category for p in Product.select()} == {
        netflix.id: "Streaming & Musik", spotify.id: "Streaming & Musik", canva.id: "Desain"}
    entry = AuditLog.get(AuditLog.action == "category.rename")
    assert json.loads(entry.before)["products"] == [netflix.id, spotify.id]
    with pytest.raises(ProductError) as refused:
        catalogue.rename_category(ADMIN, "Musik", "Lagu")
    assert refused.value.key == "admin.reason.no_such_category"


def test_products_are_listed_by_sort_order_then_by_name(netflix):
    for name, sort in (("Apple TV", 5), ("Disney", 0), ("Zee5", 1)):
        product = catalogue.add_product(ADMIN, name, "Streaming", 20_000, 18_000)
        catalogue.edit_product(ADMIN, product.id, {"sort_order": sort})
    assert [p.name for p in catalogue.products_page("Streaming", 0).items] == ["Disney", "Netflix", "Zee5", "Apple TV"]
    with pytest.raises(ProductError) as refused:
        catalogue.edit_product(ADMIN, netflix.id, {"sort_order": catalogue.MAX_SORT + 1})
    assert refused.value.key == "admin.reason.sort_range"


def test_a_malformed_description_or_terms_is_refused_with_the_formatting_reason(netflix):
    for field, key in (("description", "admin.reason.description_format"), ("terms", "admin.reason.terms_format")):
        with pytest.raises(ProductError) as refused:
            catalogue.edit_product(ADMIN, netflix.id, {field: "<b>tebal"})
        assert refused.value.key == key
        assert isinstance(refused.value.values["problem"], FormatError)
    with pytest.raises(ProductError):
        catalogue.add_product(ADMIN, "Spotify", "Musik", 20_000, 18_000, "<blink>hai</blink>")
    assert Product.get_by_id(netflix.id).description == "Akun <b>sharing</b>"
    assert not Product.select().where(Product.name == "Spotify").exists()


def test_terms_are_stored_and_named_by_a_digest_that_changes_with_them(netflix):
    first = catalogue.edit_product(ADMIN, netflix.id, {"terms": "Jangan ganti <b>password</b> & PIN"})
    assert first.terms == "Jangan ganti <b>password</b> &amp; PIN"
    second = catalogue.edit_product(ADMIN, netflix.id, {"terms": "Garansi 7 hari"})
    assert catalogue.terms_digest(first) != catalogue.terms_digest(second)


def test_a_photo_is_kept_by_its_file_id_and_audited(netflix):
    catalogue.set_photo(ADMIN, netflix.id, "AgACAgIAAxkBAAIphoto")
    assert Product.get_by_id(netflix.id).photo_file_id == "AgACAgIAAxkBAAIphoto"
    catalogue.set_photo(ADMIN, netflix.id, None)
    assert Product.get_by_id(netflix.id).photo_file_id is None
    assert [entry.action for entry in AuditLog.select().where(AuditLog.action == "product.photo")] == [
        "product.photo"] * 2


def test_storefront_texts_are_saved_checked_audited_and_reset(db):
    assert storefront.custom("welcome") is None and storefront.shop_name("Toko Config") == "Toko Config"
    assert storefront.save(ADMIN, "welcome", "Halo <b>{name}</b> & selamat datang") == (
        "Halo <b>{name}</b> &amp; selamat datang")
    storefront.save(ADMIN, "shopname", "  Toko Budi  ")
    assert storefront.shop_name("Toko Config") == "Toko Budi"
    with pytest.raises(FormatError):
        storefront.save(ADMIN, "help", "<i>miring")
    with pytest.raises(FormatError):
        storefront.save(ADMIN, "contact", "baris\ndua")
    with pytest.raises(FormatError):
        storefront.save(ADMIN, "shopname", "x" * 65)
    assert storefront.reset(ADMIN, "welcome") is True and storefront.custom("welcome") is None
    assert storefront.reset(ADMIN, "welcome") is False
    assert [entry.action for entry in AuditLog.select().order_by(AuditLog.id)] == [
        "storefront.set", "storefront.set", "storefront.reset", "storefront.reset"]
    assert storefront.fill("Hai {name} di {shop} {x}", name="<Tom & Jerry>", shop="Toko") == (
        "Hai &lt;Tom &amp; Jerry&gt; di Toko {x}")


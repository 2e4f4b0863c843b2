"""The admin commands of product kinds: a wrong one answers why with its syntax and changes nothing."""
from __future__ import annotations

import pytest

from quickcart.models import Product
from tests.admin_words import pattern, reason, usage_of
from tests.admin_words import says as admin_says
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin
from tests.e2e.kinds import manual, unlimited

MALFORMED = [
    ("/editproduct {stock} kind=bundle", reason("admin.reason.kind", kinds="stock, unlimited, manual")),
    ("/editproduct {stock} price=0 reseller=0", reason("admin.reason.free_only_unlimited")),
    ("/editproduct {stock} garansi=999", reason("admin.reason.warranty_days", limit=365)),
    ("/addstock {ebook}\nakun:pw", reason("admin.reason.not_stock", id="{ebook}", kind="unlimited")),
    ("/setcontent {stock}\nteks", reason("admin.reason.wrong_kind", id="{stock}", kind="unlimited")),
    ("/setcontent {ebook}", reason("admin.reason.text_needed")),
    ("/setfile {ebook}", reason("admin.reason.no_file")),
    ("/setfields {topup} ID:(a+)+$", reason("admin.reason.pattern_risky", label="ID")),
    ("/setfields {topup} ID:[0-9", reason("admin.reason.pattern_invalid", label="ID")),
    ("/claims semua", reason("admin.reason.no_arguments")),
]


@pytest.mark.parametrize("chunk", [MALFORMED[:5], MALFORMED[5:]], ids=["first", "second"])
def test_malformed_kind_commands_answer_their_syntax_and_change_nothing(shop, telegram, chunk):
    admin = start_admin(telegram)
    ids = {"stock": shop.add_product(name="Spotify", category="Musik", price=20_000, reseller_price=18_000).id,
           "ebook": unlimited(shop, "E-book", "Buku", 10_000, content="https://contoh.id").id,
           "topup": manual(shop, "Top Up", "Game", 10_000).id}
    before = db_snapshot()

    def fill(text: str) -> str:
        for name, product_id in ids.items():
            text = text.replace("{" + name + "}", str(product_id))
        return text
    for text, expected in chunk:
        command = fill(text)
        answer = ask(admin, command, fill(expected))
        assert usage_of(command.split()[0][1:]) in answer.plain_text(), command
    assert db_snapshot() == before


def test_a_free_unlimited_product_and_its_removal_from_telegram(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(name="Template CV", category="Template", price=5_000, reseller_price=5_000)
    ask(admin, f"/editproduct {product.id} kind=unlimited price=0 reseller=0 maks=2",
        pattern("admin.product.edited"))
    product = Product.get_by_id(product.id)
    assert (product.kind, product.customer_price, product.reseller_price, product.max_quantity) == (
        "unlimited", 0, 0, 2)
    ask(admin, f"/setcontent {product.id}\nhttps://contoh.id/cv", pattern("admin.product.goods"))
    ask(admin, f"/setfile {product.id} off", pattern("admin.product.goods"))
    ask(admin, f"/setcontent {product.id} off", pattern("admin.product.goods"))
    assert (Product.get_by_id(product.id).content, Product.get_by_id(product.id).file_id) == (None, None)
    ask(admin, "/claims", admin_says("admin.claim.list_empty"))

"""Admins take stock lines off sale: only available ones, counters in step, hashes audited, texts never back."""
from __future__ import annotations

import json

import pytest

from quickcart import catalogue, orders, stock, stock_key
from quickcart.models import AVAILABLE, QRIS, REMOVED, AuditLog, Product, StockLine
from quickcart.timeutil import utcnow
from tests.unit.helpers import FEES, make_user, paid_purchase

ADMIN = 1


@pytest.fixture
def netflix(db):
    product = catalogue.add_product(ADMIN, "Netflix Premium", "Streaming", 50_000, 45_000)
    stock.add_lines(product.id, [f"nf{i}@mail.test:Secret{i}" for i in range(6)])
    return product


def line_ids(product) -> list[int]:
    return [line.id for line in StockLine.select().where(StockLine.product == product.id).order_by(StockLine.id)]


def test_removing_lines_takes_only_available_ones_and_says_why_not_the_others(netflix):
    ids = line_ids(netflix)
    paid = paid_purchase(make_user(10), netflix, 1, utcnow())  # sells ids[0]
    pending = orders.create_purchase(make_user(11), netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                     max_quantity=10, chat_id=11)  # reserves ids[1]
    removal = stock.remove_lines([ids[0], ids[1], ids[2], ids[3], 999_999], ADMIN)
    assert removal.removed == [ids[2], ids[3]]
    assert removal.refused == [stock.Refusal(ids[0], "sold", paid.invoice_id),
                               stock.Refusal(ids[1], "reserved", pending.invoice_id),
                               stock.Refusal(999_999, "missing")]
    assert Product.get_by_id(netflix.id).stock_count == 2 == stock.counts(netflix.id).available
    assert stock.verify_counts() == []
    again = stock.remove_lines([ids[2]], ADMIN)
    assert again.removed == [] and again.refused == [stock.Refusal(ids[2], "removed")]


def test_a_removal_is_audited_with_each_lines_keyed_hash_never_its_text(netflix):
    ids = line_ids(netflix)
    stock.remove_lines([ids[4], ids[5]], ADMIN)
    entry = AuditLog.get(AuditLog.action == "stock.remove")
    key = stock_key.current()
    assert json.loads(entry.before)["lines"] == {str(ids[4]): key.digest(netflix.id, "nf4@mail.test:Secret4").hex(),
                                                 str(ids[5]): key.digest(netflix.id, "nf5@mail.test:Secret5").hex()}
    assert (json.loads(entry.before)["stock_count"], json.loads(entry.after)["stock_count"]) == (6, 4)
    assert entry.actor_id == ADMIN and entry.subject == f"product:{netflix.id}"
    assert "Secret" not in (entry.before + entry.after + entry.detail)


def test_a_removed_text_is_refused_by_a_later_import(netflix):
    stock.remove_lines(line_ids(netflix)[:1], ADMIN)
    result = stock.add_lines(netflix.id, ["nf0@mail.test:Secret0", "fresh@mail.test:New"])
    assert (result.added, result.duplicates) == (1, 1)


def test_a_removed_line_is_never_reserved(netflix):
    stock.remove_lines(line_ids(netflix)[:5], ADMIN)
    order = orders.create_purchase(make_user(12), netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=12)
    reserved = StockLine.get(StockLine.order == order.id)
    assert reserved.id == line_ids(netflix)[5]
    with pytest.raises(stock.StockShort):
        orders.create_purchase(make_user(13), netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                               max_quantity=10, chat_id=13)


def test_replacing_a_line_keeps_the_count_and_refuses_every_text_the_product_had(netflix):
    ids = line_ids(netflix)
    new_id = stock.replace_line(ids[0], "  fixed@mail.test:Right  ", ADMIN)
    assert StockLine.get_by_id(ids[0]).state == REMOVED
    assert stock.line_text(StockLine.get_by_id(new_id)) == "fixed@mail.test:Right"
    assert StockLine.get_by_id(new_id).state == AVAILABLE
    assert Product.get_by_id(netflix.id).stock_count == 6 and stock.verify_counts() == []
    for text, why in (("nf0@mail.test:Secret0", "duplicate"), ("nf1@mail.test:Secret1", "duplicate"),
                      ("fixed@mail.test:Right", "duplicate"), ("   ", "blank"),
                      ("x" * (stock.MAX_LINE_CHARS + 1), "too_long")):
        with pytest.raises(stock.LineRefused) as refused:
            stock.replace_line(ids[2], text, ADMIN)
        assert refused.value.why == why, text
    with pytest.raises(stock.LineRefused) as refused:
        stock.replace_line(ids[2], "nf2@mail.test:Secret2", ADMIN)
    assert refused.value.why == "same"
    with pytest.raises(stock.LineRefused) as refused:
        stock.replace_line(ids[0], "another@mail.test:x", ADMIN)
    assert refused.value.why == "removed"
    entry = AuditLog.get(AuditLog.action == "stock.edit")
    assert json.loads(entry.before) == {"line": ids[0], "digest": stock_key.current().digest(
        netflix.id, "nf0@mail.test:Secret0").hex()}
    assert json.loads(entry.after)["line"] == new_id


def test_a_reserved_or_sold_line_cannot_be_replaced(netflix):
    ids = line_ids(netflix)
    paid = paid_purchase(make_user(14), netflix, 1, utcnow())
    pending = orders.create_purchase(make_user(15), netflix.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                     max_quantity=10, chat_id=15)
    for line_id, why, invoice in ((ids[0], "sold", paid.invoice_id), (ids[1], "reserved", pending.invoice_id)):
        with pytest.raises(stock.LineRefused) as refused:
            stock.replace_line(line_id, "new@mail.test:x", ADMIN)
        assert (refused.value.why, refused.value.values["invoice"]) == (why, invoice)


def test_clearing_removes_in_batches_only_lines_up_to_the_confirmed_one(netflix):
    last = stock.last_available_id(netflix.id)
    stock.add_lines(netflix.id, ["added-after-the-question"])
    removed = stock.clear_available(netflix.id, ADMIN, up_to_line_id=last, batch_size=4)
    assert removed == 6
    assert [stock.line_text(line) for line in StockLine.select().where(StockLine.state == AVAILABLE)] == [
        "added-after-the-question"]
    assert Product.get_by_id(netflix.id).stock_count == 1 and stock.verify_counts() == []
    batches = list(AuditLog.select().where(AuditLog.action == "stock.clear").order_by(AuditLog.id))
    assert [len(json.loads(entry.before)["lines"]) for entry in batches] == [4, 2]


def test_clearing_leaves_reserved_and_sold_lines_alone(netflix):
    paid_purchase(make_user(16), netflix, 1, utcnow())
    orders.create_purchase(make_user(17), netflix.id, 2, method=QRIS, fees=FEES, ttl_minutes=10, max_quantity=10,
                           chat_id=17)
    assert stock.clear_available(netflix.id, ADMIN) == 3
    assert stock.counts(netflix.id) == stock.StockCounts(available=0, reserved=2, sold=1)


def test_the_listing_shows_only_the_ends_of_available_lines_oldest_first(netflix):
    stock.remove_lines(line_ids(netflix)[:1], ADMIN)
    page = stock.available_page(netflix.id, 0, per_page=4)
    assert (page.total, page.pages, page.page) == (5, 2, 0)
    assert [line.ends for line in page.lines] == [("n", "1"), ("n", "2"), ("n", "3"), ("n", "4")]
    last = stock.available_page(netflix.id, 7, per_page=4)
    assert last.page == 1 and [line.id for line in last.lines] == line_ids(netflix)[5:]
    assert stock.ends("ab") == ("", "")

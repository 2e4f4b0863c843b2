"""Stock lines: import counts, duplicates forever refused, reserve/sell/release."""
import threading

import pytest

from quickcart import catalogue, orders, stock
from quickcart.db import immediate
from quickcart.models import AVAILABLE, QRIS, RESERVED, SOLD, Product, StockLine
from tests.unit.helpers import make_user

ADMIN = 1


@pytest.fixture
def netflix(db):
    return catalogue.add_product(ADMIN, "Netflix Premium", "Streaming", 50_000, 45_000)


def test_import_reports_added_duplicate_and_blank_counts(netflix):
    result = stock.add_lines(netflix.id, ["a@x:1", "", "  ", "b@x:2", "a@x:1", "  b@x:2  ", "c@x:3"])
    assert (result.added, result.duplicates, result.blank) == (3, 2, 2)
    assert Product.get_by_id(netflix.id).stock_count == 3


def test_an_import_in_batches_keeps_file_order_counts_duplicates_across_batches_and_restores_the_cache(
        netflix, monkeypatch):
    from quickcart.db import database
    monkeypatch.setattr(stock, "IMPORT_PAUSE_SECONDS", 0.0)
    cache = database.execute_sql("PRAGMA cache_size").fetchone()[0]
    lines = [f"line-{n:03d}" for n in range(25)] + ["line-003", "", "line-024"]
    result = stock.add_lines(netflix.id, lines, batch_size=7)
    assert (result.added, result.duplicates, result.blank) == (25, 2, 1)
    kept = [stock.line_text(line) for line in StockLine.select().where(StockLine.product == netflix.id)
            .order_by(StockLine.id)]
    assert kept == lines[:25], "sold oldest first: in the order of the file"
    assert database.execute_sql("PRAGMA cache_size").fetchone()[0] == cache

    def broken():
        yield "line-100"
        raise OSError("upload cut off")
    with pytest.raises(OSError):
        stock.add_lines(netflix.id, broken(), batch_size=1)
    assert database.execute_sql("PRAGMA cache_size").fetchone()[0] == cache


def test_a_line_the_product_ever_sold_is_refused_again(netflix):
    stock.add_lines(netflix.id, ["only-once@x:pw"])
    buyer = make_user(10)
    order = orders.create_purchase(buyer, netflix.id, 1, method=QRIS, fees=orders.FeePolicy(70, 310),
                                   ttl_minutes=10, max_quantity=10, chat_id=10)
    with immediate():
        assert stock.sell_reserved(order) == 1
    result = stock.add_lines(netflix.id, ["only-once@x:pw"])
    assert (result.added, result.duplicates) == (0, 1)


def test_the_same_line_may_belong_to_two_different_products(netflix):
    spotify = catalogue.add_product(ADMIN, "Spotify", "Streaming", 20_000, 18_000)
    assert stock.add_lines(netflix.id, ["shared"]).added == 1
    assert stock.add_lines(spotify.id, ["shared"]).added == 1


def test_uploads_with_bom_and_windows_line_ends_are_split_cleanly():
    text = "\ufeffline1\r\nline2\r\n\r\nline3"
    assert list(stock.split_lines(text)) == ["line1", "line2", "", "line3"]


def test_overlong_lines_are_counted_not_stored(netflix):
    result = stock.add_lines(netflix.id, ["x" * (stock.MAX_LINE_CHARS + 1), "ok"])
    assert (result.added, result.too_long) == (1, 1)


def test_reserve_takes_oldest_lines_and_release_returns_them(netflix):
    stock.add_lines(netflix.id, [f"line{i}" for i in range(5)])
    buyer = make_user(10)
    order = orders.create_purchase(buyer, netflix.id, 2, method=QRIS, fees=orders.FeePolicy(70, 310),
                                   ttl_minutes=10, max_quantity=10, chat_id=10)
    lines = StockLine.select().where(StockLine.state == RESERVED).order_by(StockLine.id)
    reserved = [stock.line_text(line) for line in lines]
    assert reserved == ["line0", "line1"]
    assert Product.get_by_id(netflix.id).stock_count == 3
    assert orders.close(order, "cancelled")
    assert Product.get_by_id(netflix.id).stock_count == 5
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 5
    assert stock.verify_counts() == []


def test_a_short_reservation_leaves_no_order_behind(netflix):
    stock.add_lines(netflix.id, ["only"])
    buyer = make_user(10)
    with pytest.raises(stock.StockShort) as short:
        orders.create_purchase(buyer, netflix.id, 2, method=QRIS, fees=orders.FeePolicy(70, 310),
                               ttl_minutes=10, max_quantity=10, chat_id=10)
    assert short.value.available == 1
    assert orders.Order.select().count() == 0
    assert StockLine.get().state == AVAILABLE


def test_concurrent_reservations_never_oversell(netflix, tmp_path):
    stock.add_lines(netflix.id, [f"line{i}" for i in range(3)])
    buyers = [make_user(100 + i) for i in range(10)]
    won, short = [], []

    def buy(user):
        try:
            won.append(orders.create_purchase(user, netflix.id, 1, method=QRIS, fees=orders.FeePolicy(70, 310),
                                              ttl_minutes=10, max_quantity=10, chat_id=user.id))
        except stock.StockShort:
            short.append(user)

    threads = [threading.Thread(target=buy, args=(user,)) for user in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 3 and len(short) == 7
    owners = {line.order_id for line in StockLine.select().where(StockLine.state == RESERVED)}
    assert owners == {order.id for order in won}
    assert Product.get_by_id(netflix.id).stock_count == 0
    assert SOLD not in {line.state for line in StockLine.select()}


def test_counts_by_state(netflix):
    stock.add_lines(netflix.id, ["a", "b", "c"])
    buyer = make_user(10)
    orders.create_purchase(buyer, netflix.id, 1, method=QRIS, fees=orders.FeePolicy(70, 310),
                           ttl_minutes=10, max_quantity=10, chat_id=10)
    assert stock.counts(netflix.id) == stock.StockCounts(available=2, reserved=1, sold=0)

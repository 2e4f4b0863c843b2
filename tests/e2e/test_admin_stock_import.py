"""Admins add stock from Telegram: lines in the message, or a .txt file, while customers buy."""
from __future__ import annotations

import threading
import time

import pytest

from quickcart import orders, stock, users
from quickcart.models import QRIS, AuditLog, Product, StockLine
from tests.admin_words import pattern, says, syntax_of, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, greeted, start_admin
from tests.e2e.conftest import ADMIN_ID
from tests.words import button

FEES = orders.FeePolicy(70, 310)


def customer(user_id: int = 7001, name: str = "Citra"):
    user, _ = users.register(users.TelegramIdentity(id=user_id, first_name=name))
    return user


def test_lines_under_the_command_are_added_with_exact_counts(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["acc-0@mail.test:pw"])
    command = (f"/addstock {product.id}\nacc-1@mail.test:pw\n\nacc-2@mail.test:pw\n"
               "acc-0@mail.test:pw\n   \nacc-1@mail.test:pw\n  acc-3@mail.test:pw  ")
    answer = ask(admin, command, imported_into(product)).plain_text()
    assert says("admin.stock.imported", id=product.id, name=product.name, added=3, duplicates=2, blank=2) in answer
    assert says("admin.stock.imported_available", available=4) in answer
    assert Product.get_by_id(product.id).stock_count == 4
    assert [stock.line_text(line) for line in StockLine.select()].count("acc-3@mail.test:pw") == 1  # trimmed
    entry = AuditLog.get(AuditLog.action == "stock.add")
    assert entry.actor_id == ADMIN_ID and entry.subject == f"product:{product.id}"
    assert (entry.before, entry.after) == ('{"stock_count": 1}', '{"stock_count": 4}')


def imported_into(product) -> str:
    """The first line of an import's report."""
    return says("admin.stock.imported", id=product.id, name=product.name, added=0, duplicates=0,
                blank=0).split("\n")[0]


def test_stock_shows_available_reserved_and_sold(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=[f"key-{i}-XYZ" for i in range(5)])
    buyer = customer()
    order = orders.create_purchase(buyer, product.id, 2, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=buyer.id)
    sold = orders.create_purchase(buyer, product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                  max_quantity=10, chat_id=buyer.id)
    with stock.immediate():
        stock.sell_reserved(sold)
    answer = ask(admin, f"/stock {product.id}", pattern("admin.stock.counts")).plain_text()
    assert answer == says("admin.stock.counts", id=product.id, name=product.name, available=2, reserved=2, sold=1)
    assert order.status == "pending"


def big_stock_file() -> tuple[bytes, dict[str, int]]:
    """100,000 lines: 89,997 new, 5,000 repeats, 5,000 blank, 3 too long; BOM and CRLF."""
    unique = [f"user{i:06d}@mail.test:Pass{i * 7919 % 100_000:05d}" for i in range(89_997)]
    lines = list(unique)
    for i in range(5_000):
        lines.insert(i * 19 + 7, unique[i * 13])  # a repeat of an earlier line
        lines.insert(i * 19 + 3, "   " if i % 2 else "")
    lines += ["x" * 4001] * 3
    assert len(lines) == 100_000
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    return data, {"added": 89_997, "duplicates": 5_000, "blank": 5_000, "too_long": 3}


def test_a_100000_line_file_imports_with_exact_counts_while_customers_buy(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=[f"seed-{i}@mail.test:pw" for i in range(50)])
    data, expected = big_stock_file()
    buyer = customer()
    purchases: list[tuple[float, float]] = []  # (started, seconds it took)
    failures: list[BaseException] = []
    importing = threading.Event()
    done = threading.Event()

    def keep_buying() -> None:
        importing.wait(30)
        while not done.is_set():
            started = time.monotonic()
            try:
                orders.create_purchase(buyer, product.id, 1, method=QRIS, fees=FEES, ttl_minutes=10,
                                       max_quantity=10, chat_id=buyer.id)
            except BaseException as exc:
                failures.append(exc)
                return
            purchases.append((started, time.monotonic() - started))
            time.sleep(0.02)

    buyer_thread = threading.Thread(target=keep_buying)
    buyer_thread.start()
    try:
        admin.send_document("stok-netflix.txt", data, caption=f"/addstock {product.id}")
        admin.wait_for_message(contains=says("admin.stock.importing", count=100_000, id=product.id, name=product.name))
        importing.set()
        import_started = time.monotonic()
        answer = admin.wait_for_message(contains=imported_into(product), timeout=60).plain_text()
        import_finished = time.monotonic()
    finally:
        done.set()
        importing.set()
        buyer_thread.join()

    assert failures == []
    during = [took for started, took in purchases if import_started <= started <= import_finished]
    assert len(during) >= 3, "customers could not buy while the import ran"
    assert max(during) < 1.0, f"a purchase waited {max(during):.2f}s for the import"
    assert says("admin.stock.imported", id=product.id, name=product.name, added=expected["added"],
                duplicates=expected["duplicates"], blank=expected["blank"]) in answer
    assert says("admin.stock.imported_too_long", too_long=expected["too_long"]) in answer
    assert import_finished - import_started < 15
    counts = stock.counts(product.id)
    assert counts.available + counts.reserved == 50 + expected["added"]
    assert counts.reserved == len(purchases)
    assert stock.verify_counts() == []
    assert not any(stock.line_text(line).startswith("\ufeff") for line in StockLine.select())


def test_unusable_stock_files_are_refused_and_change_nothing(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["existing@mail.test:pw"])
    before = db_snapshot()
    admin.send_document("stok.txt", "café@mail.test:pässword\n".encode("latin-1"), caption=f"/addstock {product.id}")
    admin.wait_for_message(contains=says("admin.stock.file_not_utf8"))
    admin.send_document("stok.txt", b"a" * (20 * 1024 * 1024 + 1), caption=f"/addstock {product.id}")
    admin.wait_for_message(contains=says("admin.stock.file_too_big", megabytes=20))
    admin.send_document("stok.xlsx", b"PK\x03\x04 not text", caption=f"/addstock {product.id}",
                        mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    admin.wait_for_message(contains=says("admin.stock.file_not_txt"))
    admin.send_document("stok.txt", b"line@mail.test:pw\n", caption="/addstock")
    admin.wait_for_message(contains=syntax_of("addstock"))
    admin.send_document("stok.txt", b"line@mail.test:pw\n", caption="/addstock 999")
    admin.wait_for_message(contains=says("admin.reason.no_such_product", id=999))
    admin.send_document("stok.txt", b"line@mail.test:pw\n", caption=f"/addstock {product.id} line@mail.test:pw")
    admin.wait_for_message(contains=says("admin.reason.caption_only_id", typed="line@mail.test:pw"))
    admin.send_document("foto.pdf", b"%PDF-1.4", mime_type="application/pdf")  # no caption, not a .txt
    admin.wait_for_message(contains=says("admin.stock.file_not_txt"))
    assert db_snapshot() == before


def test_one_item_on_the_command_line_is_added(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=[])
    answer = ask(admin, f"/addstock {product.id} akun@mail.test:pw rahasia", imported_into(product)).plain_text()
    assert says("admin.stock.imported", id=product.id, name=product.name, added=1, duplicates=0, blank=0) in answer
    ask(admin, f"/addstock {product.id} satu@mail.test:pw\ndua@mail.test:pw", imported_into(product))
    assert sorted(stock.line_text(line) for line in StockLine.select()) == [
        "akun@mail.test:pw rahasia", "dua@mail.test:pw", "satu@mail.test:pw"]


def test_a_txt_without_caption_asks_which_product_and_imports_into_the_one_chosen(shop, telegram):
    admin = start_admin(telegram)
    netflix = shop.add_product(name="Netflix", lines=[])
    spotify = shop.add_product(name="Spotify", lines=[])
    admin.send_document("stok.txt", b"sp-1@mail.test:pw\nsp-2@mail.test:pw\n")
    question = admin.wait_for_message(contains=says("admin.stock.which_product", shown=2, total=2))
    assert sorted(question.button_texts()) == [says("admin.stock.choice_button", id=netflix.id, name="Netflix"),
                                               says("admin.stock.choice_button", id=spotify.id, name="Spotify")]
    admin.press(question, says("admin.stock.choice_button", id=spotify.id, name="Spotify"))
    admin.wait_for_message(contains=imported_into(spotify))
    assert Product.get_by_id(spotify.id).stock_count == 2 and Product.get_by_id(netflix.id).stock_count == 0
    assert question.button_texts() == [], "the question's buttons are gone once answered"

    other = admin.send_document("lagi.txt", b"nf-1@mail.test:pw\n")
    admin.wait_for_message(contains=says("admin.stock.which_product", shown=2, total=2))
    admin.send_text(f"/addstock {netflix.id}", reply_to=other)  # or: reply to the file with the command
    admin.wait_for_message(contains=imported_into(netflix))
    assert Product.get_by_id(netflix.id).stock_count == 1


def test_a_customer_cannot_press_the_product_choice(shop, telegram):
    shop.add_product(lines=[])
    customer_user = telegram.user(7009, "Iseng")
    customer_user.send_text("/start")
    customer_user.wait_for_message(greeted)
    query = customer_user.press_callback_data(customer_user.last_bot_message, "v1:stkf:1")
    assert customer_user.wait_for_answer(query).text == button("gate.stale_button")
    assert Product.get(Product.id == 1).stock_count == 0


@pytest.mark.parametrize("text, expected", [
    ("/addstock", syntax_of("addstock")),
    ("/addstock abc\nline-1@mail.test", syntax_of("addstock")),
    ("/addstock {id}", says("admin.reason.no_stock_lines")),
    ("/addstock akun@mail.test:pw", says("admin.reason.not_a_number", what=says("admin.what.product_id"),
                                         typed="akun@mail.test:pw")),
    ("/addstock 999\nline-1@mail.test", says("admin.reason.no_such_product", id=999)),
    ("/stock", syntax_of("stock")),
    ("/stock x", syntax_of("stock")),
    ("/stock 999", says("admin.reason.no_such_product", id=999)),
])
def test_malformed_stock_commands_answer_their_syntax_and_change_nothing(shop, telegram, text, expected):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["existing@mail.test:pw"])
    before = db_snapshot()
    answer = ask(admin, text.format(id=product.id), expected).plain_text()
    assert usage_of(text.split()[0][1:]) in answer
    assert db_snapshot() == before


def test_a_customer_is_answered_while_an_admin_import_is_running(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["seed@mail.test:pw"])
    data, _ = big_stock_file()
    # Under one shared lane per (user id % 8) this customer would wait for the whole import.
    neighbour = telegram.user(ADMIN_ID + 8, "Tetangga")
    admin.send_document("stok.txt", data, caption=f"/addstock {product.id}")
    admin.wait_for_message(contains=says("admin.stock.importing", count=100_000, id=product.id, name=product.name))
    neighbour.send_text("/start")
    neighbour.wait_for_message(greeted, timeout=10)
    assert not any(imported_into(product) in m.plain_text() for m in telegram.chat(ADMIN_ID).bot_messages()), \
        "the customer was answered only after the import"
    admin.wait_for_message(contains=imported_into(product), timeout=60)

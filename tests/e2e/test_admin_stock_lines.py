"""Admins look after stock lines from Telegram: list them masked, remove, rewrite, clear — never a reserved
or sold line, never the credential in a chat, every removal audited by its keyed hash."""
from __future__ import annotations

import json

from quickcart import stock, stock_key
from quickcart.callbacks import encode
from quickcart.models import AVAILABLE, REMOVED, RESERVED, SOLD, AuditLog, Order, Product, StockLine
from tests.admin_words import pattern, reason, says, syntax_of, usage_of
from tests.e2e.admin_helpers import answers_since, ask, db_snapshot, start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import button
from tests.words import says as customer_says

SECOND_ADMIN = 900_002


def lines_of(product) -> list[StockLine]:
    return list(StockLine.select().where(StockLine.product == product.id).order_by(StockLine.id))


def test_lines_are_listed_by_id_masked_and_paged(shop, telegram):
    admin = start_admin(telegram)
    texts = [f"akun{i:02d}@mail.test:Rahasia{i:02d}" for i in range(25)]
    product = shop.add_product(lines=texts)
    ids = [line.id for line in lines_of(product)]
    first = ask(admin, f"/lines {product.id}", says("admin.lines.title_paged", id=product.id, name=product.name,
                                                     count=25, page=1, pages=2))
    shown = first.plain_text()
    assert says("admin.lines.line", id=ids[0], first="a", last="0", added=lines_of(product)[0].created_at) in shown
    assert f"#{ids[19]}" in shown and f"#{ids[20]}" not in shown
    admin.press(first, button("btn.next"))
    second = admin.wait_for_message(contains=says("admin.lines.title_paged", id=product.id, name=product.name,
                                                  count=25, page=2, pages=2))
    assert second.message_id == first.message_id  # the pager edits the list
    assert f"#{ids[24]}" in second.plain_text() and f"#{ids[19]}" not in second.plain_text()
    again = ask(admin, f"/lines {product.id} 2", says("admin.lines.title_paged", id=product.id, name=product.name,
                                                      count=25, page=2, pages=2))
    assert again.plain_text() == second.plain_text()
    chat = "\n".join(m.plain_text() for m in admin.messages)
    assert not any(text in chat or text[1:-1] in chat for text in texts), "a credential was shown in the chat"


def test_deleting_a_line_that_a_pending_order_reserved_is_refused(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["sold@mail.test:pw1", "held@mail.test:pw2", "free@mail.test:pw3",
                                      "spare@mail.test:pw4"])
    buyer = telegram.user(7101, "Budi")
    start(buyer)
    paid = invoice_of(pay_by_qris(buyer, product.name))
    pakasir.complete(paid)
    buyer.wait_for_message(contains=customer_says("delivery.title"))
    pending = invoice_of(pay_by_qris(buyer, product.name))
    sold, held, free, spare = [line.id for line in lines_of(product)]
    assert [line.state for line in lines_of(product)] == [SOLD, RESERVED, AVAILABLE, AVAILABLE]

    answer = ask(admin, f"/delline {held}, {free} #{sold} 999999", pattern("admin.lines.removed"))
    text = "\n".join([answer.plain_text()] + answers_since(admin, answer))
    assert says("admin.lines.removed", count=1, ids=f"#{free}") in text
    assert says("admin.lines.reserved", id=held, invoice=pending) in text
    assert says("admin.lines.sold", id=sold, invoice=paid) in text
    assert says("admin.lines.not_found", id=999999) in text
    assert [line.state for line in lines_of(product)] == [SOLD, RESERVED, REMOVED, AVAILABLE]
    assert Product.get_by_id(product.id).stock_count == 1 and stock.verify_counts() == []
    entry = AuditLog.get(AuditLog.action == "stock.remove")
    assert entry.actor_id == ADMIN_ID
    assert json.loads(entry.before)["lines"] == {
        str(free): stock_key.current().digest(product.id, "free@mail.test:pw3").hex()}
    assert "free@mail.test" not in entry.before + entry.after + entry.detail

    # The reserved line is still the pending order's: paying it delivers it.
    pakasir.complete(pending)
    delivered = buyer.wait_for_message(contains="held@mail.test:pw2")
    assert customer_says("delivery.title") in delivered.plain_text()
    assert Order.get(Order.invoice_id == pending).status == "paid"


def test_editline_replaces_an_available_line_and_refuses_every_text_the_product_had(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["wrong@mail.test:typo", "other@mail.test:pw"])
    wrong, other = [line.id for line in lines_of(product)]
    answer = ask(admin, f"/editline {wrong} right@mail.test:fixed", pattern("admin.lines.replaced")).plain_text()
    new = pattern("admin.lines.replaced").search(answer)
    assert (int(new["old"]), new["first"], new["last"]) == (wrong, "r", "d")
    assert "right@mail.test:fixed" not in answer
    replaced = StockLine.get_by_id(int(new["new"]))
    assert stock.line_text(replaced) == "right@mail.test:fixed" and replaced.state == AVAILABLE
    assert StockLine.get_by_id(wrong).state == REMOVED
    assert Product.get_by_id(product.id).stock_count == 2
    before = db_snapshot()
    for command, why in ((f"/editline {other} wrong@mail.test:typo", reason("admin.reason.line_duplicate", id=other)),
                         (f"/editline {other} right@mail.test:fixed", reason("admin.reason.line_duplicate", id=other)),
                         (f"/editline {wrong} again@mail.test:x", reason("admin.reason.line_removed", id=wrong,
                                                                       invoice="-")),
                         (f"/editline {other} other@mail.test:pw", reason("admin.reason.line_same", id=other))):
        assert usage_of("editline") in ask(admin, command, why).plain_text()
    assert db_snapshot() == before
    imported = ask(admin, f"/addstock {product.id}\nwrong@mail.test:typo", pattern("admin.stock.imported"))
    assert pattern("admin.stock.imported").search(imported.plain_text())["duplicates"] == "1"


def clear_question(admin, product, count: int):
    return ask(admin, f"/clearstock {product.id}", says("admin.lines.clear_question", id=product.id,
                                                        name=product.name, count=count))


def test_clearstock_asks_first_and_its_button_works_once_for_the_admin_who_asked(make_shop, telegram, pakasir):
    shop = make_shop(admin_ids=(ADMIN_ID, SECOND_ADMIN))
    admin = start_admin(telegram)
    other_admin = started(telegram, SECOND_ADMIN, "Wakil")
    product = shop.add_product(lines=[f"clear{i}@mail.test:pw" for i in range(5)])
    buyer = telegram.user(7102, "Cici")
    start(buyer)
    pay_by_qris(buyer, product.name)  # one line reserved: it stays
    question = clear_question(admin, product, 4)
    assert button("btn.confirm_clear") in question.button_texts()
    stock.add_lines(product.id, ["added-after-the-question@mail.test:pw"])

    # Another admin forging the same button, or anyone else, gets the stale-button answer.
    data = next(b["callback_data"] for row in question.buttons() for b in row
                if b["text"] == button("btn.confirm_clear"))
    greeting = other_admin.messages[-1]
    forged = other_admin.press_callback_data(greeting, data)
    assert other_admin.wait_for_answer(forged).text == button("gate.stale_button")
    for forged_data in (data, encode("lines", product.id, 0)):  # a customer, too
        forged = buyer.press_callback_data(buyer.messages[-1], forged_data)
        assert buyer.wait_for_answer(forged).text == button("gate.stale_button")
    assert Product.get_by_id(product.id).stock_count == 5

    admin.press(question, button("btn.confirm_clear"))
    done = admin.wait_for_message(contains=says("admin.lines.cleared", id=product.id, name=product.name, count=4,
                                                available=1))
    assert done.message_id == question.message_id and not done.button_texts()
    assert [stock.line_text(line) for line in lines_of(product) if line.state == AVAILABLE] == [
        "added-after-the-question@mail.test:pw"]
    assert sum(line.state == RESERVED for line in lines_of(product)) == 1
    assert Product.get_by_id(product.id).stock_count == 1 and stock.verify_counts() == []
    assert len(json.loads(AuditLog.get(AuditLog.action == "stock.clear").before)["lines"]) == 4

    again = admin.press_callback_data(done, data)  # a double tap, or the old button pressed later
    assert admin.wait_for_answer(again).text == button("gate.stale_button")
    assert AuditLog.select().where(AuditLog.action == "stock.clear").count() == 1


def test_clearstock_dropped_changes_nothing(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["keep1@mail.test:pw", "keep2@mail.test:pw"])
    question = clear_question(admin, product, 2)
    before = db_snapshot()
    admin.press(question, button("btn.cancel_action"))
    admin.wait_for_message(contains=says("admin.confirm.dropped"))
    assert db_snapshot() == before
    forged = admin.press_callback_data(question, encode("cfm", "AAAAAAAA"))
    assert admin.wait_for_answer(forged).text == button("gate.stale_button")
    assert db_snapshot() == before


def test_malformed_line_commands_answer_their_syntax_and_change_nothing(shop, telegram):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["x1@mail.test:pw"])
    before = db_snapshot()
    for text, expected in (("/lines", syntax_of("lines")),
                           ("/lines 999", reason("admin.reason.no_such_product", id=999)),
                           ("/delline 1 x", syntax_of("delline")),
                           ("/delline " + " ".join(str(i) for i in range(1, 102)),
                            reason("admin.reason.too_many_lines", limit=100)),
                           ("/editline 1", syntax_of("editline")),
                           ("/editline 1\nbaris satu\nbaris dua", reason("admin.reason.line_one_line")),
                           (f"/clearstock {product.id} semua", syntax_of("clearstock"))):
        assert usage_of(text.split()[0][1:]) in ask(admin, text, expected).plain_text(), text
    assert db_snapshot() == before

"""Warranty claims: offered while the warranty lasts, answered once by whichever admin is first."""
from __future__ import annotations

import threading
from datetime import timedelta

from quickcart import stock
from quickcart.models import OPEN, REPLACED, SOLD, AuditLog, Order, Product, StockLine, WarrantyClaim
from tests.admin_words import pattern
from tests.admin_words import says as admin_says
from tests.e2e.admin_helpers import ask, start_admin, started
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.e2e.kinds import with_warranty
from tests.words import button, fragment, says

DEPUTY_ID = 900_002
LINES = ["netflix-a@mail.test:Pw-Satu-1", "netflix-b@mail.test:Pw-Dua-2", "netflix-c@mail.test:Pw-Tiga-3"]


def bought(telegram, pakasir, product, user_id: int, name: str):
    buyer = telegram.user(user_id, name)
    start(buyer)
    qr = pay_by_qris(buyer, product.name)
    pakasir.complete(invoice_of(qr))
    buyer.wait_for_message(contains=says("delivery.title"))
    return buyer, Order.get(Order.invoice_id == invoice_of(qr))


def order_detail(buyer, order: Order):
    buyer.tap_keyboard(button("menu.history"))
    history = buyer.wait_for_message(contains=says("history.title"))
    paid = next(label for label in history.button_texts() if label.startswith(button("status_icon.paid")))
    buyer.press(history, paid)
    return buyer.wait_for_message(contains=says("history.order_invoice", invoice=order.invoice_id))


def claim_line(buyer, order: Order, line: StockLine, problem: str) -> None:
    """Riwayat → the order → Klaim Garansi → the line → the problem described; waits for "claim sent"."""
    buyer.press(order_detail(buyer, order), button("btn.claim_warranty"))
    lines = buyer.wait_for_message(contains=fragment("warranty.pick_line", invoice=order.invoice_id))
    buyer.press(lines, stock.line_text(line)[:20])
    buyer.wait_for_message(contains=fragment("warranty.describe"))
    buyer.send_text(problem)
    buyer.wait_for_message(contains=fragment("warranty.claim_sent"))


def test_a_warranty_claim_replaced_twice_by_racing_admins_delivers_exactly_one_replacement_line(
        make_shop, telegram, pakasir):
    shop = make_shop(admin_ids=(ADMIN_ID, DEPUTY_ID))
    boss, deputy = start_admin(telegram), started(telegram, DEPUTY_ID, "Wakil")
    product = shop.add_product(lines=LINES)
    ask(boss, f"/editproduct {product.id} garansi=7", pattern("admin.product.edited"))
    gita, order = bought(telegram, pakasir, product, 9001, "Gita")
    sold = StockLine.get((StockLine.order == order.id) & (StockLine.state == SOLD))

    claim_line(gita, order, sold, "Password salah, tidak bisa login")
    claim = WarrantyClaim.get(WarrantyClaim.order == order.id)
    assert (claim.state, claim.line_id) == (OPEN, sold.id)

    cards = [admin.wait_for_message(lambda m: m.buttons() and order.invoice_id in m.plain_text(),
                                    after=admin.messages[0]) for admin in (boss, deputy)]
    assert all(stock.line_text(sold) in card.plain_text() for card in cards)
    presses = {}

    def replace(admin, card) -> None:
        presses[admin.id] = admin.press(card, button("btn.claim_replace"))
    racers = [threading.Thread(target=replace, args=pair) for pair in zip((boss, deputy), cards, strict=True)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    replaced = gita.wait_for_message(contains=fragment("warranty.replaced", claim=claim.id))
    claim = WarrantyClaim.get_by_id(claim.id)
    new_line = StockLine.get_by_id(claim.replacement_line_id)
    assert claim.state == REPLACED and new_line.state == SOLD and new_line.order_id is None
    assert stock.line_text(new_line) in replaced.plain_text() and new_line.id != sold.id
    answers = {admin_id: (boss if admin_id == boss.id else deputy).wait_for_answer(query).text
               for admin_id, query in presses.items()}
    loser = deputy.id if claim.admin_id == boss.id else boss.id
    assert answers[claim.admin_id] == admin_says("admin.claim.done")
    assert pattern("admin.decision.already").search(answers[loser])
    telegram.wait_until(lambda: WarrantyClaim.get_by_id(claim.id).told_at is not None, what="told")
    told = [m for m in telegram.chat(gita.id).bot_messages()
            if fragment("warranty.replaced", claim=claim.id) in m.plain_text()]
    assert len(told) == 1
    assert StockLine.select().where(StockLine.state == SOLD).count() == 2
    assert Product.get_by_id(product.id).stock_count == 1
    assert AuditLog.select().where(AuditLog.action == "warranty.replace").count() == 1

    again = order_detail(gita, order)  # the replacement itself may be claimed; the replaced line not
    gita.press(again, button("btn.claim_warranty"))
    offered = gita.wait_for_message(contains=fragment("warranty.pick_line", invoice=order.invoice_id))
    assert any(stock.line_text(new_line)[:20] in label for label in offered.button_texts())
    assert not any(stock.line_text(sold)[:20] in label for label in offered.button_texts())


def test_a_claim_after_the_warranty_window_is_not_offered(shop, telegram, pakasir):
    product = with_warranty(shop.add_product(lines=LINES), 7)
    hadi, order = bought(telegram, pakasir, product, 9002, "Hadi")
    assert button("btn.claim_warranty") in order_detail(hadi, order).button_texts()

    paid_at = Order.get_by_id(order.id).paid_at
    Order.update(paid_at=paid_at - timedelta(days=7, minutes=1)).where(Order.id == order.id).execute()
    detail = order_detail(hadi, order)
    assert button("btn.claim_warranty") not in detail.button_texts()
    forged = hadi.press_callback_data(detail, f"v1:wcl:{order.id}:0")
    assert hadi.wait_for_answer(forged).text == button("warranty.not_covered")
    line = StockLine.get(StockLine.order == order.id)
    forged = hadi.press_callback_data(detail, f"v1:wln:{order.id}:{line.id}")
    assert hadi.wait_for_answer(forged).text == button("warranty.line_settled")
    assert WarrantyClaim.select().count() == 0


def test_a_claim_is_refused_for_someone_elses_order_and_refunded_at_the_unit_price(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = with_warranty(shop.add_product(lines=LINES), 3)
    indah, order = bought(telegram, pakasir, product, 9003, "Indah")
    joko = telegram.user(9004, "Joko")
    start(joko)
    line = StockLine.get(StockLine.order == order.id)
    forged = joko.press_callback_data(joko.last_bot_message, f"v1:wln:{order.id}:{line.id}")
    assert joko.wait_for_answer(forged).text == button("gate.stale_button")

    claim_line(indah, order, line, "Akun kena logout terus")
    ask(admin, "/claims", admin_says("admin.claim.list_title", count=1, shown=1))
    card = admin.wait_for_message(lambda m: button("btn.claim_refund") in m.button_texts())
    admin.press(card, button("btn.claim_refund"))
    refunded = indah.wait_for_message(contains=fragment("warranty.refunded"))
    assert says("warranty.refunded", claim=WarrantyClaim.get().id, invoice=order.invoice_id, amount=50_000,
                balance=50_000) in refunded.plain_text()
    ask(admin, "/stats", admin_says("admin.stats.claims_product", name=product.name, id=product.id, total=1, open=0,
                                    replaced=0, refunded=1))

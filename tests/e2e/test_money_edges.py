"""Paid means delivered at the edges: outages around expiry, cancel races, mismatches, price changes.

Each test here reproduces a way a shop lost money, goods or stock before
(issue 11), through the real shop and the stand-ins.
"""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from quickcart import balance, catalogue, stock_key, users
from quickcart.models import (
    AVAILABLE,
    EXPIRED,
    PAID,
    PENDING,
    RESERVED,
    SOLD,
    AuditLog,
    Order,
    Product,
    StockLine,
    User,
)
from quickcart.money import format_rupiah
from quickcart.timeutil import utcnow
from tests.admin_words import reason
from tests.admin_words import says as admin_says
from tests.e2e.admin_helpers import ask, start_admin
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import choose_payment, invoice_of, open_product, pay_by_qris, qris_order, start
from tests.words import button, fragment, says

LINES = ["akun-edge-01:pw-satu", "akun-edge-02:pw-dua", "akun-edge-03:pw-tiga"]


def order_of(qr) -> Order:
    return Order.get(Order.invoice_id == invoice_of(qr))


def age(order: Order, by: timedelta) -> None:
    """Move every moment of the order into the past, as if ``by`` had passed."""
    fresh = Order.get_by_id(order.id)
    changes = {field: getattr(fresh, field) - by
               for field in ("created_at", "expires_at", "closed_at", "last_checked_at")
               if getattr(fresh, field) is not None}
    Order.update(**changes).where(Order.id == order.id).execute()


def probes(pakasir) -> int:
    return pakasir.stats.requests.get("home", 0)


def detail_requests(pakasir, order: Order) -> int:
    return len(pakasir.requests_for("detail", order.invoice_id))


def test_a_payment_made_while_pakasir_is_unreachable_past_the_late_window_is_delivered(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:1])
    budi = telegram.user(8601, "Budi")
    start(budi)
    qr = pay_by_qris(budi, product.name)
    order = order_of(qr)
    pakasir.go_down("503")
    pakasir.complete(order.invoice_id)  # the customer pays; the webhook cannot be confirmed
    assert pakasir.webhook_log[-1].status_code == 503, "a retrying sender must try again"

    # The QR expires during the outage, and the outage lasts past the late-payment window.
    age(order, timedelta(minutes=11))
    seen = probes(pakasir)
    pakasir.wait_until(lambda: probes(pakasir) >= seen + 3, timeout=20, what="the jobs ran during the outage")
    assert Order.get_by_id(order.id).status == PENDING, "an unknown is not a no: nothing was closed"
    assert StockLine.get(StockLine.product == product.id).state == RESERVED, "the payer's line stays theirs"
    age(order, timedelta(hours=2))

    pakasir.come_up()
    goods = budi.wait_for_message(contains=says("delivery.title"), timeout=20)
    assert LINES[0] in goods.plain_text()
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.paid_late, settled.settlement) == (PAID, False, "delivered")
    assert StockLine.get(StockLine.product == product.id).order_id == order.id


def test_the_webhook_answers_503_while_transactiondetail_fails_then_the_order_is_delivered(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:1])
    cici = telegram.user(8602, "Cici")
    start(cici)
    order = order_of(pay_by_qris(cici, product.name))
    pakasir.faults.add("detail", status=502, times=1000)
    pakasir.complete(order.invoice_id)
    assert pakasir.webhook_log[-1].status_code == 503
    assert Order.get_by_id(order.id).status == PENDING
    pakasir.faults.clear()
    cici.wait_for_message(contains=says("delivery.title"), timeout=20)  # within one poll interval (20 s)
    assert Order.get_by_id(order.id).status == PAID


def test_a_mismatched_order_closes_at_expiry_releases_its_line_and_is_never_polled_again(make_shop, telegram,
                                                                                       pakasir):
    shop = make_shop(overrides={"pakasir": {"poll_interval_seconds": 2}})
    admin = start_admin(telegram)
    product = shop.add_product(lines=LINES[:2])
    dewi, eko = telegram.user(8603, "Dewi"), telegram.user(8604, "Eko")
    start(dewi)
    start(eko)
    qr = pay_by_qris(dewi, product.name)
    order = order_of(qr)
    watched = order_of(pay_by_qris(eko, product.name))  # an ordinary pending order, polled as usual
    pakasir.complete(order.invoice_id, webhook=False)
    pakasir.misreport(order.invoice_id, amount=order.gateway_amount + 5_000)

    answer = dewi.wait_for_answer(dewi.press(qr, button("btn.check_status")))
    assert answer.text == button("payment.needs_admin")
    alert = admin.wait_for_message(contains=fragment("notice.mismatch"))
    assert format_rupiah(order.gateway_amount + 5_000) in alert.plain_text()
    assert format_rupiah(order.gateway_amount) in alert.plain_text()
    assert Order.get_by_id(order.id).status == PENDING, "never delivered automatically"

    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(Order.id == order.id).execute()
    dewi.wait_for_message(contains=says("delivery.needs_admin", invoice=order.invoice_id), timeout=15)
    closed = Order.get_by_id(order.id)
    assert closed.status == EXPIRED
    assert Product.get_by_id(product.id).stock_count == 1, "its line is back on sale"
    asked = detail_requests(pakasir, order)
    polled = detail_requests(pakasir, watched)
    pakasir.wait_until(lambda: detail_requests(pakasir, watched) >= polled + 3, timeout=20,
                       what="the poll job ran three more times")
    assert detail_requests(pakasir, order) == asked, "no job asks about a mismatched order again"
    alerts = [m for m in telegram.chat(ADMIN_ID).bot_messages() if fragment("notice.mismatch") in m.plain_text()]
    assert len(alerts) == 1, "alerted once"

    ask(admin, f"/resolve {order.invoice_id} deliver", admin_says("admin.resolved.deliver", invoice=order.invoice_id))
    goods = dewi.wait_for_message(contains=says("delivery.title"))
    assert any(line in goods.plain_text() for line in LINES[:2])
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.mismatch_resolution) == (PAID, "deliver")
    assert AuditLog.select().where(AuditLog.action == "payment.mismatch_resolved").count() == 1
    ask(admin, f"/resolve {order.invoice_id} credit",
        admin_says("admin.order.not_a_mismatch", invoice=order.invoice_id))
    assert User.get_by_id(dewi.id).account_balance == 0, "decided once"


def test_an_admin_can_credit_a_mismatched_payment_to_the_balance(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(lines=LINES[:1])
    fajar = telegram.user(8605, "Fajar")
    start(fajar)
    qr = pay_by_qris(fajar, product.name)
    order = order_of(qr)
    pakasir.complete(order.invoice_id, webhook=False)
    pakasir.misreport(order.invoice_id, project="toko-lain")
    fajar.wait_for_answer(fajar.press(qr, button("btn.check_status")))
    admin.wait_for_message(contains=fragment("notice.mismatch"))
    ask(admin, f"/resolve {order.invoice_id} credit sudah cek dashboard",
        admin_says("admin.resolved.credit", invoice=order.invoice_id))
    fajar.wait_for_message(contains=fragment("delivery.mismatch_credited"))
    assert User.get_by_id(fajar.id).account_balance == order.total_bill
    assert Product.get_by_id(product.id).stock_count == 1, "the reserved line went back on sale"
    assert Order.get_by_id(order.id).settlement == "credited"


def test_a_hundred_and_one_stuck_orders_do_not_stop_the_next_from_expiring(shop, telegram, pakasir):
    product = shop.add_product(lines=[f"stuck-line-{i:03d}" for i in range(102)])
    gita = telegram.user(8606, "Gita")
    start(gita)
    user = users.get(gita.id)
    stuck = [qris_order(pakasir, user, product) for _ in range(101)]
    for order in stuck:
        pakasir.misreport(order.invoice_id, amount=order.gateway_amount + 1)
    Order.update(expires_at=utcnow() - timedelta(minutes=5)).where(
        Order.id.in_([order.id for order in stuck])).execute()
    latest = qris_order(pakasir, user, product)
    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(Order.id == latest.id).execute()
    pakasir.wait_until(lambda: Order.get_by_id(latest.id).status == EXPIRED, timeout=30,
                       what="the 102nd order expired")
    pakasir.wait_until(lambda: Order.select().where(Order.status == PENDING).count() == 0, timeout=30,
                       what="every stuck order closed")
    assert Product.get_by_id(product.id).stock_count == 102
    assert all(order.mismatch for order in Order.select().where(Order.id.in_([o.id for o in stuck])))


def test_a_price_change_between_the_summary_and_the_saldo_press_charges_nothing(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:2], price=20_000, reseller_price=18_000)
    hana = telegram.user(8607, "Hana")
    start(hana)
    balance.admin_adjust(ADMIN_ID, users.get(hana.id), 100_000, "modal")
    summary = choose_payment(hana, open_product(hana, product.name))
    assert format_rupiah(20_000) in summary.plain_text()
    catalogue.edit_product(ADMIN_ID, product.id, {"customer_price": 30_000})

    answer = hana.wait_for_answer(hana.press(summary, button("btn.pay_balance")))
    assert answer.text == button("checkout.price_changed") and answer.show_alert
    fresh = hana.wait_for_message(lambda m: says("checkout.summary_title") in m.plain_text()
                                  and format_rupiah(30_000) in m.plain_text())
    assert User.get_by_id(hana.id).account_balance == 100_000, "nothing was debited"
    assert Order.select().count() == 0

    hana.press(fresh, button("btn.pay_balance"))
    hana.wait_for_message(contains=says("delivery.title"))
    assert User.get_by_id(hana.id).account_balance == 70_000, "the price that was shown, and agreed to"


def test_a_reseller_demoted_after_the_summary_is_not_charged_the_customer_price(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:2], price=20_000, reseller_price=15_000)
    ivan = telegram.user(8608, "Ivan")
    start(ivan)
    users.set_role(ADMIN_ID, users.get(ivan.id), "reseller")
    balance.admin_adjust(ADMIN_ID, users.get(ivan.id), 50_000, "modal")
    summary = choose_payment(ivan, open_product(ivan, product.name))
    users.set_role(ADMIN_ID, users.get(ivan.id), "customer")
    answer = ivan.wait_for_answer(ivan.press(summary, button("btn.pay_balance")))
    assert answer.text == button("checkout.price_changed")
    assert User.get_by_id(ivan.id).account_balance == 50_000


def test_pakasir_hanging_while_five_orders_expire_closes_them_within_seconds_of_its_return(shop, telegram,
                                                                                          pakasir):
    product = shop.add_product(lines=[f"hang-line-{i}" for i in range(6)])
    customers = [telegram.user(8610 + i, f"Pembeli{i}") for i in range(5)]
    qrs = []
    for customer in customers:
        start(customer)
        qrs.append(pay_by_qris(customer, product.name))
    expiring = [order_of(qr) for qr in qrs]
    pakasir.hang_seconds = 120
    pakasir.go_down("timeout")
    Order.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        Order.id.in_([order.id for order in expiring])).execute()
    pakasir.wait_until(lambda: shop.get("/health").json()["services"]["pakasir_api"] == "down", timeout=30,
                       what="the shop noticed the hang")

    # A press during the hang gets a clear answer, not a lane held for a minute.
    pressed = time.monotonic()
    answer = customers[0].wait_for_answer(customers[0].press(qrs[0], button("btn.check_status")), timeout=10)
    assert answer.text == button("payment.unknown")
    assert time.monotonic() - pressed < 6
    assert all(order.status == PENDING for order in Order.select().where(
        Order.id.in_([o.id for o in expiring]))), "nothing closed on an unknown"

    pakasir.come_up()
    pakasir.wait_until(lambda: Order.select().where(Order.id.in_([o.id for o in expiring])
                                                    & (Order.status == EXPIRED)).count() == 5,
                       timeout=10, what="all five closed within seconds of Pakasir's return")
    assert Product.get_by_id(product.id).stock_count == 6


def test_a_payment_landing_as_the_shop_cancels_delivers_the_payers_own_line(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES[:1])
    joko, kiki = telegram.user(8620, "Joko"), telegram.user(8621, "Kiki")
    start(joko)
    start(kiki)
    qr = pay_by_qris(joko, product.name)
    order = order_of(qr)
    # Joko's payment lands while the shop is cancelling: Pakasir refuses the cancel.
    pakasir.before_next("cancel", lambda: pakasir.complete(order.invoice_id, webhook=False))
    answer = joko.wait_for_answer(joko.press(qr, button("btn.cancel")))
    assert answer.text == button("payment.paid_not_cancelled")
    goods = joko.wait_for_message(contains=says("delivery.title"))
    assert LINES[0] in goods.plain_text()
    settled = Order.get_by_id(order.id)
    assert (settled.status, settled.paid_late, settled.settlement) == (PAID, False, "delivered")
    line = StockLine.get((StockLine.product == product.id)
                         & (StockLine.digest == stock_key.current().digest(product.id, LINES[0])))
    assert (line.state, line.order_id) == (SOLD, order.id)
    assert not any(fragment("payment.closed_cancelled") in m.plain_text() for m in joko.messages if m.from_bot)
    assert User.get_by_id(joko.id).account_balance == 0, "the goods, not a credit"
    card = open_product(kiki, product.name)
    assert says("shop.card_sold_out") in card.plain_text(), "nobody else got Joko's line"


def test_a_customer_holds_at_most_two_unpaid_qris_orders_and_is_shown_them(shop, telegram, pakasir):
    product = shop.add_product(lines=LINES)
    lina = telegram.user(8622, "Lina")
    start(lina)
    first, second = pay_by_qris(lina, product.name), pay_by_qris(lina, product.name)
    summary = choose_payment(lina, open_product(lina, product.name))
    lina.press(summary, button("btn.pay_qris"))
    shown = lina.wait_for_message(contains=says("checkout.too_many_pending", count=2))
    assert invoice_of(first) in " ".join(shown.button_texts())
    assert invoice_of(second) in " ".join(shown.button_texts())
    assert Order.select().count() == 2
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 1


def test_a_qris_total_below_pakasirs_minimum_is_refused_with_a_clear_message(make_shop, telegram, pakasir):
    shop = make_shop(overrides={"pakasir": {"fee_percent_bp": 0, "fee_flat": 0}})
    product = shop.add_product(lines=LINES[:1], price=1_000, reseller_price=1_000)
    Product.update(customer_price=300, reseller_price=300).where(Product.id == product.id).execute()
    mira = telegram.user(8623, "Mira")
    start(mira)
    summary = choose_payment(mira, open_product(mira, product.name))
    mira.press(summary, button("btn.pay_qris"))
    mira.wait_for_message(contains=says("checkout.below_minimum", amount=300, minimum=500))
    assert Order.select().count() == 0 and len(pakasir.requests_for("create")) == 0


@pytest.mark.parametrize("price", ["300", "499"])
def test_addproduct_refuses_a_price_below_pakasirs_minimum(shop, telegram, price):
    admin = start_admin(telegram)
    ask(admin, f"/addproduct Voucher Mini | Game | {price} | {price}",
        reason("admin.reason.price_below_minimum", minimum=500))
    assert Product.select().count() == 0

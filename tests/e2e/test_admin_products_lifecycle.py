"""Admins delete products (after a confirmation, never while an order waits), rename categories and set the
order products are listed in — and customers see it at once."""
from __future__ import annotations

from quickcart.models import AVAILABLE, REMOVED, SOLD, AuditLog, Order, Product, StockLine
from tests.admin_words import pattern, reason, says, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, start_admin
from tests.e2e.journey import invoice_of, is_listing, pay_by_qris, start
from tests.words import button
from tests.words import says as customer_says


def catalogue_rows() -> dict[str, list[tuple]]:
    """What a deletion would change (the orders' rows move on their own: the payment poll stamps them)."""
    return {table: rows for table, rows in db_snapshot().items() if table in ("product", "stock_line", "audit_log")}


def delete_question(admin, product, available: int, sold: int):
    return ask(admin, f"/delproduct {product.id}", says("admin.product.delete_question", id=product.id,
                                                         name=product.name, available=available, sold=sold))


def test_delproduct_with_a_pending_order_is_refused_and_says_how_many(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["a@mail.test:1", "b@mail.test:2", "c@mail.test:3"])
    other = shop.add_product(name="Spotify", lines=["s@mail.test:1"])
    for user_id, name in ((7201, "Budi"), (7202, "Cici")):
        customer = telegram.user(user_id, name)
        start(customer)
        pay_by_qris(customer, product.name)
    before = catalogue_rows()
    answer = ask(admin, f"/delproduct {product.id}", reason("admin.reason.pending_orders", id=product.id, count=2))
    assert usage_of("delproduct") in answer.plain_text() and not answer.button_texts()
    assert catalogue_rows() == before

    # Asked while nothing waited, confirmed after an order came in: still refused, nothing changed.
    question = delete_question(admin, other, available=1, sold=0)
    late = telegram.user(7203, "Dewi")
    start(late)
    pay_by_qris(late, other.name)
    before = catalogue_rows()
    admin.press(question, button("btn.confirm_delete"))
    admin.wait_for_message(contains=reason("admin.reason.pending_orders", id=other.id, count=1))
    assert catalogue_rows() == before


def test_a_deleted_product_is_gone_for_customers_but_its_orders_and_sold_lines_stay(shop, telegram, pakasir):
    admin = start_admin(telegram)
    product = shop.add_product(lines=["sold@mail.test:pw", "left1@mail.test:pw", "left2@mail.test:pw"])
    shop.add_product(name="Spotify", category="Musik", lines=["s@mail.test:1"])
    buyer = telegram.user(7204, "Eko")
    start(buyer)
    invoice = invoice_of(pay_by_qris(buyer, product.name))
    pakasir.complete(invoice)
    buyer.wait_for_message(contains=customer_says("delivery.title"))

    question = delete_question(admin, product, available=2, sold=1)
    admin.press(question, button("btn.confirm_delete"))
    done = admin.wait_for_message(contains=says("admin.product.deleted", id=product.id, name=product.name, removed=2))
    assert done.message_id == question.message_id and not done.button_texts()
    deleted = Product.get_by_id(product.id)
    assert deleted.is_deleted and not deleted.is_active and deleted.stock_count == 0
    assert [line.state for line in StockLine.select().where(StockLine.product == product.id)
            .order_by(StockLine.id)] == [SOLD, REMOVED, REMOVED]
    assert [e.action for e in AuditLog.select().where(AuditLog.actor_id == admin.id).order_by(AuditLog.id)][-2:] == [
        "product.delete", "stock.clear"]

    buyer.tap_keyboard(button("menu.products"))
    listing = buyer.wait_for_message(lambda m: is_listing(m, "Musik"))
    assert not any(product.name in label for label in listing.button_texts())
    stale = buyer.press_callback_data(listing, f"v1:prod:{product.id}:1")
    assert buyer.wait_for_answer(stale).text == button("shop.unavailable")

    detail = ask(admin, f"/order {invoice}", pattern("admin.order.title"))
    assert says("admin.order.item", name=product.name, id=product.id, quantity=1, price=50_000) in detail.plain_text()
    admin.wait_for_message(contains="sold@mail.test:pw", after=detail)
    assert Order.get(Order.invoice_id == invoice).status == "paid"
    listing = ask(admin, "/products", pattern("admin.product.list_title")).plain_text()
    assert f"#{product.id} " not in listing
    assert reason("admin.reason.product_deleted", id=product.id) in ask(
        admin, f"/enable {product.id}", reason("admin.reason.product_deleted", id=product.id)).plain_text()


def test_renamecat_moves_every_product_and_customers_see_the_new_name(shop, telegram):
    admin = start_admin(telegram)
    netflix = shop.add_product(name="Netflix", category="Streaming", lines=["n@mail.test:1"])
    spotify = shop.add_product(name="Spotify", category="streaming", lines=["s@mail.test:1"])
    shop.add_product(name="Canva", category="Desain", lines=["c@mail.test:1"])
    ask(admin, "/renamecat Streaming | Film & Musik", says("admin.product.category_renamed", old="Streaming",
                                                            new="Film & Musik", count=2))
    assert {Product.get_by_id(p.id).category for p in (netflix, spotify)} == {"Film & Musik"}
    customer = telegram.user(7205, "Fajar")
    start(customer)
    customer.tap_keyboard(button("menu.products"))
    categories = customer.wait_for_message(contains=customer_says("shop.categories"))
    assert button("btn.category", name="Film & Musik", products=2) in categories.button_texts()
    assert ask(admin, "/renamecat Tidak Ada | Baru", reason("admin.reason.no_such_category", category="Tidak Ada"))


def test_the_sort_order_sets_where_a_product_is_listed_then_its_name(shop, telegram):
    admin = start_admin(telegram)
    names = ["Apple TV", "Disney", "Netflix", "Zee5"]
    products = {name: shop.add_product(name=name, lines=[f"{name}@mail.test:1"]) for name in names}
    ask(admin, f"/editproduct {products['Zee5'].id} sort=1", pattern("admin.product.edited"))
    ask(admin, f"/editproduct {products['Disney'].id} urutan=2", pattern("admin.product.edited"))
    assert Product.get_by_id(products["Zee5"].id).sort_order == 1
    customer = telegram.user(7206, "Gita")
    start(customer)
    customer.tap_keyboard(button("menu.products"))
    listing = customer.wait_for_message(lambda m: is_listing(m, "Streaming"))
    shown = [label.split(" — ")[0] for label in listing.button_texts()]
    assert shown == ["Apple TV", "Netflix", "Zee5", "Disney"]
    assert reason("admin.reason.not_a_number", what="urutan", typed="awal") in ask(
        admin, f"/editproduct {products['Zee5'].id} sort=awal", usage_of("editproduct")).plain_text()
    assert StockLine.select().where(StockLine.state == AVAILABLE).count() == 4

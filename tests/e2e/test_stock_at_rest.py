"""Stock lines at rest: copies of the database reveal none of them, and a new key keeps the shop selling."""
from __future__ import annotations

import subprocess
import sys

from quickcart import stock_key
from quickcart.db import close_database, open_database
from quickcart.models import PAID, SOLD, Order, StockLine
from quickcart.sandbox.launcher import ENTRY_POINT
from tests.admin_words import pattern as admin_pattern
from tests.e2e.admin_helpers import ask, start_admin
from tests.e2e.journey import invoice_of, pay_by_qris, start
from tests.words import button, says

SEEDED = [f"email:netflix{i}@mail.test password:Rahasia-{i:04d}-nf" for i in range(6)]
IMPORTED = [f"SPOTIFY-FAMILY-{i:04d} login:sp{i}@mail.test pw:Sp-{i * 7919 % 10000:04d}" for i in range(8)]


def buy(customer, pakasir, product_name: str, quantity: int) -> tuple[str, str]:
    """A purchase paid by QRIS; returns the invoice and the goods message."""
    invoice = invoice_of(pay_by_qris(customer, product_name, quantity=quantity))
    pakasir.complete(invoice)
    goods = customer.wait_for_message(lambda m: says("delivery.title") in m.plain_text() and invoice in m.plain_text())
    return invoice, goods.plain_text()


def sold_lines_in_message(text: str) -> list[str]:
    return [line for line in SEEDED + IMPORTED if line in text]


def test_a_copy_of_the_database_and_a_backup_hold_no_stock_line_in_clear_text(shop, telegram, pakasir, tmp_path):
    product = shop.add_product(lines=SEEDED)
    admin = start_admin(telegram)
    spotify = shop.add_product(name="Spotify Family", category="Streaming", price=25_000, reseller_price=24_000)
    imported = ask(admin, f"/addstock {spotify.id}\n" + "\n".join(IMPORTED), admin_pattern("admin.stock.imported"))
    assert admin_pattern("admin.stock.imported").search(imported.plain_text())["added"] == "8"
    alice = telegram.user(7001, "Alice")
    start(alice)
    _, goods = buy(alice, pakasir, product.name, 2)
    assert sold_lines_in_message(goods) == SEEDED[:2]  # sealed lines still reach the customer

    admin.send_text("/backup")
    backup = admin.wait_for_message(lambda m: m.kind == "document", timeout=20).document
    copies = {"database": b"".join(path.read_bytes() for path in shop.db_path.parent.glob("quickcart.db*")),
              "/backup": backup}
    key_text = shop.db_path.with_name("quickcart.key").read_text().strip()
    assert StockLine.select().count() == len(SEEDED) + len(IMPORTED)
    for name, copy in copies.items():
        assert [line for line in SEEDED + IMPORTED if line.encode() in copy] == [], f"clear text in the {name}"
        assert key_text.encode() not in copy, f"the key is in the {name}"


def test_delivery_works_after_the_key_is_rotated(make_shop, telegram, pakasir):
    shop = make_shop(admin_ids=())
    product = shop.add_product(lines=SEEDED)
    alice = telegram.user(7001, "Alice")
    start(alice)
    first_invoice, first_goods = buy(alice, pakasir, product.name, 2)
    assert sold_lines_in_message(first_goods) == SEEDED[:2]
    old_id = stock_key.current().id

    assert shop.stop() == 0
    result = subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path), "rotate-key"],
                            capture_output=True, text=True, timeout=60, cwd=shop.workdir)
    assert result.returncode == 0, result.stderr
    assert f"{len(SEEDED)} stock lines resealed" in result.stdout
    close_database()  # this process reads the database with the new key from here on
    open_database(shop.db_path)
    new_id = stock_key.unlock_beside(shop.db_path).id
    assert new_id != old_id and shop.db_path.with_name(f"quickcart.key.{old_id}.old").is_file()
    assert all(stock_key.current().opens(bytes(line.sealed)) for line in StockLine.select())

    shop.start()
    bob = telegram.user(7002, "Bob")
    start(bob)
    second_invoice, second_goods = buy(bob, pakasir, product.name, 3)
    assert sold_lines_in_message(second_goods) == SEEDED[2:5]
    assert Order.select().where(Order.status == PAID).count() == 2
    assert StockLine.select().where(StockLine.state == SOLD).count() == 5
    # The lines sold before the rotation can still be shown again, with the new key.
    alice.tap_keyboard(button("menu.history"))
    listing = alice.wait_for_message(contains=says("history.title"))
    alice.press(listing, listing.button_texts()[0])
    detail = alice.wait_for_message(contains=says("history.order_status", status=button("status.paid")))
    assert first_invoice in detail.plain_text()
    alice.press(detail, button("btn.show_goods"))
    again = alice.wait_for_message(contains=SEEDED[0])
    assert sold_lines_in_message(again.plain_text()) == SEEDED[:2]
    assert second_invoice != first_invoice

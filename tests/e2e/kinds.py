"""Products of each kind for the end-to-end tests, set up as an admin would (through the catalogue)."""
from __future__ import annotations

from quickcart import buyer_fields, catalogue
from quickcart.models import Product
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.journey import choose_payment, open_product
from tests.words import button


def pay_by_qris_in(user, product_name: str, category: str):
    """Browse to a product of ``category``, Beli, QRIS: the QR photo."""
    choice = choose_payment(user, open_product(user, product_name, category=category))
    user.press(choice, button("btn.pay_qris"))
    return user.wait_for_message(lambda m: m.kind == "photo")


def unlimited(shop, name: str, category: str, price: int, content: str | None = None,
              file_id: str | None = None, max_quantity: int = 1) -> Product:
    product = shop.add_product(name=name, category=category, price=max(price, 1_000),
                               reseller_price=max(price, 1_000))
    catalogue.edit_product(ADMIN_ID, product.id, {"kind": "unlimited", "customer_price": price,
                                                  "reseller_price": price, "max_quantity": max_quantity})
    if content:
        catalogue.set_content(ADMIN_ID, product.id, content)
    if file_id:
        catalogue.set_file(ADMIN_ID, product.id, file_id, "file")
    return Product.get_by_id(product.id)


def manual(shop, name: str, category: str, price: int, fields: str | None = None) -> Product:
    product = shop.add_product(name=name, category=category, price=price, reseller_price=price)
    catalogue.edit_product(ADMIN_ID, product.id, {"kind": "manual"})
    if fields:
        catalogue.set_fields(ADMIN_ID, product.id, buyer_fields.dump(buyer_fields.parse_spec(fields)))
    return Product.get_by_id(product.id)


def with_warranty(product: Product, days: int) -> Product:
    catalogue.edit_product(ADMIN_ID, product.id, {"warranty_days": days})
    return Product.get_by_id(product.id)

"""The catalogue: categories, products, pages, and the admin's product edits.

Customers see active products only, grouped by category; a category with no
active product is hidden. A product that is out of stock is still listed
(marked "habis") so customers know it exists, but cannot be bought.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from peewee import fn

from quickcart import audit
from quickcart.db import immediate
from quickcart.models import Product
from quickcart.timeutil import utcnow

PRODUCTS_PER_PAGE = 8
CATEGORIES_PER_PAGE = 10


@dataclass(frozen=True)
class Category:
    name: str
    key: str  # short stable id for button data
    products: int


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int


def category_key(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def categories() -> list[Category]:
    rows = (Product.select(Product.category, fn.COUNT(Product.id))
            .where(Product.is_active).group_by(Product.category)
            .order_by(fn.LOWER(Product.category)).tuples())
    return [Category(name=name, key=category_key(name), products=count) for name, count in rows]


def category_by_key(key: str) -> Category | None:
    return next((category for category in categories() if category.key == key), None)


def paginate(items: list, page: int, per_page: int) -> Page:
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(page, 0), pages - 1)
    return Page(items=items[page * per_page:(page + 1) * per_page], page=page, pages=pages)


def products_page(category: str, page: int, per_page: int = PRODUCTS_PER_PAGE) -> Page:
    total = Product.select().where(Product.is_active & (Product.category == category)).count()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    items = list(Product.select().where(Product.is_active & (Product.category == category))
                 .order_by(Product.stock_count == 0, fn.LOWER(Product.name), Product.id)
                 .limit(per_page).offset(page * per_page))
    return Page(items=items, page=page, pages=pages)


def active_product(product_id: int) -> Product | None:
    return Product.get_or_none((Product.id == product_id) & Product.is_active)


def max_quantity(product: Product, shop_max: int) -> int:
    """The most a customer may put in one order right now (0 = cannot buy)."""
    return min(product.stock_count, shop_max)


# --- admin ------------------------------------------------------------------

EDITABLE_FIELDS = ("name", "category", "customer_price", "reseller_price", "description")


class ProductError(ValueError):
    """A product edit that breaks a rule: ``key`` (in the catalogue) says which, ``values`` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


MAX_NAME = 100
MAX_CATEGORY = 60


def _validate(name: str, category: str, customer_price: int, reseller_price: int, minimum_price: int) -> None:
    if not name or len(name) > MAX_NAME:
        raise ProductError("admin.reason.name_required", limit=MAX_NAME)
    if not category or len(category) > MAX_CATEGORY:
        raise ProductError("admin.reason.category_required", limit=MAX_CATEGORY)
    if customer_price <= 0 or reseller_price <= 0:
        raise ProductError("admin.reason.price_not_positive")
    if min(customer_price, reseller_price) < minimum_price:
        raise ProductError("admin.reason.price_below_minimum", minimum=minimum_price)
    if reseller_price > customer_price:
        raise ProductError("admin.reason.reseller_above_customer")


def _snapshot(product: Product) -> dict:
    return {field: getattr(product, field) for field in EDITABLE_FIELDS + ("is_active",)}


def add_product(admin_id: int, name: str, category: str, customer_price: int, reseller_price: int,
                description: str = "", minimum_price: int = 1) -> Product:
    """A new product; prices below ``minimum_price`` (the gateway's smallest QRIS amount) are refused."""
    _validate(name, category, customer_price, reseller_price, minimum_price)
    with immediate():
        if Product.select().where(fn.LOWER(Product.name) == name.lower()).exists():
            raise ProductError("admin.reason.name_taken", name=name)
        product = Product.create(name=name, category=category, customer_price=customer_price,
                                 reseller_price=reseller_price, description=description)
        audit.record("product.add", actor_id=admin_id, subject=f"product:{product.id}",
                     after=_snapshot(product))
    return product


def edit_product(admin_id: int, product_id: int, changes: dict, minimum_price: int = 1) -> Product:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProductError("admin.reason.unknown_fields", fields=", ".join(sorted(unknown)))
    with immediate():
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise ProductError("admin.reason.product_missing", id=product_id)
        before = _snapshot(product)
        merged = {**before, **changes}
        _validate(merged["name"], merged["category"], merged["customer_price"], merged["reseller_price"],
                  minimum_price)
        if "name" in changes and Product.select().where(
                (fn.LOWER(Product.name) == changes["name"].lower()) & (Product.id != product_id)).exists():
            raise ProductError("admin.reason.name_taken", name=changes["name"])
        Product.update(**changes, updated_at=utcnow()).where(Product.id == product_id).execute()
        product = Product.get_by_id(product_id)
        audit.record("product.edit", actor_id=admin_id, subject=f"product:{product_id}",
                     before=before, after=_snapshot(product))
    return product


def set_active(admin_id: int, product_id: int, active: bool) -> Product:
    with immediate():
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise ProductError("admin.reason.product_missing", id=product_id)
        before = _snapshot(product)
        Product.update(is_active=active, updated_at=utcnow()).where(Product.id == product_id).execute()
        product = Product.get_by_id(product_id)
        audit.record("product.enable" if active else "product.disable", actor_id=admin_id,
                     subject=f"product:{product_id}", before=before, after=_snapshot(product))
    return product


def get(product_id: int) -> Product | None:
    """A product by id, active or not (for admins)."""
    return Product.get_or_none(Product.id == product_id)


def all_products() -> list[Product]:
    return list(Product.select().order_by(Product.id))

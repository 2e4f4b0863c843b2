"""The catalogue: categories, products, pages, and the admin's product edits.

Customers see active products only, grouped by category and listed by the
seller's sort order, then by name; a category with no active product is
hidden. A product that is out of stock is still listed (marked "habis") so
customers know it exists, but cannot be bought. A product's English name,
description and terms, and a category's name
(:class:`~quickcart.models.CategoryName`), are shown to English readers when
the admin gave them.

Descriptions and terms are formatted text (:mod:`quickcart.richtext`),
checked when saved. A deleted product is hidden for good (and from the
admin's list), its available lines removed; its orders, history and sold
lines stay, so every order still shows what was bought.

A product is of one kind (``models.PRODUCT_KINDS``): ``stock`` sells unique
lines and runs out; ``unlimited`` gives every buyer the same content (a text
and/or a file) and never runs out, and may be free (price 0, the only kind
that may); ``manual`` asks the buyer for fields and is fulfilled by an admin.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from peewee import JOIN, fn

from quickcart import audit, richtext, stock
from quickcart.db import immediate
from quickcart.models import (
    MANUAL_KIND,
    PENDING,
    PRODUCT_KINDS,
    STOCK,
    UNLIMITED,
    CategoryName,
    Order,
    OrderItem,
    Product,
)
from quickcart.richtext import FormatError
from quickcart.timeutil import utcnow

PRODUCTS_PER_PAGE = 8
CATEGORIES_PER_PAGE = 10


@dataclass(frozen=True)
class Category:
    name: str
    key: str  # short stable id for button data
    products: int
    name_en: str = ""  # what English readers see; empty: the name


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    pages: int


def category_key(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def categories() -> list[Category]:
    rows = (Product.select(Product.category, fn.COUNT(Product.id), CategoryName.name_en)
            .join(CategoryName, JOIN.LEFT_OUTER, on=(CategoryName.category == Product.category))
            .where(Product.is_active).group_by(Product.category)
            .order_by(fn.LOWER(Product.category)).tuples())
    return [Category(name=name, key=category_key(name), products=count, name_en=name_en or "")
            for name, count, name_en in rows]


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
                 .order_by(Product.sort_order, fn.LOWER(Product.name), Product.id)
                 .limit(per_page).offset(page * per_page))
    return Page(items=items, page=page, pages=pages)


def active_product(product_id: int) -> Product | None:
    return Product.get_or_none((Product.id == product_id) & Product.is_active)


def has_goods(product: Product) -> bool:
    """Whether there is something to give a buyer: stock lines, the content of an unlimited product."""
    if product.kind == STOCK:
        return product.stock_count > 0
    if product.kind == UNLIMITED:
        return bool(product.content or product.file_id)
    return True  # manual: an admin makes the goods


def is_sold_out(product: Product) -> bool:
    """A stock product with no line left (the one kind a customer can ask to be told about)."""
    return product.kind == STOCK and product.stock_count == 0


def is_free_for(product: Product, price: int) -> bool:
    return product.kind == UNLIMITED and price == 0


def max_quantity(product: Product, shop_max: int) -> int:
    """The most a customer may put in one order right now (0 = cannot buy)."""
    if not has_goods(product):
        return 0
    if product.kind == STOCK:
        return min(product.stock_count, shop_max)
    return max(1, min(product.max_quantity, shop_max))


# --- admin ------------------------------------------------------------------

EDITABLE_FIELDS = ("name", "category", "customer_price", "reseller_price", "description", "sort_order", "terms",
                   "name_en", "description_en", "terms_en", "kind", "warranty_days", "max_quantity")
MAX_WARRANTY_DAYS = 365
MAX_PER_ORDER = 100
MAX_CONTENT = 3000  # delivered inside one message with the order's summary


class ProductError(ValueError):
    """A product edit that breaks a rule: ``key`` (in the catalogue) says which, ``values`` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


MAX_NAME = 100
MAX_CATEGORY = 60
# As shown (richtext units). A text card holds name, description, terms and ~300 more: under Telegram's 4096.
MAX_DESCRIPTION = 2000
MAX_TERMS = 1500
MAX_SORT = 9999


def clean_description(text: str) -> str:
    """A description as stored, or :class:`ProductError` saying what Telegram (or the subset) would refuse."""
    try:
        return richtext.clean(text, MAX_DESCRIPTION)
    except FormatError as exc:
        raise ProductError("admin.reason.description_format", problem=exc) from None


def clean_terms(text: str) -> str:
    try:
        return richtext.clean(text, MAX_TERMS)
    except FormatError as exc:
        raise ProductError("admin.reason.terms_format", problem=exc) from None


def _validate(name: str, category: str, customer_price: int, reseller_price: int, minimum_price: int,
              name_en: str = "", kind: str = STOCK, warranty_days: int = 0, per_order: int = 1) -> None:
    if not name or len(name) > MAX_NAME:
        raise ProductError("admin.reason.name_required", limit=MAX_NAME)
    if len(name_en) > MAX_NAME or "\n" in name_en:
        raise ProductError("admin.reason.name_en_too_long", limit=MAX_NAME)
    if not category or len(category) > MAX_CATEGORY:
        raise ProductError("admin.reason.category_required", limit=MAX_CATEGORY)
    if kind not in PRODUCT_KINDS:
        raise ProductError("admin.reason.kind", kinds=", ".join(PRODUCT_KINDS))
    if customer_price < 0 or reseller_price < 0:
        raise ProductError("admin.reason.price_not_positive")
    if 0 in (customer_price, reseller_price) and kind != UNLIMITED:
        raise ProductError("admin.reason.free_only_unlimited")
    charged = [price for price in (customer_price, reseller_price) if price > 0]
    if charged and min(charged) < minimum_price:
        raise ProductError("admin.reason.price_below_minimum", minimum=minimum_price)
    if reseller_price > customer_price:
        raise ProductError("admin.reason.reseller_above_customer")
    if not 0 <= warranty_days <= MAX_WARRANTY_DAYS:
        raise ProductError("admin.reason.warranty_days", limit=MAX_WARRANTY_DAYS)
    if not 1 <= per_order <= MAX_PER_ORDER:
        raise ProductError("admin.reason.max_quantity", limit=MAX_PER_ORDER)


def _snapshot(product: Product) -> dict:
    return {field: getattr(product, field) for field in EDITABLE_FIELDS + ("is_active", "photo_file_id", "deleted_at")}


def _name_taken(name: str, other_than: int | None = None) -> bool:
    """Another product, not deleted, already has this name (any case)."""
    query = Product.select().where((fn.LOWER(Product.name) == name.lower()) & Product.deleted_at.is_null())
    if other_than is not None:
        query = query.where(Product.id != other_than)
    return query.exists()


def live(product_id: int) -> Product:
    """The product an admin change is about; deleted or missing is a :class:`ProductError`."""
    product = Product.get_or_none(Product.id == product_id)
    if product is None:
        raise ProductError("admin.reason.product_missing", id=product_id)
    if product.is_deleted:
        raise ProductError("admin.reason.product_deleted", id=product_id)
    return product


def add_product(admin_id: int, name: str, category: str, customer_price: int, reseller_price: int,
                description: str = "", minimum_price: int = 1) -> Product:
    """A new product; prices below ``minimum_price`` (the gateway's smallest QRIS amount) are refused."""
    _validate(name, category, customer_price, reseller_price, minimum_price)
    description = clean_description(description)
    with immediate():
        if _name_taken(name):
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
    changes = dict(changes)
    for field in ("description", "description_en"):
        if field in changes:
            changes[field] = clean_description(changes[field])
    for field in ("terms", "terms_en"):
        if field in changes:
            changes[field] = clean_terms(changes[field])
    if not 0 <= changes.get("sort_order", 0) <= MAX_SORT:
        raise ProductError("admin.reason.sort_range", maximum=MAX_SORT)
    with immediate():
        product = live(product_id)
        before = _snapshot(product)
        merged = {**before, **changes}
        _validate(merged["name"], merged["category"], merged["customer_price"], merged["reseller_price"],
                  minimum_price, merged["name_en"], merged["kind"], merged["warranty_days"], merged["max_quantity"])
        if "name" in changes and _name_taken(changes["name"], other_than=product_id):
            raise ProductError("admin.reason.name_taken", name=changes["name"])
        Product.update(**changes, updated_at=utcnow()).where(Product.id == product_id).execute()
        product = Product.get_by_id(product_id)
        audit.record("product.edit", actor_id=admin_id, subject=f"product:{product_id}",
                     before=before, after=_snapshot(product))
    return product


def set_active(admin_id: int, product_id: int, active: bool) -> Product:
    return _change(admin_id, product_id, "product.enable" if active else "product.disable", is_active=active)


def name_category(admin_id: int, category: str, name_en: str) -> str:
    """Give a category its English name (empty: none); returns the category as products carry it.

    Categories are the names products carry, so the name is kept by that name
    (``/renamecat`` carries it over; a category changed product by product does not).
    """
    name_en = name_en.strip()
    if len(name_en) > MAX_CATEGORY or "\n" in name_en:
        raise ProductError("admin.reason.category_en_too_long", limit=MAX_CATEGORY)
    with immediate():
        found = (Product.select(Product.category).where((fn.LOWER(Product.category) == category.strip().lower())
                                                        & Product.deleted_at.is_null())
                 .order_by(Product.id).scalar())
        if found is None:
            raise ProductError("admin.reason.no_such_category", category=category.strip())
        before = CategoryName.get_or_none(CategoryName.category == found)
        if name_en:
            CategoryName.insert(category=found, name_en=name_en, updated_at=utcnow()).on_conflict(
                conflict_target=[CategoryName.category],
                update={CategoryName.name_en: name_en, CategoryName.updated_at: utcnow()}).execute()
        else:
            CategoryName.delete().where(CategoryName.category == found).execute()
        audit.record("category.edit", actor_id=admin_id, subject=f"category:{found}"[:64],
                     before={"name_en": before.name_en if before else ""}, after={"name_en": name_en})
    return found


def _carry_category_name(old: str, new: str) -> None:
    """A renamed category keeps its English name, unless the one it joins has its own (inside a transaction)."""
    found = (CategoryName.select().where(fn.LOWER(CategoryName.category) == old.lower())
             .order_by(CategoryName.category).first())
    if found is None or found.category == new:
        return
    if CategoryName.get_or_none(CategoryName.category == new) is None:
        CategoryName.create(category=new, name_en=found.name_en, updated_at=utcnow())
    if not Product.select().where(Product.category == found.category).exists():
        found.delete_instance()  # nothing carries that name any more


def _edit_goods(admin_id: int, product_id: int, action: str, kind: str, changes: dict) -> Product:
    """Set what an unlimited or manual product gives (its content, file, buyer fields); audited."""
    with immediate():
        product = live(product_id)
        if product.kind != kind:
            raise ProductError("admin.reason.wrong_kind", id=product_id, kind=kind)
        before = {field: getattr(product, field) for field in changes}
        Product.update(**changes, updated_at=utcnow()).where(Product.id == product_id).execute()
        # The file id is Telegram's handle, not a secret; the content may be the goods, so only its size.
        audit.record(action, actor_id=admin_id, subject=f"product:{product_id}",
                     before={field: _audited(field, value) for field, value in before.items()},
                     after={field: _audited(field, value) for field, value in changes.items()})
    return Product.get_by_id(product_id)


def _audited(field: str, value: object) -> object:
    return len(value) if field == "content" and isinstance(value, str) else value


def set_content(admin_id: int, product_id: int, content: str | None) -> Product:
    """The text or link every buyer of an unlimited product gets (None removes it)."""
    if content is not None and not 0 < len(content) <= MAX_CONTENT:
        raise ProductError("admin.reason.content_length", limit=MAX_CONTENT)
    return _edit_goods(admin_id, product_id, "product.content", UNLIMITED, {"content": content})


def set_file(admin_id: int, product_id: int, file_id: str | None, file_name: str | None = None) -> Product:
    """The file every buyer of an unlimited product gets, by Telegram's file_id (None removes it)."""
    return _edit_goods(admin_id, product_id, "product.file", UNLIMITED,
                       {"file_id": file_id, "file_name": file_name})


def set_fields(admin_id: int, product_id: int, spec: str | None) -> Product:
    """The fields a buyer of a manual product must give (a spec made by :mod:`quickcart.buyer_fields`)."""
    return _edit_goods(admin_id, product_id, "product.fields", MANUAL_KIND, {"fields_spec": spec})


def get(product_id: int) -> Product | None:
    """A product by id, active or not (for admins)."""
    return Product.get_or_none(Product.id == product_id)


def all_products() -> list[Product]:
    """Every product an admin still keeps (deleted ones are left out)."""
    return list(Product.select().where(Product.deleted_at.is_null()).order_by(Product.id))


def set_photo(admin_id: int, product_id: int, file_id: str | None) -> Product:
    """The card's photo, by Telegram's ``file_id`` (None: no photo)."""
    return _change(admin_id, product_id, "product.photo", photo_file_id=file_id)


def _change(admin_id: int, product_id: int, action: str, **fields: object) -> Product:
    with immediate():
        before = _snapshot(live(product_id))
        Product.update(**fields, updated_at=utcnow()).where(Product.id == product_id).execute()
        product = Product.get_by_id(product_id)
        audit.record(action, actor_id=admin_id, subject=f"product:{product_id}", before=before,
                     after=_snapshot(product))
    return product


def terms_digest(product: Product) -> str:
    """Names the terms a customer accepted: changed terms (or their English) must be accepted again."""
    return hashlib.sha256(f"{product.terms}\0{product.terms_en}".encode()).hexdigest()[:16]


def pending_orders(product_id: int) -> int:
    """Unpaid orders holding this product (their lines are reserved)."""
    return (Order.select().join(OrderItem).where((OrderItem.product == product_id) & (Order.status == PENDING))
            .count())


def deletable(product_id: int) -> Product:
    """The product, if it may be deleted now: else :class:`ProductError` (missing, deleted, pending orders)."""
    product = live(product_id)
    waiting = pending_orders(product_id)
    if waiting:
        raise ProductError("admin.reason.pending_orders", id=product_id, count=waiting)
    return product


def delete_product(admin_id: int, product_id: int) -> int:
    """Hide a product for good and take its available lines off sale; returns how many lines were removed.

    Refused while an unpaid order holds it (the check and the hiding are one
    transaction: no checkout can reserve it after). Orders, their items and
    sold lines stay, so history and ``/order`` still show what was bought.
    """
    with immediate():
        before = _snapshot(deletable(product_id))
        Product.update(is_active=False, deleted_at=utcnow(), updated_at=utcnow()).where(
            Product.id == product_id).execute()
        audit.record("product.delete", actor_id=admin_id, subject=f"product:{product_id}", before=before,
                     after=_snapshot(Product.get_by_id(product_id)))
    # Hidden now, so nothing can reserve its lines while they are removed in batches.
    return stock.clear_available(product_id, admin_id, action="stock.clear")


def rename_category(admin_id: int, old: str, new: str) -> int:
    """Move every product of category ``old`` (any case) to ``new``; returns how many moved."""
    if not new or len(new) > MAX_CATEGORY:
        raise ProductError("admin.reason.category_required", limit=MAX_CATEGORY)
    with immediate():
        ids = [product_id for (product_id,) in Product.select(Product.id).where(
            fn.LOWER(Product.category) == old.lower()).tuples()]
        if not ids:
            raise ProductError("admin.reason.no_such_category", category=old)
        Product.update(category=new, updated_at=utcnow()).where(Product.id.in_(ids)).execute()
        _carry_category_name(old, new)
        audit.record("category.rename", actor_id=admin_id, subject=f"category:{new}"[:64],
                     before={"category": old, "products": ids}, after={"category": new})
    return len(ids)

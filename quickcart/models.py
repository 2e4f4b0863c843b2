"""The durable data: users, products, stock lines, orders, the balance ledger,
the audit log, and the bookkeeping that keeps Telegram updates idempotent.

Money is integer rupiah (``BigIntegerField``) everywhere. Datetimes are naive
UTC (see :mod:`quickcart.timeutil`); they are shown in Asia/Jakarta time.
The models carry data and small derived properties only; the rules about
how they change live in the domain modules (``stock``, ``orders``,
``payments``, ``balance``), each owning its transactions.
"""
from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from quickcart.db import database
from quickcart.i18n import DEFAULT_LANGUAGE
from quickcart.timeutil import utcnow

# Order.status
PENDING = "pending"
PAID = "paid"
EXPIRED = "expired"
CANCELLED = "cancelled"
ORDER_STATUSES = (PENDING, PAID, EXPIRED, CANCELLED)

# Order.kind
PURCHASE = "purchase"
TOPUP = "topup"

# Order.payment_method
QRIS = "qris"
BALANCE = "balance"

# Order.payment_method of a free item's claim: no gateway, nothing paid.
FREE = "free"

# Order.settlement: how a paid purchase was settled
DELIVERED = "delivered"  # its lines were sold to it (or, of an unlimited product, its content is its goods)
CREDITED = "credited"  # what was paid went to the balance (late payment, no stock; or an admin's decision)
MANUAL = "manual"  # an admin fulfils it: its ManualFulfilment says how far

# Product.kind (and OrderItem.kind, as it was when ordered)
STOCK = "stock"  # unique stock lines, each sold once
UNLIMITED = "unlimited"  # the same content (text and/or file) for every buyer
MANUAL_KIND = "manual"  # the buyer gives fields; an admin fulfils by hand
PRODUCT_KINDS = (STOCK, UNLIMITED, MANUAL_KIND)

# ManualFulfilment.state
WAITING = "waiting"
COMPLETED = "completed"
REJECTED = "rejected"

# WarrantyClaim.state
OPEN = "open"
REPLACED = "replaced"
REFUNDED = "refunded"
CLAIM_REJECTED = "rejected"

# StockLine.state
AVAILABLE = "available"
RESERVED = "reserved"
SOLD = "sold"
REMOVED = "removed"  # taken off sale by an admin; kept so the product never takes that text again

# User.member_status
CUSTOMER = "customer"
RESELLER = "reseller"


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    id = BigIntegerField(primary_key=True)  # the Telegram user id
    name = CharField(max_length=256, default="")
    username = CharField(max_length=64, null=True)
    email = CharField(max_length=256, null=True)
    whatsapp_number = CharField(max_length=32, null=True)
    member_status = CharField(max_length=16, default=CUSTOMER,
                              constraints=[Check("member_status IN ('customer', 'reseller')")])
    bank_seq = IntegerField(unique=True)
    bank_id = CharField(max_length=16, unique=True)  # "USR001"
    account_balance = BigIntegerField(default=0, constraints=[Check("account_balance >= 0")])
    is_banned = BooleanField(default=False)
    ban_reason = TextField(null=True)
    ban_notice_sent = BooleanField(default=False)
    blocked_bot = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # The language the shop speaks to them (a catalogue file's name: "id", "en"). Set from
    # Telegram's language_code until they choose one themselves; after that, only they change it.
    # (Last, where schema step 7 added them.)
    language = CharField(max_length=8, default=DEFAULT_LANGUAGE, constraints=[SQL(f"DEFAULT '{DEFAULT_LANGUAGE}'")])
    language_chosen = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])
    # Who brought them (quickcart.referrals): set once, from a referral link, never changed. (Schema step 10.)
    referred_by = ForeignKeyField("self", null=True, backref="referrals", on_delete="RESTRICT")
    referred_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("username",), False), (("created_at",), False))

    @property
    def is_reseller(self) -> bool:
        return self.member_status == RESELLER


class Product(BaseModel):
    id = AutoField()
    name = CharField(max_length=100)
    description = TextField(default="")  # formatted: quickcart.richtext's subset of Telegram HTML
    category = CharField(max_length=60)
    # 0 only for an unlimited product (a free item): catalogue._validate keeps that rule.
    customer_price = BigIntegerField(constraints=[Check("customer_price >= 0")])
    reseller_price = BigIntegerField(constraints=[Check("reseller_price >= 0"),
                                                  Check("reseller_price <= customer_price")])
    sold_count = IntegerField(default=0, constraints=[Check("sold_count >= 0")])
    # Available lines, kept equal to COUNT(stock lines in state 'available')
    # by every transaction that moves a line; stock.verify_counts checks it.
    stock_count = IntegerField(default=0, constraints=[Check("stock_count >= 0")])
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # (Last, where schema step 6 added them; SQL defaults so that rows written by plain SQL get them too.)
    photo_file_id = TextField(null=True)  # Telegram's file_id of the card's photo
    sort_order = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])  # lower first within its category
    terms = TextField(default="", constraints=[SQL("DEFAULT ''")])  # SNK, accepted before payment when set
    # Deleted by an admin: hidden for good, its history and sold lines kept for orders.
    deleted_at = DateTimeField(null=True)
    # What English readers see instead of name, description and terms; empty: those. (Schema step 7.)
    name_en = CharField(max_length=100, default="", constraints=[SQL("DEFAULT ''")])
    description_en = TextField(default="", constraints=[SQL("DEFAULT ''")])  # formatted, like description
    terms_en = TextField(default="", constraints=[SQL("DEFAULT ''")])
    # (Last, where schema step 9 added them, with SQL defaults like those above.)
    kind = CharField(max_length=16, default=STOCK,  # one of PRODUCT_KINDS; not a CHECK, to add kinds freely
                     constraints=[SQL("DEFAULT 'stock'")])
    content = TextField(null=True)  # unlimited: the text or link every buyer gets
    file_id = CharField(max_length=256, null=True)  # unlimited: a file Telegram holds, sent by its file_id
    file_name = CharField(max_length=256, null=True)
    fields_spec = TextField(null=True)  # manual: JSON [{"label", "pattern"}] the buyer fills in (buyer_fields)
    # stock: days after payment a sold line may be claimed
    warranty_days = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    # unlimited and manual: most units in one order
    max_quantity = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])

    class Meta:
        indexes = (
            (("category", "is_active"), False),
        )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def price_for(self, user: User) -> int:
        return self.reseller_price if user.is_reseller else self.customer_price

    @property
    def is_stock(self) -> bool:
        return self.kind == STOCK


# Promo.kind
PERCENT = "percent"
FIXED = "fixed"


class Promo(BaseModel):
    """A voucher code (:mod:`quickcart.promotions`): what it takes off, and when and for whom.

    ``held`` and ``used`` count its orders: pending ones, and paid ones that
    were delivered and not refunded. They move in the transactions that move
    those orders; ``checks.data_findings`` recounts them.
    """
    id = AutoField()
    code = CharField(max_length=32, unique=True)  # upper case; customers type it in any case
    kind = CharField(max_length=8)  # percent | fixed
    value = BigIntegerField()  # percent 1..100, or rupiah
    min_spend = BigIntegerField(default=0)  # on the subtotal before the discount
    max_discount = BigIntegerField(null=True)
    product = ForeignKeyField(Product, null=True, backref="promos", on_delete="RESTRICT")
    category = CharField(max_length=60, null=True)
    quota = IntegerField(null=True)  # uses in all; none: no limit
    per_user = IntegerField(null=True)
    starts_at = DateTimeField(null=True)
    ends_at = DateTimeField(null=True)  # the first moment it no longer applies
    resellers = BooleanField(default=True)  # whether resellers may use it
    is_active = BooleanField(default=True)
    held = IntegerField(default=0, constraints=[Check("held >= 0")])
    used = IntegerField(default=0, constraints=[Check("used >= 0")])
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def taken(self) -> int:
        """Uses that count against the quota: held by unpaid orders, or paid."""
        return self.held + self.used


class Order(BaseModel):
    id = AutoField()
    invoice_id = CharField(max_length=32, unique=True)
    user = ForeignKeyField(User, backref="orders", on_delete="RESTRICT")
    kind = CharField(max_length=16, constraints=[Check("kind IN ('purchase', 'topup')")])
    # What the goods cost the buyer: their items' prices less the promo code's discount, if any (0: a free item).
    subtotal = BigIntegerField(constraints=[Check("subtotal >= 0")])
    fee = BigIntegerField(default=0, constraints=[Check("fee >= 0")])
    # What we asked Pakasir for (subtotal + fee); webhooks and
    # transactiondetail carry this, and it is what they are matched against.
    gateway_amount = BigIntegerField(default=0)
    # What the customer is charged: Pakasir's total_payment for QRIS, the
    # subtotal when paid from the balance.
    total_bill = BigIntegerField(constraints=[Check("total_bill >= 0")])
    # qris, balance or free; not a CHECK, so that a gateway offering other methods needs no table rebuild.
    payment_method = CharField(max_length=16)
    gateway = CharField(max_length=32, null=True)  # the gateway holding its transaction ("pakasir")
    status = CharField(max_length=16, default=PENDING,
                       constraints=[Check("status IN ('pending', 'paid', 'expired', 'cancelled')")])
    payment_number = TextField(null=True)  # the QRIS string the QR encodes
    gateway_fee = BigIntegerField(null=True)  # the fee the gateway reported for its transaction
    checkout_token = CharField(max_length=32, null=True, unique=True)
    chat_id = BigIntegerField()
    qr_message_id = IntegerField(null=True)
    expires_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    paid_late = BooleanField(default=False)  # paid after it had expired or been cancelled
    # How a late purchase was settled: delivered from stock or credited.
    settlement = CharField(max_length=16, null=True)
    closed_at = DateTimeField(null=True)  # when it expired or was cancelled
    last_checked_at = DateTimeField(null=True)
    # Delivery of the success message is at-least-once after the paid commit:
    # claimed before sending, stamped after; a job re-sends stale claims.
    delivery_claimed_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    delivery_attempts = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # A payment the gateway reported for another account, order id or amount:
    # never delivered automatically; admins decide (deliver, credit, close).
    # (Last, where schema step 3 added them.)
    mismatch = TextField(null=True)
    mismatch_resolution = CharField(max_length=16, null=True)
    # The promo code it was bought with, and what that took off its items' prices: kept as it was
    # shown, whatever becomes of the code. (Last, where schema step 10 added them.)
    promo = ForeignKeyField(Promo, null=True, backref="orders", on_delete="RESTRICT")
    discount = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        indexes = (
            (("user", "created_at"), False),
            (("status", "expires_at"), False),
            (("status", "paid_at"), False),
            # What the background jobs look for. Without these, the redelivery
            # job (every 30 s) reads every paid order, 0.6 s at 450,000, and
            # the late-payment poll (every 10 s) every expired or cancelled one.
            (("status", "delivered_at"), False),
            (("status", "closed_at"), False),
            # Figures and exports by period (schema step 8); covering for /stats' conversion.
            (("created_at", "kind", "status"), False),
        )

    @property
    def is_purchase(self) -> bool:
        return self.kind == PURCHASE

    @property
    def is_credited(self) -> bool:
        return self.settlement == CREDITED

    @property
    def is_manual(self) -> bool:
        return self.settlement == MANUAL

    @property
    def charged_fee(self) -> int:
        """What the customer pays beyond the goods: our fee, or Pakasir's when its project charges it."""
        return self.total_bill - self.subtotal

    @property
    def is_topup(self) -> bool:
        return self.kind == TOPUP


class OrderItem(BaseModel):
    id = AutoField()
    order = ForeignKeyField(Order, backref="items", on_delete="CASCADE")
    product = ForeignKeyField(Product, backref="order_items", on_delete="RESTRICT")
    product_name = CharField(max_length=100)
    quantity = IntegerField(constraints=[Check("quantity > 0")])
    price_per_unit = BigIntegerField(constraints=[Check("price_per_unit >= 0")])
    # The product's English name when it was bought (empty: it had none). Last, where step 7 added it.
    product_name_en = CharField(max_length=100, default="", constraints=[SQL("DEFAULT ''")])
    # The product's kind and warranty when it was ordered: a later edit changes neither.
    # (Last, where schema step 9 added them.)
    kind = CharField(max_length=16, default=STOCK, constraints=[SQL("DEFAULT 'stock'")])
    warranty_days = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        indexes = (
            # Covering for the top products of a period: no item row is read (schema step 8).
            (("order", "product", "quantity", "price_per_unit"), False),
        )

    @property
    def line_total(self) -> int:
        return self.quantity * self.price_per_unit


class CategoryName(BaseModel):
    """A category's name in another language. Categories themselves are the names products carry."""
    category = CharField(max_length=60, primary_key=True)
    name_en = CharField(max_length=60)
    updated_at = DateTimeField(default=utcnow)


class StockLine(BaseModel):
    """One deliverable item. Its text is only ever stored sealed (:mod:`quickcart.stockcrypt`);
    :func:`quickcart.stock.line_text` opens it."""
    id = AutoField()
    product = ForeignKeyField(Product, backref="stock_lines", on_delete="RESTRICT")
    sealed = BlobField()  # AES-GCM under the stock key, never the clear text
    digest = BlobField()  # keyed hash of the text, for the duplicate check
    state = CharField(max_length=16, default=AVAILABLE,
                      constraints=[Check("state IN ('available', 'reserved', 'sold', 'removed')")])
    order = ForeignKeyField(Order, null=True, backref="stock_lines", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    sold_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            # A credential is never sold twice: a product never holds the same line
            # twice. Compared by keyed hash, since nobody may read the lines back.
            (("product", "digest"), True),
            (("product", "state", "id"), False),
            (("order",), False),
        )


class LedgerEntry(BaseModel):
    """One change of a user's balance; the balance is the sum of these."""
    id = AutoField()
    user = ForeignKeyField(User, backref="ledger", on_delete="RESTRICT")
    delta = BigIntegerField(constraints=[Check("delta <> 0")])
    balance_after = BigIntegerField(constraints=[Check("balance_after >= 0")])
    reason = CharField(max_length=16, constraints=[
        Check("reason IN ('topup', 'purchase', 'refund', 'late_credit', 'admin', 'referral', 'referral_reverse')")])
    order = ForeignKeyField(Order, null=True, backref="ledger_entries", on_delete="RESTRICT")
    admin_id = BigIntegerField(null=True)
    note = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("user", "id"), False),
            # One credit per top-up order and reason, whatever races.
            (("order", "reason"), True),
        )


class ReferralReward(BaseModel):
    """What a referrer earned from one paid purchase of a customer they brought (:mod:`quickcart.referrals`).

    One per order (unique), credited with a ``referral`` ledger row in the
    transaction that settles the order. A refund of the order takes it back
    (a ``referral_reverse`` row) as far as the referrer's balance allows:
    ``reversed_amount`` is what was taken back.
    """
    id = AutoField()
    order = ForeignKeyField(Order, unique=True, backref="referral_rewards", on_delete="RESTRICT")
    referrer = ForeignKeyField(User, backref="referral_rewards", on_delete="RESTRICT")
    buyer = ForeignKeyField(User, backref="referral_purchases", on_delete="RESTRICT")
    amount = BigIntegerField(constraints=[Check("amount > 0")])
    created_at = DateTimeField(default=utcnow)
    reversed_at = DateTimeField(null=True)
    reversed_amount = BigIntegerField(default=0)


class AuditLog(BaseModel):
    """Admin actions and payment events: who, what, before and after."""
    id = AutoField()
    created_at = DateTimeField(default=utcnow)
    actor_id = BigIntegerField(null=True)  # admin's Telegram id; null for the system
    action = CharField(max_length=48)
    subject = CharField(max_length=64, default="")
    before = TextField(null=True)  # JSON
    after = TextField(null=True)  # JSON
    detail = TextField(default="")

    class Meta:
        indexes = (
            (("subject", "id"), False),
            (("action", "id"), False),
        )


class ContactMessage(BaseModel):
    """A customer's message to the shop as one admin received it.

    Which admin message belongs to which customer (and order), so that an
    admin's Telegram "reply" to it reaches that customer, also after a
    restart. Never the message's content: Telegram holds that.
    """
    id = AutoField()
    user = ForeignKeyField(User, backref="contact_messages", on_delete="RESTRICT")  # the customer
    order = ForeignKeyField(Order, null=True, backref="contact_messages", on_delete="RESTRICT")
    source_message_id = IntegerField()  # the customer's message, in their chat with the bot
    admin_id = BigIntegerField()
    admin_message_id = IntegerField()  # its copy, in that admin's chat
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("admin_id", "admin_message_id"), True),
            # One copy per admin of each customer message, however often its button is pressed.
            (("user", "source_message_id", "admin_id"), True),
        )


class BuyerFieldValue(BaseModel):
    """What the buyer of a manual product typed for one of its fields, kept with the order."""
    id = AutoField()
    order = ForeignKeyField(Order, backref="field_values", on_delete="CASCADE")
    position = IntegerField()
    label = CharField(max_length=64)
    value = CharField(max_length=256)

    class Meta:
        indexes = ((("order", "position"), True),)


class ManualFulfilment(BaseModel):
    """A paid manual order and what an admin did with it: completed (with a reply) or rejected (refunded).

    One per order. The decision is a conditional UPDATE from ``waiting``, so two admins pressing at
    once make one decision. The buyer is told at least once: ``tell_claimed_at`` is set with the
    decision, ``told_at`` once Telegram took the message (:mod:`quickcart.decisions`).
    """
    id = AutoField()
    order = ForeignKeyField(Order, unique=True, backref="fulfilment", on_delete="RESTRICT")
    state = CharField(max_length=16, default=WAITING)
    admin_id = BigIntegerField(null=True)
    reply_text = TextField(null=True)
    reply_file_id = CharField(max_length=256, null=True)
    reply_file_kind = CharField(max_length=16, null=True)  # document or photo
    reason = TextField(null=True)
    refund_amount = BigIntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    tell_claimed_at = DateTimeField(null=True)
    told_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("state", "created_at"), False),
            (("told_at", "decided_at"), False),
        )


class WarrantyClaim(BaseModel):
    """A buyer's claim that a line they bought stopped working, and the admin's answer.

    ``line`` is the claimed line (one sold to the order, or an earlier claim's
    replacement). ``replacement_line`` is the line sold to replace it: unique,
    so a line replaces at most one claim. At most one open claim per line (a
    partial unique index). Told at least once, like :class:`ManualFulfilment`.
    """
    id = AutoField()
    order = ForeignKeyField(Order, backref="claims", on_delete="RESTRICT")
    user = ForeignKeyField(User, backref="claims", on_delete="RESTRICT")
    product = ForeignKeyField(Product, backref="claims", on_delete="RESTRICT")
    line = ForeignKeyField(StockLine, backref="claims", on_delete="RESTRICT")
    description = TextField()
    state = CharField(max_length=16, default=OPEN)
    admin_id = BigIntegerField(null=True)
    reason = TextField(null=True)
    replacement_line = ForeignKeyField(StockLine, null=True, unique=True, backref="replacing",
                                       on_delete="RESTRICT")
    refund_amount = BigIntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    tell_claimed_at = DateTimeField(null=True)
    told_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("state", "id"), False),
            (("told_at", "decided_at"), False),
        )


class RestockSubscription(BaseModel):
    """A customer who asked to be told when a sold-out product has stock again (told once, then removed)."""
    id = AutoField()
    product = ForeignKeyField(Product, backref="subscribers", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="subscriptions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("product", "user"), True),)


# At most one open claim per line, whatever races: a second one fails to insert.
WarrantyClaim.add_index(WarrantyClaim.index(WarrantyClaim.line, unique=True, where=(WarrantyClaim.state == OPEN),
                                            name="warrantyclaim_one_open_per_line"))


class ProcessedUpdate(BaseModel):
    """Telegram update ids already taken, so a redelivered update is skipped."""
    update_id = BigIntegerField(primary_key=True)
    created_at = DateTimeField(default=utcnow, index=True)


class Setting(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()


ALL_MODELS = (User, Product, Promo, Order, OrderItem, StockLine, LedgerEntry, AuditLog,
              ProcessedUpdate, Setting, CategoryName, ContactMessage, BuyerFieldValue, ManualFulfilment,
              WarrantyClaim, RestockSubscription, ReferralReward)

__all__ = [model.__name__ for model in ALL_MODELS] + ["ALL_MODELS", "SQL"]

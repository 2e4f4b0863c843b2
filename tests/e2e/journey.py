"""What a customer does, step by step, through the Telegram stand-in."""
from __future__ import annotations

import io

import PIL.Image
import requests
import zxingcpp

from quickcart import orders
from quickcart.models import QRIS, Order, User
from tests.words import ID, Words

FEES = orders.FeePolicy(70, 310)


def start(user, words: Words = ID) -> None:
    user.send_text("/start")
    user.wait_for_message(contains=words.fragment("start.welcome"))


def open_product(user, product_name: str, category: str = "Streaming", words: Words = ID):
    """🛍 Produk → (category, when there are several) → the product's card (names as the user's language shows them)."""
    user.tap_keyboard(words.button("menu.products"))
    listing = user.wait_for_message(lambda m: is_listing(m, category, words))
    if not any(product_name in label for label in listing.button_texts()):
        user.press(listing, category)
        listing = user.wait_for_message(lambda m: any(product_name in b for b in m.button_texts()))
    user.press(listing, product_name)
    return user.wait_for_message(contains=words.fragment("shop.card_price"))


def is_listing(message, category: str, words: Words = ID) -> bool:
    """What 🛍 Produk shows: the categories, or the one category's products (paged or not)."""
    text = message.plain_text()
    return (text in (words.says("shop.categories"), words.says("shop.products", category=category))
            or text.startswith(words.fragment("shop.products_paged", category=category)))


def set_quantity(user, card, quantity: int, words: Words = ID):
    current = 1
    while current < quantity:
        user.press(card, words.button("btn.plus"))
        current += 1
        card = user.wait_for_message(contains=words.fragment("shop.card_quantity", quantity=current))
    return card


def choose_payment(user, card, words: Words = ID):
    user.press(card, words.button("btn.buy"))
    return user.wait_for_message(contains=words.says("checkout.summary_title"))


def pay_by_qris(user, product_name: str, quantity: int = 1, words: Words = ID, category: str = "Streaming"):
    """Browse, pick the quantity, check out by QRIS; returns the QR photo message."""
    card = set_quantity(user, open_product(user, product_name, category, words), quantity, words)
    choice = choose_payment(user, card, words)
    user.press(choice, words.button("btn.pay_qris"))
    return user.wait_for_message(lambda m: m.kind == "photo")


def decode_qr(photo_message) -> str:
    image = PIL.Image.open(io.BytesIO(photo_message.photo))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, "expected exactly one QR code in the photo"
    return found[0].text


def invoice_of(photo_message, words: Words = ID) -> str:
    label = words.fragment("payment.qr_invoice")
    for line in photo_message.plain_text().splitlines():
        if line.startswith(label):
            return line[len(label):].strip()
    raise AssertionError("no invoice in the QR caption")


def qris_order(pakasir, user: User, product, quantity: int = 1) -> Order:
    """A pending QRIS purchase with its Pakasir transaction, as a customer's checkout leaves it.

    Made in the test process (the shop sees the same database), for tests
    that need many open orders faster than customers could tap them out.
    """
    order = orders.create_purchase(user, product.id, quantity, method=QRIS, fees=FEES, ttl_minutes=10,
                                   max_quantity=10, chat_id=user.id)
    response = requests.post(f"{pakasir.base_url}/api/transactioncreate/qris", timeout=10, json={
        "project": pakasir.project, "order_id": order.invoice_id, "amount": order.gateway_amount,
        "api_key": pakasir.api_key})
    response.raise_for_status()
    payment = response.json()["payment"]
    Order.update(payment_number=payment["payment_number"], total_bill=payment["total_payment"]).where(
        Order.id == order.id).execute()
    return Order.get_by_id(order.id)

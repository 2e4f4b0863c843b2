"""What a customer does, step by step, through the Telegram stand-in."""
from __future__ import annotations

import io

import PIL.Image
import zxingcpp

from quickcart import texts


def start(user) -> None:
    user.send_text("/start")
    user.wait_for_message(contains="Selamat datang")


def open_product(user, product_name: str, category: str = "Streaming"):
    """🛍 Produk → (category, when there are several) → the product's card."""
    user.tap_keyboard(texts.BTN_PRODUCTS)
    listing = user.wait_for_message(contains="Pilih")
    if not any(product_name in label for label in listing.button_texts()):
        user.press(listing, category)
        listing = user.wait_for_message(lambda m: any(product_name in b for b in m.button_texts()))
    user.press(listing, product_name)
    return user.wait_for_message(contains="Harga:")


def set_quantity(user, card, quantity: int):
    current = 1
    while current < quantity:
        user.press(card, texts.BTN_PLUS)
        current += 1
        card = user.wait_for_message(contains=f"Jumlah: {current}")
    return card


def choose_payment(user, card):
    user.press(card, texts.BTN_BUY)
    return user.wait_for_message(contains="Ringkasan pesanan")


def pay_by_qris(user, product_name: str, quantity: int = 1):
    """Browse, pick the quantity, check out by QRIS; returns the QR photo message."""
    card = set_quantity(user, open_product(user, product_name), quantity)
    choice = choose_payment(user, card)
    user.press(choice, texts.BTN_PAY_QRIS)
    return user.wait_for_message(lambda m: m.kind == "photo")


def decode_qr(photo_message) -> str:
    image = PIL.Image.open(io.BytesIO(photo_message.photo))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, "expected exactly one QR code in the photo"
    return found[0].text


def invoice_of(photo_message) -> str:
    for line in photo_message.plain_text().splitlines():
        if "Invoice:" in line:
            return line.split("Invoice:")[1].strip()
    raise AssertionError("no invoice in the QR caption")

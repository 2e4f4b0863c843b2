"""Transitional: the customer texts' old names, read from the catalogue (quickcart/locales).

The shop itself no longer uses this module; tests still name buttons and
texts through it until they look keys up in the catalogue themselves.
"""
from __future__ import annotations

from html import escape

from quickcart.i18n import speaker
from quickcart.money import format_rupiah as rp

_say = speaker()

BTN_PRODUCTS = _say.plain("menu.products")
BTN_BALANCE = _say.plain("menu.balance")
BTN_HISTORY = _say.plain("menu.history")
BTN_ACCOUNT = _say.plain("menu.account")
BTN_HELP = _say.plain("menu.help")
MAIN_MENU = ((BTN_PRODUCTS, BTN_BALANCE), (BTN_HISTORY, BTN_ACCOUNT, BTN_HELP))
BTN_BACK = _say.plain("btn.back")
BTN_MINUS = _say.plain("btn.minus")
BTN_PLUS = _say.plain("btn.plus")
BTN_BUY = _say.plain("btn.buy")
BTN_PAY_QRIS = _say.plain("btn.pay_qris")
BTN_PAY_BALANCE = _say.plain("btn.pay_balance")
BTN_CHECKOUT_PAGE = _say.plain("btn.checkout_page")
BTN_CHECK_STATUS = _say.plain("btn.check_status")
BTN_CANCEL = _say.plain("btn.cancel")
BTN_PREV = _say.plain("btn.prev")
BTN_NEXT = _say.plain("btn.next")
BTN_TOPUP = _say.plain("btn.topup")
BTN_TOPUP_CUSTOM = _say.plain("btn.topup_custom")
BTN_SHOW_GOODS = _say.plain("btn.show_goods")
BTN_HISTORY_BACK = _say.plain("btn.history_back")


def e(value: object) -> str:
    """Escape a value for Telegram HTML."""
    return escape(str(value), quote=False)


def welcome(name: str, shop_name: str) -> str:
    return (f"👋 Halo, <b>{e(name)}</b>!\n"
            f"Selamat datang di <b>{e(shop_name)}</b> — toko produk digital otomatis.\n\n"
            "🛍 <b>Produk</b> — pilih dan beli, bayar QRIS, barang langsung dikirim\n"
            "💰 <b>Saldo</b> — isi saldo, belanja tanpa biaya QRIS\n"
            "🧾 <b>Riwayat</b> — pesanan dan barang yang sudah dibeli\n"
            "👤 <b>Akun</b> — profil kamu\n"
            "❓ <b>Bantuan</b> — cara belanja\n\n"
            "Pilih menu di bawah ya 👇")


def help_text(shop_name: str, support_contact: str, ttl_minutes: int) -> str:
    support = f"\n\n📞 Butuh bantuan? Hubungi {e(support_contact)}" if support_contact else ""
    return (f"❓ <b>Cara belanja di {e(shop_name)}</b>\n\n"
            "1. Tekan <b>🛍 Produk</b>, pilih kategori lalu produk.\n"
            "2. Atur jumlah dengan ➖ ➕, lalu tekan <b>🛒 Beli</b>.\n"
            "3. Pilih <b>QRIS</b> (scan dengan e-wallet/m-banking apa saja) atau <b>Saldo</b>.\n"
            f"4. Bayar sebelum QR kedaluwarsa ({ttl_minutes} menit).\n"
            "5. Barang dikirim otomatis beberapa detik setelah pembayaran masuk.\n\n"
            "Barang yang sudah dibeli bisa dilihat lagi di <b>🧾 Riwayat</b>."
            f"{support}")


def account(user, orders_paid: int, spent: int) -> str:
    tier = "Reseller" if user.is_reseller else "Customer"
    lines = [
        "👤 <b>Akun kamu</b>",
        f"Nama: {e(user.name or '-')}",
        f"Username: {'@' + e(user.username) if user.username else '-'}",
        f"ID Telegram: <code>{user.id}</code>",
        f"ID Member: <code>{e(user.bank_id)}</code>",
        f"Status: {tier}",
        f"Saldo: <b>{rp(user.account_balance)}</b>",
        f"Pesanan berhasil: {orders_paid} (total {rp(spent)})",
    ]
    if user.email:
        lines.append(f"Email: {e(user.email)}")
    if user.whatsapp_number:
        lines.append(f"WhatsApp: {e(user.whatsapp_number)}")
    return "\n".join(lines)


BANNED = "⛔ Akun kamu diblokir dari toko ini. Hubungi admin jika menurutmu ini keliru."
MAINTENANCE = "🛠 Toko sedang dalam perawatan sebentar. Silakan coba lagi nanti ya 🙏"
FLOOD = "⏳ Pelan-pelan ya 🙏 Kamu mengirim terlalu banyak perintah. Coba lagi sebentar lagi."
ERROR = "😵 Maaf, terjadi kendala. Silakan coba lagi."
UNKNOWN_COMMAND = "🤔 Perintah tidak dikenal. Pilih menu di bawah atau ketik /bantuan."
UNKNOWN_TEXT = "🤔 Aku belum paham pesan itu. Pilih menu di bawah atau ketik /bantuan."
STALE_BUTTON = "Tombol ini sudah tidak berlaku."
TEXT_TOO_LONG = "✂️ Pesan terlalu panjang."

# --- Catalogue -----------------------------------------------------------

CATALOGUE_EMPTY = "🛍 Belum ada produk yang tersedia. Cek lagi nanti ya!"
CATEGORIES_TITLE = "🛍 <b>Kategori produk</b>\nPilih kategori:"


def products_title(category: str, page: int, pages: int) -> str:
    suffix = f" (hal. {page + 1}/{pages})" if pages > 1 else ""
    return f"🛍 <b>{e(category)}</b>{suffix}\nPilih produk:"


def product_button(name: str, price: int, stock: int) -> str:
    tail = f"stok {stock}" if stock else "habis"
    return f"{name} — {rp(price)} ({tail})"


def product_card(product, price: int, quantity: int, reseller: bool) -> str:
    lines = [f"📦 <b>{e(product.name)}</b>"]
    if product.description:
        lines.append(e(product.description))
    lines.append("")
    tier = " (harga reseller)" if reseller else ""
    lines.append(f"💰 Harga: <b>{rp(price)}</b>{tier}")
    lines.append(f"📦 Stok: {product.stock_count}" if product.stock_count else "📦 Stok: <b>habis</b>")
    lines.append(f"✅ Terjual: {product.sold_count}")
    if product.stock_count:
        lines.append("")
        lines.append(f"Jumlah: <b>{quantity}</b> · Subtotal: <b>{rp(price * quantity)}</b>")
    else:
        lines.append("\n😔 Stok sedang habis, belum bisa dibeli.")
    return "\n".join(lines)


PRODUCT_UNAVAILABLE = "Produk ini sudah tidak tersedia."
OUT_OF_STOCK = "Stok habis 😔"
QTY_MIN = "Minimal 1."


def qty_max(limit: int) -> str:
    return f"Maksimal {limit}."


def choose_payment(product_name: str, quantity: int, price: int, subtotal: int, fee: int,
                   balance: int, balance_enough: bool) -> str:
    lines = [
        "🧾 <b>Ringkasan pesanan</b>",
        f"{e(product_name)} × {quantity} @ {rp(price)}",
        f"Subtotal: <b>{rp(subtotal)}</b>",
        "",
        f"• <b>QRIS</b>: {rp(subtotal + fee)} (termasuk biaya QRIS {rp(fee)})",
    ]
    if balance_enough:
        lines.append(f"• <b>Saldo</b>: {rp(subtotal)} tanpa biaya (saldo kamu {rp(balance)})")
    else:
        lines.append(f"• Saldo kamu {rp(balance)} belum cukup untuk bayar pakai saldo.")
    lines.append("\nPilih metode pembayaran:")
    return "\n".join(lines)


def stock_short(available: int) -> str:
    if available <= 0:
        return "😔 Maaf, stok baru saja habis."
    return f"😔 Maaf, stok tinggal {available}. Kurangi jumlahnya lalu coba lagi."


# The seed's friendly messages when Pakasir cannot be used.
PAKASIR_DOWN = ("💔 Maaf, sistem pembayaran sedang bermasalah.\n\n"
                "🔄 Silakan coba lagi dalam beberapa menit atau hubungi admin untuk bantuan.\n\n"
                "Terima kasih atas pengertiannya! 🙏")
PAKASIR_ERROR = ("💔 Terjadi kendala teknis saat membuat pembayaran.\n\n"
                 "🔄 Silakan coba lagi atau hubungi admin.\n\n"
                 "Maaf atas ketidaknyamanan ini! 🙏")
ORDER_IN_PROGRESS = "Pesanan ini sedang diproses."
PRICE_CHANGED = "Harga berubah sejak ringkasan ditampilkan. Cek ringkasan terbaru lalu pilih lagi."


def below_gateway_minimum(amount: int, minimum: int) -> str:
    return (f"😔 Total {rp(amount)} di bawah minimal pembayaran QRIS ({rp(minimum)}). "
            "Tambah jumlahnya atau bayar pakai saldo.")


def open_order_button(order) -> str:
    return f"⏳ {order.invoice_id} · {rp(order.total_bill)}"


def too_many_pending(count: int) -> str:
    return (f"⏳ Kamu masih punya {count} pesanan yang belum dibayar. Bayar atau batalkan dulu "
            "sebelum membuat pesanan baru 👇")


def qr_caption(order, items, expires_text: str) -> str:
    lines = ["💳 <b>Scan QRIS untuk membayar</b>", f"🧾 Invoice: <code>{e(order.invoice_id)}</code>"]
    if order.is_topup:
        lines.append(f"💰 Isi saldo: {rp(order.subtotal)}")
    for item in items:
        lines.append(f"📦 {e(item.product_name)} × {item.quantity} @ {rp(item.price_per_unit)}")
    lines += [
        f"Subtotal: {rp(order.subtotal)}",
        f"Biaya QRIS: {rp(order.charged_fee)}",
        f"<b>Total bayar: {rp(order.total_bill)}</b>",
        f"⏰ Berlaku sampai {expires_text}",
        "",
        "Bayar tepat sesuai total. Barang dikirim otomatis setelah pembayaran masuk.",
    ]
    return "\n".join(lines)


def payment_pending(expires_text: str) -> str:
    return f"⏳ Pembayaran belum masuk. QR berlaku sampai {expires_text}."


PAYMENT_ALREADY_PAID = "✅ Pesanan ini sudah dibayar."
PAYMENT_RECEIVED = "✅ Pembayaran diterima! Pesanan sedang dikirim."
PAID_NOT_CANCELLED = "✅ Pesanan ini sudah dibayar — barang dikirim."
NEEDS_ADMIN_TOAST = "⚠️ Ada ketidaksesuaian data pembayaran. Admin sudah diberi tahu dan akan membantu."
PAYMENT_UNKNOWN = ("⚠️ Sistem pembayaran sedang tidak bisa dihubungi, jadi status belum bisa dicek. "
                   "Kalau kamu sudah bayar, tenang: barang dikirim otomatis begitu sistemnya kembali.")
CANCEL_UNKNOWN = ("⚠️ Sistem pembayaran sedang tidak bisa dihubungi, jadi pesanan belum bisa dibatalkan. "
                  "Coba lagi sebentar lagi. Kalau kamu sudah bayar, barang tetap dikirim otomatis.")
PAYMENT_CHECK_LIMIT = "⏳ Tunggu sebentar sebelum cek lagi (maks. 5 kali per menit)."
ORDER_NOT_PENDING = "Pesanan ini sudah tidak aktif."


def order_closed_caption(order, expired: bool) -> str:
    head = "⌛ <b>Pesanan kedaluwarsa</b>" if expired else "❌ <b>Pesanan dibatalkan</b>"
    return (f"{head}\n🧾 Invoice: <code>{e(order.invoice_id)}</code>\n"
            "QR ini tidak berlaku lagi. Jangan membayar QR ini.\n"
            "Silakan buat pesanan baru dari menu 🛍 Produk.")


CANCELLED_TOAST = "Pesanan dibatalkan."


def purchase_success(order, items, goods_inline: str | None) -> str:
    lines = ["🎉 <b>Pesanan berhasil!</b>", f"🧾 Invoice: <code>{e(order.invoice_id)}</code>"]
    for item in items:
        lines.append(f"📦 Produk: {e(item.product_name)}")
        lines.append(f"🔢 Jumlah: {item.quantity}")
    lines.append(f"💳 Dibayar: {rp(order.total_bill)} ({'Saldo' if order.payment_method == 'balance' else 'QRIS'})")
    if goods_inline is not None:
        lines += ["", "🔑 <b>Barang kamu:</b>", f"<pre>{e(goods_inline)}</pre>"]
    else:
        lines += ["", "🔑 Barang kamu ada di file .txt berikut."]
    lines.append("\nSimpan baik-baik ya. Terima kasih sudah berbelanja! 🙏")
    return "\n".join(lines)


# In place of a sold line whose text can no longer be opened (the shop's stock key was lost).


def goods_document_caption(invoice_id: str) -> str:
    return f"🔑 Barang untuk invoice <code>{e(invoice_id)}</code>"


def late_payment_delivered(invoice_id: str) -> str:
    return (f"ℹ️ Pembayaran untuk invoice <code>{e(invoice_id)}</code> masuk setelah pesanan "
            "kedaluwarsa/dibatalkan, tapi stok masih ada — barangnya tetap kami kirim. 👇")


def late_payment_credited(invoice_id: str, amount: int, fee: int, balance: int) -> str:
    fee_part = f" (termasuk biaya QRIS {rp(fee)})" if fee else ""
    return (f"ℹ️ Pembayaran untuk invoice <code>{e(invoice_id)}</code> masuk setelah pesanan "
            f"kedaluwarsa/dibatalkan dan stoknya sudah habis.\n"
            f"💰 Seluruh pembayaranmu, {rp(amount)}{fee_part}, sudah dimasukkan ke saldo kamu "
            f"(saldo sekarang {rp(balance)}). Saldo bisa dipakai belanja kapan saja.")


def mismatch_credited(invoice_id: str, amount: int, balance: int) -> str:
    return (f"ℹ️ Admin sudah memeriksa pembayaran untuk invoice <code>{e(invoice_id)}</code>.\n"
            f"💰 {rp(amount)} dimasukkan ke saldo kamu (saldo sekarang {rp(balance)}).")


def order_needs_admin(invoice_id: str) -> str:
    return (f"⚠️ Pembayaran untuk invoice <code>{e(invoice_id)}</code> perlu dicek admin karena datanya "
            "tidak cocok. Pesanan ini ditutup; admin sudah diberi tahu dan akan menghubungi kamu. "
            "Kalau kamu sudah membayar, uangmu tidak hilang.")


def mismatch_closed(invoice_id: str) -> str:
    return (f"ℹ️ Admin sudah memeriksa invoice <code>{e(invoice_id)}</code> dan menutup pesanan ini. "
            "Hubungi admin jika ada pertanyaan.")


def topup_success(order, balance: int) -> str:
    return (f"🎉 <b>Isi saldo berhasil!</b>\n🧾 Invoice: <code>{e(order.invoice_id)}</code>\n"
            f"💰 Ditambahkan: <b>{rp(order.subtotal)}</b>\nSaldo sekarang: <b>{rp(balance)}</b>")


# --- History ------------------------------------------------------------

HISTORY_EMPTY = "🧾 Belum ada pesanan. Yuk mulai belanja di 🛍 Produk!"
STATUS_LABELS = {"pending": "⏳ Menunggu bayar", "paid": "✅ Lunas", "expired": "⌛ Kedaluwarsa",
                 "cancelled": "❌ Batal"}


def history_title(page: int, pages: int) -> str:
    suffix = f" (hal. {page + 1}/{pages})" if pages > 1 else ""
    return f"🧾 <b>Riwayat pesanan</b>{suffix}\nPilih pesanan untuk detailnya:"


def history_button(order, summary: str, date_text: str) -> str:
    return f"{STATUS_LABELS[order.status].split()[0]} {date_text} · {summary} · {rp(order.total_bill)}"


def order_detail(order, items, created_text: str, paid_text: str | None) -> str:
    lines = [f"🧾 <b>Invoice {e(order.invoice_id)}</b>",
             f"Status: {STATUS_LABELS[order.status]}",
             f"Dibuat: {created_text}"]
    if paid_text:
        lines.append(f"Dibayar: {paid_text}")
    if order.is_topup:
        lines.append(f"💰 Isi saldo {rp(order.subtotal)}")
    for item in items:
        lines.append(f"📦 {e(item.product_name)} × {item.quantity} @ {rp(item.price_per_unit)}")
    if order.charged_fee:
        lines.append(f"Biaya QRIS: {rp(order.charged_fee)}")
    lines.append(f"Total: <b>{rp(order.total_bill)}</b> ({'Saldo' if order.payment_method == 'balance' else 'QRIS'})")
    if order.settlement == "credited":
        lines.append("ℹ️ Dibayar terlambat dan stok habis: nominalnya masuk ke saldo.")
    return "\n".join(lines)


# --- Balance ------------------------------------------------------------

LEDGER_REASONS = {"topup": "Isi saldo", "purchase": "Belanja", "refund": "Refund",
                  "late_credit": "Kredit pembayaran terlambat", "admin": "Penyesuaian admin"}


def balance_screen(balance: int, entries, date_of) -> str:
    lines = [f"💰 <b>Saldo kamu: {rp(balance)}</b>"]
    if entries:
        lines.append("\nMutasi terakhir:")
        for entry in entries:
            sign = "+" if entry.delta > 0 else "−"
            lines.append(f"{date_of(entry.created_at)} {sign}{rp(abs(entry.delta))} · "
                         f"{LEDGER_REASONS.get(entry.reason, entry.reason)}")
    lines.append("\nIsi saldo pakai QRIS, lalu belanja tanpa biaya QRIS.")
    return "\n".join(lines)


def topup_choose(minimum: int, maximum: int) -> str:
    return (f"➕ <b>Isi saldo</b>\nPilih nominal, atau tekan ✏️ untuk nominal lain "
            f"({rp(minimum)} – {rp(maximum)}).")


def topup_ask_amount(minimum: int, maximum: int) -> str:
    return (f"✏️ Ketik nominal isi saldo ({rp(minimum)} – {rp(maximum)}), contoh: <code>75000</code> "
            "atau <code>75.000</code>.")


def topup_invalid_amount(minimum: int, maximum: int) -> str:
    return (f"⚠️ Nominal tidak valid. Ketik angka bulat antara {rp(minimum)} dan {rp(maximum)}, "
            "contoh: <code>75000</code>.")


def balance_insufficient(balance: int, needed: int) -> str:
    return f"😔 Saldo kamu {rp(balance)} tidak cukup untuk membayar {rp(needed)}."


# --- Admin notices -----------------------------------------------------------

def notice_sale(order, items, buyer_label: str) -> str:
    parts = ", ".join(f"{e(item.product_name)} × {item.quantity}" for item in items) or "Isi saldo"
    late = " (terlambat)" if order.paid_late else ""
    return (f"💸 <b>Penjualan{late}</b> {e(order.invoice_id)}\n{parts}\n"
            f"Total {rp(order.total_bill)} via {order.payment_method.upper()} · {e(buyer_label)}")


def notice_topup(order, buyer_label: str) -> str:
    return (f"💰 <b>Isi saldo</b> {e(order.invoice_id)}: {rp(order.subtotal)} · {e(buyer_label)}")


def notice_low_stock(product_name: str, product_id: int, stock: int) -> str:
    return f"📉 Stok menipis: <b>{e(product_name)}</b> (#{product_id}) tinggal {stock}."


def notice_mismatch(order, project: str, transaction) -> str:
    """A payment Pakasir reported that does not match the order: the figures side by side."""
    return ("🚨 <b>Pembayaran tidak cocok</b> — pesanan TIDAK dikirim otomatis.\n"
            f"🧾 Invoice: <code>{e(order.invoice_id)}</code>\n"
            f"Pesanan: proyek {e(project)}, nominal {rp(order.gateway_amount)}\n"
            f"Pakasir: proyek {e(transaction.account[:60])}, order {e(transaction.order_id[:60])}, "
            f"nominal {rp(transaction.amount)}, status {e(transaction.status[:20])}\n"
            "Cek di dashboard Pakasir, lalu putuskan:\n"
            f"<code>/resolve {e(order.invoice_id)} deliver|credit|close</code>")


def notice_late(invoice_id: str, outcome: str) -> str:
    return f"⏰ Pembayaran terlambat untuk {e(invoice_id)}: {e(outcome)}."


PAKASIR_DOWN_NOTICE = "🚨 Pakasir payment gateway sedang bermasalah! Pembeli tidak bisa membayar QRIS."
PAKASIR_UP_NOTICE = "✅ Pakasir kembali normal. Pembayaran QRIS bisa dipakai lagi."


def notice_error(summary: str, count: int) -> str:
    more = f" (+{count - 1} lainnya sejak notifikasi terakhir)" if count > 1 else ""
    return f"⚠️ <b>Error</b>{more}: {e(summary)}\nDetail ada di log server."

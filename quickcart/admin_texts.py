"""Every text an admin reads, in Indonesian, in one place (Telegram HTML).

Customers' texts are in :mod:`quickcart.texts`; these are the admin side:
the command syntax (used by ``/admin`` and by every "wrong format" answer),
the answers, and the lists. Anything from the database or from a user goes
through :func:`~quickcart.texts.e`.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from quickcart.money import format_rupiah as rp
from quickcart.telegram.sender import MAX_TEXT
from quickcart.texts import STATUS_LABELS, e
from quickcart.timeutil import format_jakarta

# command -> (syntax, example, what it does). The order is the /admin help's.
USAGE: dict[str, tuple[str, str, str]] = {
    "admin": ("/admin", "/admin", "bantuan admin ini"),
    "addproduct": ("/addproduct Nama | Kategori | harga_customer | harga_reseller | deskripsi",
                   "/addproduct Netflix Premium 1 Bulan | Streaming | 50000 | 45000 | Akun sharing 1 bulan",
                   "tambah produk (deskripsi boleh kosong)"),
    "editproduct": ("/editproduct <id> field=nilai ...",
                    "/editproduct 3 name=Netflix 1 Bulan price=55000",
                    ("ubah produk; field: name, category, price (customer_price), reseller_price, "
                     "description. Nilai boleh berspasi; pakai \"...\" bila nilainya memuat teks field=")),
    "products": ("/products", "/products", "daftar produk: id, harga, stok, terjual, status"),
    "enable": ("/enable <id>", "/enable 3", "tampilkan produk ke pembeli"),
    "disable": ("/disable <id>", "/disable 3", "sembunyikan produk dari pembeli"),
    "addstock": ("/addstock <id> lalu satu item per baris di bawahnya",
                 "/addstock 3\nemail1@mail.com:pass1\nemail2@mail.com:pass2",
                 "tambah stok; atau kirim file .txt (UTF-8) dengan caption /addstock <id>"),
    "stock": ("/stock <id>", "/stock 3", "stok tersedia / dipesan / terjual"),
    "user": ("/user <id|@username|USR001>", "/user @budi", "profil, saldo, jumlah pesanan"),
    "ban": ("/ban <id> [alasan]", "/ban 123456789 spam", "blokir pengguna"),
    "unban": ("/unban <id>", "/unban 123456789", "buka blokir"),
    "setrole": ("/setrole <id> customer|reseller", "/setrole 123456789 reseller", "ubah peran"),
    "addbalance": ("/addbalance <id> <jumlah> [catatan]", "/addbalance 123456789 -5000 koreksi",
                   "tambah/kurangi saldo (negatif untuk mengurangi, tidak bisa di bawah 0)"),
    "order": ("/order <invoice>", "/order TRX20241228ABC123", "detail pesanan dan barang yang dikirim"),
    "orders": ("/orders [n]", "/orders 20", "n pesanan terakhir (bawaan 10, maks. 50)"),
    "recheck": ("/recheck <invoice>", "/recheck TRX20241228ABC123", "cek pembayaran ke Pakasir sekarang"),
    "resolve": ("/resolve <invoice> deliver|credit|close [catatan]", "/resolve TRX20241228ABC123 deliver",
                ("putuskan pembayaran yang tidak cocok setelah cek dashboard Pakasir: kirim barang, "
                 "masukkan ke saldo, atau tutup")),
    "stats": ("/stats", "/stats", "statistik toko"),
    "broadcast": ("/broadcast <teks>", "/broadcast Promo akhir pekan! Diskon 10% semua produk",
                  "kirim ke semua pengguna; atau foto dengan caption /broadcast <teks>"),
    "maintenance": ("/maintenance on|off", "/maintenance on", "mode perawatan (admin tetap bisa)"),
    "backup": ("/backup", "/backup", "kirim salinan database"),
}


def usage(command: str, reason: str = "") -> str:
    syntax, example, _ = USAGE[command]
    head = f"⚠️ {e(reason)}\n" if reason else "⚠️ Format perintah salah.\n"
    return f"{head}Format: <code>{e(syntax)}</code>\nContoh:\n<code>{e(example)}</code>"


def admin_help() -> str:
    lines = ["🛠 <b>Perintah admin</b>", ""]
    for syntax, _, what in USAGE.values():
        lines.append(f"<code>{e(syntax)}</code>\n    {e(what)}")
    lines += ["", "Harga dalam rupiah bulat: 50000, 50.000, 50rb."]
    return "\n".join(lines)


def split_for_telegram(lines: Iterable[str], limit: int = MAX_TEXT) -> list[str]:
    """Join lines into messages of at most ``limit`` characters of HTML.

    Splits only between lines, so tags (which never span lines here) stay
    balanced; counting the HTML rather than the text Telegram counts keeps
    a margin. A single line longer than the limit is cut.
    """
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > limit:
            line = line[:limit - 1] + "…"
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            messages.append("\n".join(current))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        messages.append("\n".join(current))
    return messages


def _when(moment: datetime | None) -> str:
    return format_jakarta(moment) if moment else "-"


# --- products ----------------------------------------------------------------

def product_added(product) -> str:
    return (f"✅ Produk ditambahkan: <b>#{product.id} {e(product.name)}</b> ({e(product.category)})\n"
            f"Harga {rp(product.customer_price)} · reseller {rp(product.reseller_price)}\n"
            f"Tambah stok: <code>/addstock {product.id}</code>")


def product_edited(product, changed: Iterable[str]) -> str:
    return (f"✅ Produk #{product.id} diubah ({e(', '.join(changed))}).\n" + product_line(product))


def product_switched(product) -> str:
    state = "aktif (tampil ke pembeli)" if product.is_active else "nonaktif (disembunyikan)"
    return f"✅ <b>#{product.id} {e(product.name)}</b> sekarang {state}."


def product_line(product) -> str:
    state = "✅" if product.is_active else "⛔"
    return (f"{state} <b>#{product.id} {e(product.name)}</b> · {e(product.category)}\n"
            f"    {rp(product.customer_price)} / reseller {rp(product.reseller_price)} · "
            f"stok {product.stock_count} · terjual {product.sold_count}")


def product_list(products) -> list[str]:
    if not products:
        return ["Belum ada produk. Tambah dengan /addproduct."]
    lines = [f"📦 <b>Produk ({len(products)})</b> — ✅ aktif, ⛔ nonaktif"]
    lines += [product_line(product) for product in products]
    return split_for_telegram(lines)


def product_missing(product_id: int) -> str:
    return f"⚠️ Produk #{product_id} tidak ada. Lihat /products."


# --- stock -------------------------------------------------------------------

def stock_counts(product, counts) -> str:
    return (f"📦 <b>#{product.id} {e(product.name)}</b>\n"
            f"Tersedia: {counts.available}\nDipesan (menunggu bayar): {counts.reserved}\n"
            f"Terjual: {counts.sold}")


def stock_importing(product, lines: int) -> str:
    count = f"{lines:,}".replace(",", ".")
    return f"⏳ Mengimpor {count} baris ke #{product.id} {e(product.name)}…"


def stock_imported(product, result, available: int) -> str:
    lines = [f"✅ Stok #{product.id} {e(product.name)}:",
             f"Ditambahkan: {result.added}",
             f"Duplikat (ditolak): {result.duplicates}",
             f"Baris kosong (dilewati): {result.blank}"]
    if result.too_long:
        lines.append(f"Terlalu panjang (ditolak): {result.too_long}")
    lines.append(f"Stok tersedia sekarang: {available}")
    return "\n".join(lines)


STOCK_FILE_NOT_TXT = ("⚠️ Kirim file <b>.txt</b> (teks UTF-8, satu item per baris) dengan caption "
                      "<code>/addstock &lt;id&gt;</code>.")
STOCK_FILE_NOT_UTF8 = ("⚠️ File bukan teks UTF-8. Simpan ulang sebagai UTF-8 (di Notepad: Save As → "
                       "Encoding UTF-8) lalu kirim lagi. Tidak ada stok yang ditambahkan.")
STOCK_FILE_EMPTY = "⚠️ File/pesan tidak berisi item. Tidak ada stok yang ditambahkan."
STOCK_FILE_UNREADABLE = "⚠️ File tidak bisa diambil dari Telegram. Coba kirim lagi."


def stock_file_too_big(limit_bytes: int) -> str:
    return (f"⚠️ File terlalu besar (maks. {limit_bytes // (1024 * 1024)} MB). "
            "Pecah jadi beberapa file. Tidak ada stok yang ditambahkan.")


# --- users -------------------------------------------------------------------

def user_missing(query: str) -> str:
    return f"⚠️ Pengguna {e(query)} tidak ditemukan (pakai id Telegram, @username atau USR001)."


def user_profile(user, orders_total: int, paid_purchases: int, spent: int) -> str:
    tier = "Reseller" if user.is_reseller else "Customer"
    username = f"@{e(user.username)}" if user.username else "-"
    banned = f"ya — {e(user.ban_reason)}" if user.is_banned and user.ban_reason else (
        "ya" if user.is_banned else "tidak")
    lines = [
        f"👤 <b>{e(user.name or '-')}</b> ({username})",
        f"ID: <code>{user.id}</code> · <code>{e(user.bank_id)}</code>",
        f"Peran: {tier}",
        f"Saldo: <b>{rp(user.account_balance)}</b>",
        f"Pesanan: {orders_total} (lunas {paid_purchases}, belanja {rp(spent)})",
        f"Diblokir: {banned}",
        f"Memblokir bot: {'ya' if user.blocked_bot else 'tidak'}",
        f"Terdaftar: {_when(user.created_at)}",
    ]
    if user.email:
        lines.append(f"Email: {e(user.email)}")
    if user.whatsapp_number:
        lines.append(f"WhatsApp: {e(user.whatsapp_number)}")
    return "\n".join(lines)


def user_label(user) -> str:
    return f"{e(user.name or '-')} (<code>{user.id}</code>)"


def user_banned(user) -> str:
    reason = f" Alasan: {e(user.ban_reason)}" if user.ban_reason else ""
    return f"⛔ {user_label(user)} diblokir.{reason}"


def user_unbanned(user) -> str:
    return f"✅ {user_label(user)} tidak diblokir lagi."


CANNOT_BAN_ADMIN = "⚠️ Admin tidak bisa diblokir."


def role_set(user) -> str:
    return f"✅ {user_label(user)} sekarang {'reseller' if user.is_reseller else 'customer'}."


def balance_adjusted(user, delta: int, balance_after: int) -> str:
    sign = "+" if delta > 0 else "−"
    return f"✅ Saldo {user_label(user)}: {sign}{rp(abs(delta))} → <b>{rp(balance_after)}</b>"


def balance_would_go_negative(user, balance: int, delta: int) -> str:
    return (f"⚠️ Saldo {user_label(user)} hanya {rp(balance)}; tidak bisa dikurangi {rp(abs(delta))}. "
            "Tidak ada yang diubah.")


# --- orders ------------------------------------------------------------------

def order_missing(invoice: str) -> str:
    return f"⚠️ Pesanan {e(invoice)} tidak ditemukan. Lihat /orders."


def order_detail(order, user, items, events) -> list[str]:
    kind = "Isi saldo" if order.is_topup else "Pembelian"
    method = "Saldo" if order.payment_method == "balance" else "QRIS"
    lines = [f"🧾 <b>{e(order.invoice_id)}</b> · {kind} · {STATUS_LABELS[order.status]}",
             f"Pembeli: {user_label(user) if user else order.user_id}"]
    for item in items:
        lines.append(f"📦 {e(item.product_name)} (#{item.product_id}) × {item.quantity} @ {rp(item.price_per_unit)}")
    lines += [f"Subtotal {rp(order.subtotal)} · biaya {rp(order.fee)} · ditagih {rp(order.total_bill)} ({method})",
              f"Nominal Pakasir: {rp(order.gateway_amount)}"
              + (f" · fee gateway {rp(order.gateway_fee)}" if order.gateway_fee is not None else ""),
              f"Dibuat: {_when(order.created_at)}",
              f"Berlaku s/d: {_when(order.expires_at)}"]
    if order.paid_at:
        lines.append(f"Dibayar: {_when(order.paid_at)}" + (" (terlambat)" if order.paid_late else ""))
    if order.closed_at:
        lines.append(f"Ditutup: {_when(order.closed_at)}")
    if order.settlement:
        lines.append(f"Penyelesaian: {'dikirim' if order.settlement == 'delivered' else 'dikreditkan ke saldo'}")
    if order.status == "paid":
        lines.append(f"Terkirim ke pembeli: {_when(order.delivered_at)} (percobaan {order.delivery_attempts})")
    if events:
        lines.append("Riwayat:")
        lines += [f"  {_when(event.created_at)} {e(event.action)}"
                  + (f" — {e(event.detail[:80])}" if event.detail else "") for event in events]
    return split_for_telegram(lines)


def goods_inline(goods: list[str]) -> str:
    return f"🔑 Barang terkirim ({len(goods)}):\n<pre>{e(chr(10).join(goods))}</pre>"


NO_GOODS = "🔑 Belum ada barang terkirim untuk pesanan ini."


def goods_caption(invoice: str, count: int) -> str:
    return f"🔑 Barang terkirim untuk {e(invoice)} ({count} baris)"


def order_list(orders, summaries: dict[int, str]) -> list[str]:
    if not orders:
        return ["Belum ada pesanan."]
    lines = [f"🧾 <b>{len(orders)} pesanan terakhir</b>"]
    for order in orders:
        icon = STATUS_LABELS[order.status].split()[0]
        lines.append(f"{icon} <code>{e(order.invoice_id)}</code> · {e(summaries.get(order.id, '-'))} · "
                     f"{rp(order.total_bill)} · {order.user_id} · {_when(order.created_at)}")
    return split_for_telegram(lines)


RECHECK_OUTCOMES = {
    "paid": "✅ {invoice} lunas — baru saja dikonfirmasi Pakasir; barang/saldo sedang dikirim.",
    "already_paid": "✅ {invoice} sudah lunas sebelumnya.",
    "pending": "⏳ {invoice} belum dibayar menurut Pakasir.",
    "closed": "⌛ {invoice} sudah ditutup ({status}) dan tidak dibayar.",
    "mismatch": "🚨 {invoice}: jawaban Pakasir tidak cocok (proyek/nominal). TIDAK dikirim; admin sudah diberi tahu.",
    "unknown": "⚠️ Pakasir tidak bisa dihubungi sekarang; {invoice} belum bisa dicek. Coba lagi nanti.",
}


RESOLVED = {
    "deliver": "✅ {invoice}: dinyatakan lunas; barang/saldo dikirim ke pembeli.",
    "credit": "✅ {invoice}: pembayaran dimasukkan ke saldo pembeli.",
    "close": "✅ {invoice}: ditutup tanpa pengiriman; pembeli sudah diberi tahu.",
}


def mismatch_resolved(action: str, invoice: str) -> str:
    return RESOLVED[action].format(invoice=e(invoice))


def not_a_mismatch(invoice: str) -> str:
    return (f"ℹ️ {e(invoice)} bukan pembayaran tidak cocok yang masih terbuka "
            "(tidak pernah tidak cocok, atau sudah diputuskan). Lihat /order.")


def recheck_result(outcome: str, invoice: str, status: str) -> str:
    return RECHECK_OUTCOMES[outcome].format(invoice=e(invoice), status=e(status))


# --- stats, maintenance, backup, broadcast --------------------------------------

def stats_text(stats: dict) -> str:
    lines = ["📊 <b>Statistik toko</b>",
             f"Pengguna: {stats['total_users']}",
             f"Transaksi lunas: {stats['total_transactions']}",
             f"Pesanan aktif (menunggu bayar): {stats['active_orders']}",
             f"Pendapatan hari ini (WIB): <b>{rp(stats['revenue_today'])}</b>"]
    if stats["top_products"]:
        lines.append("Terlaris:")
        lines += [f"{rank}. {e(product['name'])} (#{product['id']}) — {product['sold']} terjual"
                  for rank, product in enumerate(stats["top_products"], start=1)]
    return "\n".join(lines)


def maintenance_switched(on: bool, was_on: bool) -> str:
    if on:
        return ("🛠 Mode perawatan <b>aktif</b>. Pembeli mendapat pesan perawatan; admin tetap bisa memakai bot."
                + (" (sudah aktif sebelumnya)" if was_on else ""))
    return "✅ Mode perawatan <b>mati</b>. Toko buka lagi." + (" (sudah mati sebelumnya)" if not was_on else "")


def backup_caption(size_bytes: int) -> str:
    return f"💾 Backup database ({size_bytes / (1024 * 1024):.1f} MB). Simpan di tempat aman."


def backup_too_big(size_bytes: int) -> str:
    return (f"⚠️ Backup {size_bytes / (1024 * 1024):.0f} MB terlalu besar untuk Telegram (maks. 50 MB). "
            "Pakai di server: <code>python quickcart.py --config config.ini backup</code>")


BACKUP_FAILED = "⚠️ Backup gagal; detail ada di log server."
BROADCAST_BUSY = "⏳ Broadcast lain masih berjalan. Tunggu sampai selesai."


def broadcast_progress(done: int, total: int, sent: int, blocked: int, failed: int) -> str:
    return (f"📣 Broadcast berjalan: {done}/{total}\n"
            f"Terkirim {sent} · memblokir bot {blocked} · gagal {failed}")


def broadcast_finished(total: int, sent: int, blocked: int, failed: int, seconds: float,
                       stopped: bool = False) -> str:
    head = "⏹ <b>Broadcast dihentikan</b> (bot berhenti)" if stopped else "✅ <b>Broadcast selesai</b>"
    minutes, secs = divmod(int(seconds), 60)
    return (f"{head}\nPenerima: {total}\nTerkirim: {sent}\nMemblokir bot: {blocked}\nGagal: {failed}\n"
            f"Waktu: {minutes}m {secs}d")


def broadcast_refused(description: str) -> str:
    return (f"⚠️ Pesan broadcast ditolak Telegram ({e(description)}); tidak dikirim ke siapa pun. "
            "Periksa teksnya lalu coba lagi.")

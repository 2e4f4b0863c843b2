"""Words that give a language away, for tests that check a text is all in one language.

Small lists of common words each language uses all the time and the other
never does (nor do the brand names and codes both show: QRIS, Pakasir, WIB,
Rp, invoice ids). A text in English with one of the Indonesian words in it
has a piece left untranslated, and the other way round.
"""
from __future__ import annotations

import re

INDONESIAN = frozenset({
    "ada", "akun", "bantuan", "barang", "batalkan", "bayar", "belum", "berhasil", "beli", "biaya", "bisa",
    "dan", "datang", "di", "dibayar", "habis", "halo", "harga", "ini", "isi", "jumlah", "kamu", "kasih",
    "kedaluwarsa", "kembali", "ke", "lagi", "lunas", "menit", "pembayaran", "pesanan", "pilih", "produk",
    "riwayat", "saldo", "sampai", "selamat", "silakan", "stok", "sudah", "terima", "tidak", "untuk", "yang",
})
ENGLISH = frozenset({
    "account", "amount", "and", "are", "back", "balance", "buy", "cancel", "cancelled", "choose", "expired",
    "for", "help", "here", "history", "is", "item", "items", "left", "not", "now", "of", "order", "orders",
    "paid", "payment", "pick", "please", "price", "product", "products", "sold", "stock", "thank", "thanks",
    "the", "to", "top", "welcome", "with", "yet", "you", "your",
})

_WORD = re.compile(r"[A-Za-z]+")


def giveaways(text: str, words: frozenset[str], besides: tuple[str, ...] = ()) -> set[str]:
    """The words of ``words`` in ``text``, once the strings ``besides`` (names, goods, ids) are taken out."""
    for content in sorted(besides, key=len, reverse=True):
        if content:
            text = text.replace(content, " ")
    return {word for word in map(str.lower, _WORD.findall(text)) if word in words}

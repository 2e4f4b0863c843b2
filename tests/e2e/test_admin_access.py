"""Admin commands are invisible to everyone else: the unknown-command answer, nothing changed."""
from __future__ import annotations

from quickcart.qr import render_qr_png
from tests.admin_words import says
from tests.e2e.admin_helpers import db_snapshot, start_admin, started

EVERY_ADMIN_COMMAND = [
    "/admin",
    "/addproduct Produk Palsu | Hack | 1000 | 900 | coba",
    "/editproduct {product} price=1",
    "/products",
    "/enable {product}",
    "/disable {product}",
    "/addstock {product}\nstolen-1@mail.test:pw\nstolen-2@mail.test:pw",
    "/stock {product}",
    "/user {victim}",
    "/ban {victim} iseng",
    "/unban {victim}",
    "/setrole {me} reseller",
    "/addbalance {me} 1000000 gratis",
    "/order {invoice}",
    "/orders 50",
    "/recheck {invoice}",
    "/stats",
    "/broadcast Promo palsu, klik link ini",
    "/maintenance on",
    "/backup",
    "/ADMIN",
    "/stats@quickcart_test_bot",
]


def test_non_admins_get_the_unknown_command_answer_and_nothing_changes(shop, telegram, pakasir):
    admin = start_admin(telegram)
    victim = started(telegram, 8001, "Korban")
    product = shop.add_product(lines=["real-1@mail.test:pw"])
    probe = started(telegram, 8100, "Penguji")
    not_a_command, not_understood = says("gate.unknown_command"), says("gate.unknown_text")
    offered = says("contact.offer")
    probe.send_text("/tidakada")
    unknown_command = probe.wait_for_message(contains=not_a_command)
    probe.send_document("catatan.txt", b"halo\n", caption="halo")
    unknown_file = probe.wait_for_message(contains=not_understood)
    probe.send_photo(render_qr_png("foto"), caption="halo")
    unknown_photo = probe.wait_for_message(contains=offered)  # like any photo outside a flow

    # Customers may send 10 commands a minute, so the attempts are spread over a few of them.
    intruders = [started(telegram, 8200 + i, f"Penyusup {i}") for i in range(4)]
    greeting = len([m for m in intruders[0].messages if m.from_bot])  # sticker and welcome
    before = db_snapshot()
    admin_seen = len(admin.messages)
    tries = {intruder.id: 0 for intruder in intruders}
    for i, text in enumerate(EVERY_ADMIN_COMMAND):
        intruder = intruders[i // 6]
        intruder.send_text(text.format(product=product.id, victim=victim.id, me=intruder.id,
                                       invoice="TRX20990101ABCDEF"))
        tries[intruder.id] += 1
        answer = intruder.wait_for_message(contains=not_a_command)
        assert answer.plain_text() == unknown_command.plain_text(), text
        assert answer.reply_markup == unknown_command.reply_markup
    intruder = intruders[-1]
    intruder.send_document("stok.txt", b"stolen-3@mail.test:pw\n", caption=f"/addstock {product.id}")
    assert intruder.wait_for_message(contains=not_understood).plain_text() == unknown_file.plain_text()
    intruder.send_photo(render_qr_png("promo"), caption="/broadcast Promo palsu")
    assert intruder.wait_for_message(contains=offered).plain_text() == unknown_photo.plain_text()
    tries[intruder.id] += 2

    assert db_snapshot() == before
    for user in intruders:  # one answer per attempt, nothing else
        assert len([m for m in user.messages if m.from_bot]) == greeting + tries[user.id]
    assert len(admin.messages) == admin_seen
    assert all("Promo" not in m.plain_text() for m in victim.messages)

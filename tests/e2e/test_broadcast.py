"""Broadcasts reach every reachable user once, at Telegram's pace, in the background."""
from __future__ import annotations

import json
import time

import pytest
from peewee import fn

from quickcart.db import immediate
from quickcart.models import AuditLog, User
from quickcart.qr import render_qr_png
from tests.admin_words import pattern, says, syntax_of, usage_of
from tests.e2e.admin_helpers import ask, db_snapshot, greeted, start_admin
from tests.e2e.conftest import ADMIN_ID


def register_many(telegram, ids, *, started: bool = True, in_telegram: bool = True, **flags) -> None:
    """Users in the shop's database (as if they had used the bot before) and, optionally, in Telegram."""
    seq = User.select(fn.MAX(User.bank_seq)).scalar() or 0
    rows = [{"id": user_id, "name": f"Pelanggan {user_id}", "bank_seq": seq + n, "bank_id": f"USR{seq + n:03d}",
             **flags} for n, user_id in enumerate(ids, start=1)]
    with immediate():
        for start in range(0, len(rows), 500):
            User.insert_many(rows[start:start + 500]).execute()
    if in_telegram:
        if started:
            telegram.mark_started(ids)
        else:
            for user_id in ids:
                telegram.user(user_id, f"Pelanggan {user_id}")


def copies_of(telegram, user_id: int, text: str) -> int:
    return sum(1 for m in telegram.chat(user_id).bot_messages() if text in m.plain_text())


def shows_progress(message) -> bool:
    return pattern("admin.broadcast.progress").search(message.plain_text()) is not None


def shows_report(message) -> bool:
    return pattern("admin.broadcast.finished").search(message.plain_text()) is not None


def final_report(admin, timeout: float = 30.0) -> dict[str, int]:
    """The figures of the finished broadcast's report (the message, not the progress edited into it)."""
    report = admin.wait_for_message(lambda m: not m.edited and shows_report(m), timeout=timeout).plain_text()
    return {name: int(value) for name, value in pattern("admin.broadcast.summary").search(report).groupdict().items()}


@pytest.mark.timeout(300)  # about 70 s: 1,951 messages at Telegram's 30 a second
def test_broadcast_to_2000_users_keeps_to_telegram_limits_and_counts_the_blocked(shop, telegram):
    admin = start_admin(telegram)
    reachable = list(range(100_000, 101_875))
    known_blocked = list(range(101_875, 101_915))  # blocked the bot, and the shop heard about it
    banned = list(range(101_915, 101_925))
    never_started = list(range(102_000, 102_060))  # Telegram answers 403: counted as blocked
    unknown = list(range(103_000, 103_015))  # Telegram answers 400 "chat not found": failed
    register_many(telegram, reachable + known_blocked)
    register_many(telegram, banned, is_banned=True)
    register_many(telegram, never_started, started=False)
    register_many(telegram, unknown, in_telegram=False)
    assert User.select().where(User.id != ADMIN_ID).count() == 2_000
    for user_id in known_blocked:
        telegram.user(user_id).block_bot()
    telegram.wait_until(lambda: User.select().where(User.blocked_bot).count() == len(known_blocked),
                        timeout=20, what="the shop to learn who blocked it")
    telegram.enforce_limits = True
    text = "📣 Promo 12.12: diskon 12% & bonus saldo <hari ini saja>!"

    started_at = time.monotonic()
    admin.send_text(f"/broadcast {text}")
    admin.wait_for_message(shows_progress)
    telegram.wait_until(lambda: copies_of(telegram, reachable[100], text), timeout=20, what="the broadcast")
    latecomer = telegram.user(99, "Pembeli Baru")
    latecomer.send_text("/start")  # the bot answers customers while broadcasting
    latecomer.wait_for_message(greeted, timeout=5)
    report = final_report(admin, timeout=180)
    took = time.monotonic() - started_at

    assert telegram.stats.unhonoured_429 == 0
    recipients = 1 + len(reachable) + len(never_started) + len(unknown)
    assert (report["total"], report["sent"], report["blocked"], report["failed"]) == (
        recipients, 1 + len(reachable), len(never_started), len(unknown))
    assert all(copies_of(telegram, user_id, text) == 1 for user_id in reachable + [ADMIN_ID])
    assert all(copies_of(telegram, user_id, text) == 0 for user_id in known_blocked + banned + never_started)
    assert User.select().where(User.id.in_(never_started) & User.blocked_bot).count() == len(never_started)
    edited = admin.wait_for_message(lambda m: m.edited and (shows_progress(m) or shows_report(m)), timeout=1,
                                    after=admin.messages[0])
    assert len(edited.history) >= 3  # edited every few seconds along the way
    finished = telegram.wait_until(lambda: AuditLog.get_or_none(AuditLog.action == "broadcast.finish"),
                                   what="the audit")
    assert json.loads(finished.after)["sent"] == 1 + len(reachable) and finished.actor_id == ADMIN_ID
    assert took < 120, f"the broadcast took {took:.0f}s"


def test_users_who_blocked_the_bot_are_marked_and_skipped_next_time(shop, telegram):
    admin = start_admin(telegram)
    register_many(telegram, range(300, 306))
    register_many(telegram, [400, 401], started=False)
    admin.send_text("/broadcast Halo semua")
    first = final_report(admin)
    assert (first["sent"], first["blocked"], first["failed"]) == (7, 2, 0)
    assert User.select().where(User.blocked_bot).count() == 2
    telegram.user(302).block_bot()  # this one the shop hears about
    telegram.wait_until(lambda: User.get_by_id(302).blocked_bot, what="the block to be noticed")
    admin.send_text("/broadcast Halo lagi")
    second = final_report(admin)
    assert (second["total"], second["sent"], second["blocked"]) == (6, 6, 0)
    assert [copies_of(telegram, user_id, "Halo lagi") for user_id in (300, 302, 400)] == [1, 0, 0]


def test_a_photo_broadcast_carries_its_caption_as_written(shop, telegram):
    admin = start_admin(telegram)
    register_many(telegram, [500, 501])
    caption = "Stok baru <Netflix> & Spotify — cek menu 🛍 Produk"
    admin.send_photo(render_qr_png("promo"), caption=f"/broadcast {caption}")
    final_report(admin)
    for user_id in (500, 501):
        [photo] = [m for m in telegram.chat(user_id).bot_messages() if m.kind == "photo"]
        assert photo.plain_text() == caption and photo.file.image_format == "png"


def test_only_one_broadcast_runs_at_a_time(shop, telegram):
    admin = start_admin(telegram)
    register_many(telegram, range(600, 680))
    admin.send_text("/broadcast Pertama")
    admin.wait_for_message(shows_progress)
    ask(admin, "/broadcast Kedua", says("admin.broadcast.busy"))
    final_report(admin)
    assert all(copies_of(telegram, user_id, "Kedua") == 0 for user_id in range(600, 680))
    before = db_snapshot()
    assert usage_of("broadcast") in ask(admin, "/broadcast", syntax_of("broadcast")).plain_text()
    assert usage_of("broadcast") in ask(admin, "/broadcast   \n  ", syntax_of("broadcast")).plain_text()
    assert db_snapshot() == before


def test_a_message_telegram_refuses_for_the_admin_goes_to_nobody(shop, telegram):
    admin = start_admin(telegram)
    register_many(telegram, range(800, 810))
    # The progress message and the admin's own copy both fail, as a message Telegram cannot parse would.
    telegram.faults.add("sendMessage", status=400, description="Bad Request: can't parse entities",
                        chat_id=ADMIN_ID, times=2)
    admin.send_text("/broadcast Halo")
    admin.wait_for_message(lambda m: pattern("admin.broadcast.refused").search(m.plain_text()))
    assert all(copies_of(telegram, user_id, "Halo") == 0 for user_id in range(800, 810))
    finished = AuditLog.get(AuditLog.action == "broadcast.finish")
    assert json.loads(finished.after)["outcome"] == "refused"


def test_stopping_the_shop_ends_a_running_broadcast_cleanly(shop, telegram):
    admin = start_admin(telegram)
    register_many(telegram, range(700, 1000))
    admin.send_text("/broadcast Pengumuman panjang")
    telegram.wait_until(lambda: copies_of(telegram, 720, "Pengumuman panjang"), timeout=20, what="the broadcast")
    stopping = time.monotonic()
    assert shop.stop() == 0
    assert time.monotonic() - stopping < 8
    admin.wait_for_message(lambda m: pattern("admin.broadcast.stopped").search(m.plain_text()))
    reached = sum(copies_of(telegram, user_id, "Pengumuman panjang") for user_id in range(700, 1000))
    assert 0 < reached < 300
    finished = AuditLog.get(AuditLog.action == "broadcast.finish")
    assert json.loads(finished.after)["outcome"] == "stopped"

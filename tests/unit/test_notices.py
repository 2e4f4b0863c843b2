"""Admin notices: coalesced when they come faster than Telegram lets us send them."""
from __future__ import annotations

from quickcart.notices import AdminNotifier
from tests.words import fragment

ADMIN = 555


def test_a_burst_of_notices_arrives_as_few_messages_in_order(telegram, sender):
    telegram.user(ADMIN, "Admin").send_text("/start")
    notifier = AdminNotifier(sender, [ADMIN])
    for i in range(60):
        notifier.notify(f"💸 Penjualan #{i:02d}")
    notifier.start()
    telegram.wait_until(lambda: "#59" in "".join(m.text for m in telegram.chat(ADMIN).bot_messages()))
    notifier.stop()
    messages = [m.text for m in telegram.chat(ADMIN).bot_messages()]
    assert len(messages) <= 2
    joined = "\n\n".join(messages)
    assert [f"#{i:02d}" for i in range(60)] == [line.split()[-1] for line in joined.split("\n\n")]


def test_errors_are_throttled_to_one_notice_per_quiet_period(telegram, sender):
    telegram.user(ADMIN, "Admin").send_text("/start")
    notifier = AdminNotifier(sender, [ADMIN], error_quiet_seconds=3600)
    notifier.start()
    for _ in range(100):
        notifier.error("RuntimeError while handling an update")
    notifier.stop()
    messages = [m.plain_text() for m in telegram.chat(ADMIN).bot_messages()]
    assert len(messages) == 1 and fragment("notice.error") in messages[0]

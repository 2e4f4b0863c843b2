"""A storm of new users: 1,000 press /start at the same instant (a link shared in a big group).

The shop answers each /start with the welcome sticker and the greeting: two
sends a user, 2,000 in all, which Telegram's 30 a second lets through in no
less than 66.7 s. The Telegram stand-in enforces one limit model
(``--limits default|strict|both``; see ``quickcart/sandbox/telegram_limits.py``):
the strict one counts any sliding second, gives a chat a burst of 3 and makes
a bot that keeps hitting the limit wait longer each time.

Figures, per model: from the first /start to the last answer stored, as a
multiple of the time the limit allows (target ≤ 1.1); the 429s as a share of
the sends (target ≤ 1 %, none ignored); /start → greeting per user.

    .venv/bin/python bench/storm.py [--users 1000] [--limits both]
"""
from __future__ import annotations

import argparse
import sys
import time

from common import Harness, Report, bench_command, limit_models, print_report, summarize, text_of

from quickcart.sandbox.telegram_limits import LimitModel

USER_BASE = 7_000_000
TELEGRAM_RATE = 30.0  # what the limit allows a bot, in any model
GREETING = "Selamat datang"


def run(report: Report, limits: LimitModel, users: int = 1_000) -> None:
    harness = Harness(f"storm-{limits.name}", admin=False, limits=limits)
    try:
        harness.open_db()
        harness.start()
        _storm(report, harness, limits, users)
    finally:
        harness.close()


def _storm(report: Report, harness: Harness, limits: LimitModel, users: int) -> None:
    telegram = harness.telegram
    people = [telegram.user(USER_BASE + n, f"Pelanggan Baru {n}") for n in range(users)]
    expected = 2 * users
    stored_before = telegram.stats.messages_sent
    before_429, before_unhonoured = telegram.stats.responses_429, telegram.stats.unhonoured_429
    since = time.time()
    for person in people:
        person.send_text("/start")
    deadline = time.monotonic() + 3 * expected / TELEGRAM_RATE + 30
    while telegram.stats.messages_sent - stored_before < expected and time.monotonic() < deadline:
        time.sleep(0.2)

    chats = {person.id for person in people}
    answers = [r for r in list(telegram.request_log)
               if r.time >= since and r.status == 200 and r.chat_id in chats]
    greeted = {r.chat_id: r.time for r in answers if r.method == "sendMessage" and GREETING in text_of(r)}
    stickered = {r.chat_id for r in answers if r.method == "sendSticker"}
    answered = sum(1 for chat in chats if chat in greeted and chat in stickered)
    took = max(r.time for r in answers) - since if answers else float("nan")
    allowed = len(answers) / TELEGRAM_RATE
    ratio = took / allowed if answers else float("nan")
    refused = telegram.stats.responses_429 - before_429
    unhonoured = telegram.stats.unhonoured_429 - before_unhonoured
    share = refused / max(1, len(answers))
    label = f"({limits.name} limits)"

    report.add("storm", f"{users:,} new users press /start at once {label}: all answered",
               f"{took:.1f} s = {ratio:.3f} × the limit's {allowed:.1f} s", "≤ 1.1×, all answered",
               ratio <= 1.1 and answered == users,
               f"{answered:,}/{users:,} got sticker and greeting; {len(answers):,} sends at "
               f"{len(answers) / took:.2f}/s; {limits.describe()}")
    report.add("storm", f"  429 answers {label}", f"{refused} of {len(answers):,} sends = {100 * share:.2f} %",
               "≤ 1 %, 0 unhonoured", share <= 0.01 and unhonoured == 0,
               f"unhonoured: {unhonoured}; longest retry_after {telegram.flood.longest_retry_after} s")
    report.add("storm", f"  /start → greeting {label}", summarize([greeted[c] - since for c in greeted]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--limits", default="both", help="default, strict or both")
    args = parser.parse_args()
    report = Report(bench_command("storm.py", *sys.argv[1:]))
    for model in limit_models(args.limits):
        run(report, model, users=args.users)
    print_report(report, "storm")

"""The front door: /start, the main menu, /health, and a clean stop."""
from __future__ import annotations

import time

from quickcart.models import User
from tests.words import button, fragment, says

MENU_ROWS = (("menu.products", "menu.balance"), ("menu.history", "menu.account"), ("menu.help", "menu.contact"))


def test_start_registers_the_user_and_shows_sticker_and_menu(shop, telegram):
    alice = telegram.user(5001, "Alice", username="alice_id")
    alice.send_text("/start")
    greeting = alice.wait_for_message(contains=fragment("start.welcome"))
    kinds = [message.kind for message in telegram.chat(alice.id).bot_messages()]
    assert kinds[:2] == ["sticker", "text"]
    assert "Alice" in greeting.plain_text() and "Toko Demo" in greeting.plain_text()
    assert telegram.chat(alice.id).reply_keyboard == [[button(key) for key in row] for row in MENU_ROWS]
    user = User.get_by_id(alice.id)
    assert (user.name, user.username, user.bank_id, user.member_status) == ("Alice", "alice_id", "USR001", "customer")
    assert says("start.admin_entry").strip() not in greeting.plain_text()


def test_an_admins_start_shows_the_way_to_the_admin_commands(shop, telegram):
    admin = telegram.user(900_001, "Bos")
    admin.send_text("/start")
    greeting = admin.wait_for_message(contains=fragment("start.welcome"))
    assert says("start.admin_entry").strip() in greeting.plain_text()


def test_start_again_updates_the_name_and_keeps_the_member_id(shop, telegram):
    bob = telegram.user(5002, "Bob")
    bob.send_text("/start")
    bob.wait_for_message(contains=fragment("start.welcome"))
    renamed = telegram.user(5003, "Charlie")
    renamed.send_text("/start")
    renamed.wait_for_message(contains=fragment("start.welcome"))
    assert User.get_by_id(5003).bank_id == "USR002"


def test_help_and_unknown_texts_get_friendly_answers(shop, telegram):
    dina = telegram.user(5004, "Dina")
    dina.send_text("/start")
    dina.wait_for_message(contains=fragment("start.welcome"))
    dina.tap_keyboard(button("menu.help"))
    dina.wait_for_message(contains=fragment("start.help"))
    dina.send_text("/tidakada")
    dina.wait_for_message(contains=says("gate.unknown_command"))
    dina.send_text("halo?")
    dina.wait_for_message(contains=says("contact.offer"))  # not understood: offered to the admins


def test_health_reports_each_service(shop):
    response = shop.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["services"] == {"database": "ok", "scheduler": "ok", "polling": "ok", "telegram": "ok",
                                "pakasir_api": "ok"}
    assert body["timestamp"].endswith("Z")


def test_sigterm_stops_everything_within_seconds(shop):
    started = time.monotonic()
    assert shop.stop() == 0
    assert time.monotonic() - started < 8
    assert "stopped" in shop.logs()


def test_a_sigterm_and_a_ctrl_c_arriving_together_still_stop_cleanly(make_shop):
    import os
    import signal

    for _ in range(6):
        shop = make_shop()
        os.kill(shop.process.pid, signal.SIGTERM)
        os.kill(shop.process.pid, signal.SIGINT)
        assert shop.process.wait(timeout=10) == 0
        assert "stopped" in shop.logs()


def test_an_unwritable_database_directory_is_one_line_and_status_2(make_shop, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    shop = make_shop(overrides={"database": {"path": blocker / "quickcart.db"}}, wait=False)
    shop.expected_status = 2
    assert shop.process.wait(timeout=20) == 2
    lines = shop.logs().strip().splitlines()
    assert lines[-1].startswith("quickcart: cannot start: database.path:") and "Traceback" not in shop.logs()


def test_sigterm_while_web_requests_are_in_flight_stops_cleanly(make_shop):
    import threading

    import requests

    for _ in range(3):
        shop = make_shop()
        stop = threading.Event()

        def hammer(url=shop.web_url, stop=stop):
            session = requests.Session()
            while not stop.is_set():
                try:
                    session.get(url + "/health", timeout=2)
                except requests.RequestException:
                    pass

        clients = [threading.Thread(target=hammer) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            started = time.monotonic()
            assert shop.stop() == 0
            assert time.monotonic() - started < 3, "idle keep-alive connections held the stop"
        finally:
            stop.set()
            for client in clients:
                client.join()
        logs = shop.logs()
        assert "Traceback" not in logs and "Bad file descriptor" not in logs, logs[-2000:]

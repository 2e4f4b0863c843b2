"""The gate: membership changes count only in private chats; commands for other bots are ignored."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from telebot import types

from quickcart.handlers.gate import Gate, addressed_bot
from quickcart.i18n import speaker
from quickcart.models import User
from tests.unit.helpers import make_user

BOT = {"id": 123456, "is_bot": True, "first_name": "Toko", "username": "toko_test_bot"}
ADMIN = {"id": 900001, "is_bot": False, "first_name": "Admin"}
_update_ids = itertools.count(1)


class Dispatched:
    """Stands in for the dispatcher: what the gate let through."""

    def __init__(self):
        self.updates: list[types.Update] = []

    def __call__(self, app, update: types.Update, user) -> None:
        self.updates.append(update)


class FakeDelivery:
    def __init__(self):
        self.redelivered_to: list[int] = []

    def redeliver_to(self, user_id: int) -> None:
        self.redelivered_to.append(user_id)


@pytest.fixture
def gate(db):
    app = SimpleNamespace(sender=SimpleNamespace(answer=lambda *a, **k: None, post_text=lambda *a, **k: None),
                          notifier=SimpleNamespace(error=lambda text: None), is_admin=lambda user_id: False,
                          delivery=FakeDelivery(), say=lambda user=None: speaker())
    gate = Gate(app, Dispatched(), bot_username="Toko_Test_Bot")
    gate.delivery = app.delivery
    return gate


def membership(chat: dict, old: str, new: str, by: dict = ADMIN) -> types.Update:
    return types.Update.de_json({"update_id": next(_update_ids), "my_chat_member": {
        "chat": chat, "from": by, "date": 1_760_000_000,
        "old_chat_member": {"user": BOT, "status": old}, "new_chat_member": {"user": BOT, "status": new}}})


def private_chat(user: dict) -> dict:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def text_message(user: dict, text: str) -> types.Update:
    return types.Update.de_json({"update_id": next(_update_ids), "message": {
        "message_id": next(_update_ids), "from": user, "chat": private_chat(user), "date": 1_760_000_000,
        "text": text}})


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
def test_an_admin_removing_the_bot_from_a_group_is_not_marked_as_blocking_it(gate, chat_type):
    make_user(ADMIN["id"], "Admin")
    group = {"id": -100123, "type": chat_type, "title": "Grup Reseller"}
    gate.handle(membership(group, "member", "left"))
    gate.handle(membership(group, "member", "kicked"))
    assert User.get_by_id(ADMIN["id"]).blocked_bot is False


def test_being_added_to_a_group_does_not_trigger_a_redelivery(gate):
    make_user(ADMIN["id"], "Admin")
    gate.handle(membership({"id": -100123, "type": "supergroup", "title": "Grup"}, "left", "member"))
    assert gate.delivery.redelivered_to == []


def test_a_user_blocking_and_unblocking_the_bot_in_private_is_followed(gate):
    make_user(ADMIN["id"], "Admin")
    gate.handle(membership(private_chat(ADMIN), "member", "kicked"))
    assert User.get_by_id(ADMIN["id"]).blocked_bot is True
    gate.handle(membership(private_chat(ADMIN), "kicked", "member"))
    assert User.get_by_id(ADMIN["id"]).blocked_bot is False
    assert gate.delivery.redelivered_to == [ADMIN["id"]]


def test_a_command_addressed_to_another_bot_is_ignored_entirely(gate):
    customer = {"id": 5001, "is_bot": False, "first_name": "Citra"}
    gate.handle(text_message(customer, "/start@otherbot"))
    gate.handle(text_message(customer, "/produk@other_shop_bot 5"))
    assert gate._dispatch.updates == []
    assert User.get_or_none(User.id == 5001) is None, "not even registered"


@pytest.mark.parametrize("text", ["/start", "/start@toko_test_bot", "/START@TOKO_TEST_BOT", "halo @otherbot",
                                  "/addstock@toko_test_bot 5\nkode-1"])
def test_our_commands_with_or_without_our_name_and_plain_texts_go_through(gate, text):
    gate.handle(text_message({"id": 5002, "is_bot": False, "first_name": "Dewi"}, text))
    assert len(gate._dispatch.updates) == 1


def test_until_the_bot_knows_its_own_name_no_command_is_refused_for_its_name(gate):
    gate.bot_username = None
    gate.handle(text_message({"id": 5003, "is_bot": False, "first_name": "Eka"}, "/start@whoever_bot"))
    assert len(gate._dispatch.updates) == 1


@pytest.mark.parametrize("text, expected", [
    ("/start@toko_bot", "toko_bot"), ("/addstock@toko_bot 5\nline", "toko_bot"), ("/start@toko_bot\nx", "toko_bot"),
    ("/start", None), ("/start 5", None), ("email a@b.c", None), ("", None), (None, None), ("/a@", ""),
])
def test_addressed_bot_reads_the_name_after_the_command(text, expected):
    assert addressed_bot(text) == expected

"""The Telegram stand-in behaves like the Bot API for the real pyTelegramBotAPI client."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import telebot
from telebot import apihelper, types
from telebot.apihelper import ApiTelegramException

from quickcart.sandbox.telegram_server import LimitModel, TelegramStandIn

CHAT = 1001


def png(width: int, height: int) -> bytes:
    """A valid, tiny RGB PNG, built without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


def keyboard(*buttons: tuple[str, str]) -> types.InlineKeyboardMarkup:
    markup = types.InlineKeyboardMarkup()
    markup.row(*(types.InlineKeyboardButton(text, callback_data=data) for text, data in buttons))
    return markup


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    saved = apihelper.API_URL, apihelper.FILE_URL
    with TelegramStandIn() as standin:
        apihelper.API_URL, apihelper.FILE_URL = standin.api_url, standin.file_url
        try:
            yield standin
        finally:
            apihelper.API_URL, apihelper.FILE_URL = saved


@pytest.fixture
def bot(telegram: TelegramStandIn) -> telebot.TeleBot:
    return telebot.TeleBot(telegram.token, threaded=False)


@pytest.fixture
def budi(telegram: TelegramStandIn):
    user = telegram.user(CHAT, "Budi", username="budi")
    user.send_text("/start")
    return user


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def poll_now(telegram: TelegramStandIn, offset: int | None = None) -> list[dict]:
    """getUpdates with timeout=0 (telebot itself turns a zero long-polling timeout into 10 s)."""
    params = {"timeout": 0} if offset is None else {"timeout": 0, "offset": offset}
    url = telegram.api_url.format(telegram.token, "getUpdates")
    return requests.get(url, params=params, timeout=5).json()["result"]


def api_error(call) -> ApiTelegramException:
    with pytest.raises(ApiTelegramException) as caught:
        call()
    return caught.value


# --- updates ------------------------------------------------------------------------------

def test_long_polling_returns_as_soon_as_an_update_arrives(telegram, bot, pool):
    user = telegram.user(CHAT)
    poll = pool.submit(bot.get_updates, timeout=15, long_polling_timeout=10)
    telegram.wait_until(lambda: telegram.stats.get_updates_calls == 1, timeout=5, what="the poll to start")

    sent_at = time.monotonic()
    user.send_text("/start")
    updates = poll.result(timeout=5)

    assert time.monotonic() - sent_at < 1.0
    assert [u.message.text for u in updates] == ["/start"]
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)


def test_a_command_with_arguments_gets_an_entity_for_the_command_only(telegram, bot):
    telegram.user(CHAT).send_text("/addstock 5\nline1\nline2")
    message = bot.get_updates(long_polling_timeout=1)[0].message
    assert message.text == "/addstock 5\nline1\nline2"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 9)]


def test_a_confirmed_update_is_not_delivered_again_but_an_unconfirmed_one_is(telegram, bot):
    user = telegram.user(CHAT)
    user.send_text("first")
    user.send_text("second")

    first_poll = bot.get_updates(long_polling_timeout=1)
    assert [u.message.text for u in first_poll] == ["first", "second"]
    # A bot restarting without confirming gets both again (that is how redelivery works).
    assert [u.update_id for u in bot.get_updates(long_polling_timeout=1)] == [u.update_id for u in first_poll]

    after_first = bot.get_updates(offset=first_poll[0].update_id + 1, long_polling_timeout=1)
    assert [u.message.text for u in after_first] == ["second"]
    assert [u.message.text for u in bot.get_updates(long_polling_timeout=1)] == ["second"]
    assert poll_now(telegram, offset=first_poll[1].update_id + 1) == []


def test_update_ids_increase_and_limit_caps_the_batch(telegram, bot):
    user = telegram.user(CHAT)
    for n in range(5):
        user.send_text(f"m{n}")
    batch = bot.get_updates(limit=2, long_polling_timeout=1)
    assert [u.message.text for u in batch] == ["m0", "m1"]
    everything = bot.get_updates(long_polling_timeout=1)
    ids = [u.update_id for u in everything]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_a_second_concurrent_get_updates_terminates_the_waiting_one_with_409(telegram, bot, pool):
    older = pool.submit(bot.get_updates, timeout=15, long_polling_timeout=10)
    telegram.wait_until(lambda: telegram.stats.get_updates_calls == 1, timeout=5, what="the first poll")
    newer = pool.submit(bot.get_updates, timeout=15, long_polling_timeout=10)

    error = older.exception(timeout=5)
    assert isinstance(error, ApiTelegramException)
    assert error.error_code == 409
    assert error.description.startswith("Conflict: terminated by other getUpdates request")

    telegram.user(CHAT).send_text("hello")
    assert [u.message.text for u in newer.result(timeout=5)] == ["hello"]


def test_blocking_the_bot_forbids_sends_and_produces_my_chat_member_updates(telegram, bot, budi):
    budi.block_bot()

    error = api_error(lambda: bot.send_message(CHAT, "promo"))
    assert (error.error_code, error.description) == (403, "Forbidden: bot was blocked by the user")
    assert api_error(lambda: bot.send_chat_action(CHAT, "typing")).error_code == 403

    budi.unblock_bot()
    updates = bot.get_updates(long_polling_timeout=1)
    changes = [(u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status) for u in updates
               if u.my_chat_member]
    assert changes == [("member", "kicked"), ("kicked", "member")]
    bot.send_message(CHAT, "welcome back")


def test_a_user_who_never_wrote_cannot_be_messaged(telegram, bot):
    telegram.user(2002, "Sari")
    error = api_error(lambda: bot.send_message(2002, "hi"))
    assert (error.error_code, error.description) == (403, "Forbidden: bot can't initiate conversation with a user")
    assert api_error(lambda: bot.send_message(999999, "hi")).description == "Bad Request: chat not found"


# --- sending and validation ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "1 < 2",
    "Tom & Jerry",
    "a > b",
    "<b>bold",
    "<b>x</i>",
    "x</b>",
    "<script>x</script>",
    '<span class="other">x</span>',
])
def test_html_that_telegram_cannot_parse_is_refused(bot, budi, text):
    error = api_error(lambda: bot.send_message(CHAT, text, parse_mode="HTML"))
    assert error.error_code == 400
    assert error.description.startswith("Bad Request: can't parse entities: ")


def test_escaped_html_is_accepted_and_shown_unescaped(telegram, bot, budi):
    sent = bot.send_message(CHAT, '<b>Total</b>: 1 &lt; 2 &amp; "A" &gt; &#66; <a href="https://x.id/?a=1&amp;b=2">link</a>',
                            parse_mode="HTML")
    assert sent.text == 'Total: 1 < 2 & "A" > B link'
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5), ("text_link", 23, 4)]
    stored = telegram.chat(CHAT).last_bot_message
    assert stored.parse_mode == "HTML" and stored.text.startswith("<b>Total</b>")
    assert stored.plain_text() == 'Total: 1 < 2 & "A" > B link'


def test_markdown_with_an_unbalanced_marker_is_refused(bot, budi):
    markdown = api_error(lambda: bot.send_message(CHAT, "user_name", parse_mode="Markdown"))
    markdown_v2 = api_error(lambda: bot.send_message(CHAT, "Rp 1.000", parse_mode="MarkdownV2"))
    assert "can't parse entities" in markdown.description
    assert "can't parse entities" in markdown_v2.description
    assert bot.send_message(CHAT, "*bold* user\\_name", parse_mode="Markdown").text == "bold user_name"


def test_text_limit_counts_characters_after_entity_parsing(bot, budi):
    bot.send_message(CHAT, "x" * 4096)
    bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    bot.send_message(CHAT, "&amp;" * 4096, parse_mode="HTML")
    assert api_error(lambda: bot.send_message(CHAT, "x" * 4097)).description == "Bad Request: message is too long"
    assert api_error(lambda: bot.send_message(CHAT, "<b></b>", parse_mode="HTML")).description == \
        "Bad Request: message text is empty"


def test_caption_limit_is_1024_characters(bot, budi):
    bot.send_photo(CHAT, png(2, 2), caption="c" * 1024)
    error = api_error(lambda: bot.send_photo(CHAT, png(2, 2), caption="c" * 1025))
    assert error.description == "Bad Request: message caption is too long"


def test_callback_data_may_be_at_most_64_bytes(bot, budi):
    bot.send_message(CHAT, "ok", reply_markup=keyboard(("A", "é" * 32)))
    error = api_error(lambda: bot.send_message(CHAT, "too long", reply_markup=keyboard(("A", "é" * 33))))
    assert error.description == "Bad Request: BUTTON_DATA_INVALID"


def test_inline_buttons_need_a_valid_action(bot, budi):
    bad_url = types.InlineKeyboardMarkup([[types.InlineKeyboardButton("Pay", url="javascript:alert(1)")]])
    assert "is invalid" in api_error(lambda: bot.send_message(CHAT, "x", reply_markup=bad_url)).description
    text_only = types.InlineKeyboardMarkup([[types.InlineKeyboardButton("Nothing")]])
    refused = api_error(lambda: bot.send_message(CHAT, "x", reply_markup=text_only))
    assert "Text buttons are unallowed" in refused.description


def test_a_photo_sent_by_telebot_is_kept_byte_exact_and_its_buttons_are_pressable(telegram, bot, budi):
    image = png(512, 384)
    sent = bot.send_photo(CHAT, image, caption="<b>QRIS</b> Rp 10.000", parse_mode="HTML",
                          reply_markup=keyboard(("✅ Cek status", "pay:check:42"), ("❌ Batal", "pay:cancel:42")))
    assert (sent.photo[-1].width, sent.photo[-1].height) == (512, 384)
    assert sent.caption == "QRIS Rp 10.000"

    stored = telegram.chat(CHAT).last_bot_message
    assert stored.kind == "photo" and stored.photo == image
    assert stored.button_texts() == ["✅ Cek status", "❌ Batal"]

    query_id = budi.press(stored, "Cek status")
    update = bot.get_updates(long_polling_timeout=1)[-1]
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "pay:check:42"
    assert update.callback_query.message.photo[-1].file_id == sent.photo[-1].file_id

    bot.answer_callback_query(query_id, "Belum dibayar", show_alert=True)
    answer = budi.wait_for_answer(query_id, timeout=5)
    assert (answer.text, answer.show_alert) == ("Belum dibayar", True)
    # Telegram lets the bot resend a photo it already uploaded by file_id.
    assert bot.send_photo(CHAT, sent.photo[-1].file_id).photo[-1].file_unique_id == sent.photo[-1].file_unique_id


@pytest.mark.parametrize("photo", ["data:image/png;base64,iVBORw0KGgo=", "https://example.com/qr.png", "not-a-file-id"])
def test_a_photo_by_unknown_string_is_refused(bot, budi, photo):
    error = api_error(lambda: bot.send_photo(CHAT, photo))
    assert error.description == "Bad Request: wrong remote file identifier specified: Wrong character in the string"


def test_documents_round_trip_in_both_directions(telegram, bot, budi):
    content = b"akun1@mail.com:pw1\r\nakun2@mail.com:pw2\n\x00\xff"
    budi.send_document("stok akun.txt", content, caption="/addstock 7")
    message = bot.get_updates(long_polling_timeout=1)[-1].message
    assert message.document.file_name == "stok akun.txt"
    assert [(e.type, e.length) for e in message.caption_entities] == [("bot_command", 9)]
    file_info = bot.get_file(message.document.file_id)
    assert file_info.file_size == len(content)
    assert bot.download_file(file_info.file_path) == content

    delivered = b"order #42\nakun1@mail.com:pw1\n"
    sent = bot.send_document(CHAT, ("pesanan 42.txt", delivered), caption="Terima kasih")
    assert (sent.document.file_name, sent.document.file_size) == ("pesanan 42.txt", len(delivered))
    stored = telegram.chat(CHAT).last_bot_message
    assert (stored.kind, stored.document, stored.document_name) == ("document", delivered, "pesanan 42.txt")


def test_replies_carry_the_message_they_answer_one_level_deep_in_updates_and_callbacks(telegram, bot, budi):
    question = budi.send_text("stok kapan ada?")
    bot.get_updates(long_polling_timeout=1)
    offer = bot.send_message(CHAT, "Kirim ke admin?", reply_parameters=types.ReplyParameters(question.message_id),
                             reply_markup=keyboard(("Kirim", "send")))
    assert offer.reply_to_message.text == "stok kapan ada?"
    budi.press(telegram.chat(CHAT).last_bot_message, "Kirim")
    press = bot.get_updates(long_polling_timeout=1, offset=-1)[-1].callback_query
    assert press.message.reply_to_message.message_id == question.message_id
    assert press.message.reply_to_message.text == "stok kapan ada?"

    answer = budi.send_text("ini jawabannya", reply_to=offer.message_id)
    update = bot.get_updates(long_polling_timeout=1, offset=-1)[-1].message
    assert update.message_id == answer.message_id and update.reply_to_message.message_id == offer.message_id
    assert update.reply_to_message.reply_to_message is None, "Telegram nests one level only"

    bot.delete_message(CHAT, offer.message_id)
    bot.send_message(CHAT, "tanpa induk", reply_to_message_id=offer.message_id, allow_sending_without_reply=True)
    error = api_error(lambda: bot.send_message(CHAT, "x", reply_parameters=types.ReplyParameters(
        offer.message_id, allow_sending_without_reply=False)))
    assert error.description == "Bad Request: message to be replied not found"


# --- edits, deletes, callback answers -----------------------------------------------------

def test_an_edit_that_changes_nothing_is_refused(bot, budi):
    markup = keyboard(("Refresh", "refresh"))
    sent = bot.send_message(CHAT, "<b>Saldo</b>: 0", parse_mode="HTML", reply_markup=markup)
    error = api_error(lambda: bot.edit_message_text("<b>Saldo</b>: 0", CHAT, sent.message_id, parse_mode="HTML",
                                                    reply_markup=markup))
    assert error.description.startswith("Bad Request: message is not modified")
    # Same text with different markup is a change; leaving the markup out removes the keyboard.
    bot.edit_message_text("<b>Saldo</b>: 0", CHAT, sent.message_id, parse_mode="HTML",
                          reply_markup=keyboard(("Top up", "topup")))
    edited = bot.edit_message_text("<b>Saldo</b>: 0", CHAT, sent.message_id, parse_mode="HTML")
    assert edited.reply_markup is None


def test_edits_and_deletes_of_missing_or_unsuitable_messages_are_refused(bot, budi):
    photo = bot.send_photo(CHAT, png(1, 1), caption="qr")
    assert api_error(lambda: bot.edit_message_text("x", CHAT, photo.message_id)).description == \
        "Bad Request: there is no text in the message to edit"
    assert bot.edit_message_caption("qr paid", CHAT, photo.message_id).caption == "qr paid"
    bot.delete_message(CHAT, photo.message_id)
    assert api_error(lambda: bot.delete_message(CHAT, photo.message_id)).description == \
        "Bad Request: message to delete not found"
    assert api_error(lambda: bot.edit_message_caption("again", CHAT, photo.message_id)).description == \
        "Bad Request: message to edit not found"


def test_a_callback_query_can_be_answered_once_and_only_within_15_minutes(telegram, bot, budi):
    menu = bot.send_message(CHAT, "Menu", reply_markup=keyboard(("🛍 Produk", "products")))
    first = budi.press(menu, "🛍 Produk")
    bot.answer_callback_query(first)
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert api_error(lambda: bot.answer_callback_query(first)).description == too_old
    assert api_error(lambda: bot.answer_callback_query("123")).description == too_old

    late = budi.press(menu, "products")
    telegram.advance_clock(15 * 60 + 1)
    assert api_error(lambda: bot.answer_callback_query(late)).description == too_old
    assert api_error(lambda: bot.answer_callback_query(budi.press(menu, "Produk"), "x" * 201)).description == \
        "Bad Request: MESSAGE_TOO_LONG"


def test_pressing_a_button_that_is_not_there_fails_the_test_with_the_available_buttons(bot, budi):
    markup = keyboard(("🛍 Produk", "products"))
    markup.row(types.InlineKeyboardButton("Bantuan", url="https://t.me/quickcart_help"))
    menu = bot.send_message(CHAT, "Menu", reply_markup=markup)
    with pytest.raises(AssertionError, match="Produk"):
        budi.press(menu, "Saldo")
    with pytest.raises(AssertionError, match="not a callback button"):
        budi.press(menu, "Bantuan")
    assert budi.press_callback_data(menu, "💥" * 40)  # garbage data is allowed on purpose


def test_wait_for_message_also_sees_edits(bot, budi):
    budi.send_text("/beli 1")
    waiting = bot.send_message(CHAT, "⏳ Menunggu pembayaran")
    bot.edit_message_text("✅ Pembayaran diterima", CHAT, waiting.message_id)
    found = budi.wait_for_message(contains="diterima", timeout=5)
    assert found.message_id == waiting.message_id
    assert found.history == [("⏳ Menunggu pembayaran", None)]
    assert budi.wait_for_message(contains="Menunggu", timeout=5).message_id == waiting.message_id


def test_reply_keyboard_buttons_can_be_tapped_until_removed(telegram, bot, budi):
    menu = types.ReplyKeyboardMarkup(resize_keyboard=True)
    menu.row("🛍 Produk", "💰 Saldo")
    bot.send_message(CHAT, "Pilih menu", reply_markup=menu)
    assert telegram.chat(CHAT).reply_keyboard == [["🛍 Produk", "💰 Saldo"]]
    assert budi.tap_keyboard("💰 Saldo").text == "💰 Saldo"

    bot.send_message(CHAT, "Bye", reply_markup=types.ReplyKeyboardRemove())
    with pytest.raises(AssertionError, match="no reply keyboard"):
        budi.tap_keyboard("💰 Saldo")


def test_the_transcript_reads_like_the_chat(telegram, bot, budi):
    buttons = keyboard(("🛍 Produk", "products"), ("💰 Saldo", "balance"))
    menu = bot.send_message(CHAT, "<b>Halo</b> Budi &amp; teman", parse_mode="HTML", reply_markup=buttons)
    bot.answer_callback_query(budi.press(menu, "Produk"), "Memuat…")
    bot.edit_message_text("Halo <i>lagi</i>", CHAT, menu.message_id, parse_mode="HTML", reply_markup=buttons)
    bot.send_photo(CHAT, png(8, 4), caption="Scan QRIS")
    bot.delete_message(CHAT, bot.send_message(CHAT, "oops").message_id)
    bot.send_document(CHAT, ("a.txt", b"123"))

    assert telegram.render_transcript(CHAT).splitlines() == [
        "👤 Budi: /start",
        "🤖 bot: Halo lagi (edited)",
        "    [ 🛍 Produk ] [ 💰 Saldo ]",
        "👤 Budi pressed [ 🛍 Produk ] on message 2",
        "    ↳ 🔔: Memuat…",
        "🤖 bot: [photo 8x4 png, caption: Scan QRIS]",
        "🤖 bot: oops (deleted)",
        "🤖 bot: [document a.txt, 3 bytes]",
    ]


def test_a_timed_out_wait_names_what_it_waited_for_and_shows_the_chat(telegram, budi):
    with pytest.raises(AssertionError) as caught:
        telegram.wait_until(lambda: False, timeout=0.1, what="the receipt")
    assert "the receipt" in str(caught.value)
    assert "👤 Budi: /start" in str(caught.value)


# --- faults and limits --------------------------------------------------------------------

def test_a_fault_injected_once_happens_once(telegram, bot, budi):
    telegram.faults.add("sendMessage", status=500)
    error = api_error(lambda: bot.send_message(CHAT, "first try"))
    assert (error.error_code, error.description) == (500, "Internal Server Error")
    bot.send_message(CHAT, "second try")

    assert [m.text for m in telegram.chat(CHAT).bot_messages()] == ["second try"]
    assert len(telegram.stats.faults_fired) == 1 and telegram.faults.pending() == []


def test_a_fault_can_target_one_chat(telegram, bot, budi):
    telegram.user(2002, "Sari").send_text("/start")
    telegram.faults.add("SENDMESSAGE", status=403, chat_id=2002, times=2)
    bot.send_message(CHAT, "ok")
    assert api_error(lambda: bot.send_message(2002, "x")).description == "Forbidden: bot was blocked by the user"
    assert api_error(lambda: bot.send_message(2002, "x")).error_code == 403
    bot.send_message(2002, "ok now")


def test_a_429_fault_carries_retry_after_and_ignoring_it_is_counted(telegram, bot, budi):
    telegram.faults.add("sendMessage", status=429, retry_after=7)
    error = api_error(lambda: bot.send_message(CHAT, "promo"))
    assert error.error_code == 429
    assert error.description == "Too Many Requests: retry after 7"
    assert error.result_json["parameters"]["retry_after"] == 7

    again = api_error(lambda: bot.send_message(CHAT, "promo"))  # a bot that did not wait
    assert again.error_code == 429 and again.result_json["parameters"]["retry_after"] >= 6
    assert (telegram.stats.responses_429, telegram.stats.unhonoured_429) == (2, 1)
    assert telegram.chat(CHAT).bot_messages() == []


def test_flood_limits_answer_429_until_the_announced_window_passes(bot):
    limited = TelegramStandIn(enforce_limits=True,
                              limits=LimitModel("test", global_rate=1000, global_burst=1000, chat_burst=3))
    with limited:
        apihelper.API_URL = limited.api_url
        limited.user(CHAT).send_text("/start")
        limited.user(2002).send_text("/start")
        for n in range(3):
            bot.send_message(CHAT, f"burst {n}")
        error = api_error(lambda: bot.send_message(CHAT, "one too many"))
        retry_after = error.result_json["parameters"]["retry_after"]
        assert error.error_code == 429 and retry_after >= 1
        bot.send_message(2002, "other chats are not limited")
        assert limited.stats.unhonoured_429 == 0

        time.sleep(retry_after)  # what a well-behaved bot does
        bot.send_message(CHAT, "after waiting")
        assert limited.stats.unhonoured_429 == 0
        assert [m.text for m in limited.chat(CHAT).bot_messages()][-1] == "after waiting"


def test_a_dropped_connection_reaches_the_client_as_a_connection_error(telegram, bot, budi):
    telegram.faults.add("sendMessage", drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.send_message(CHAT, "lost")
    bot.send_message(CHAT, "delivered")
    assert [m.text for m in telegram.chat(CHAT).bot_messages()] == ["delivered"]
    assert [r.status for r in telegram.request_log if r.method == "sendMessage"] == [0, 200]


def test_a_delayed_answer_times_out_the_client_but_the_message_is_still_sent(telegram, bot, budi):
    telegram.faults.add("sendMessage", delay=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        bot.send_message(CHAT, "slow", timeout=0.1)
    telegram.wait_until(lambda: telegram.chat(CHAT).bot_messages(), timeout=5, what="the slow message")


def test_a_get_updates_outage_fails_every_poll_until_it_ends(telegram, bot):
    telegram.faults.fail_get_updates(30, status=502)
    for _ in range(2):
        error = api_error(lambda: bot.get_updates(long_polling_timeout=5))
        assert (error.error_code, error.description) == (502, "Bad Gateway")
    telegram.faults.clear()
    assert poll_now(telegram) == []


# --- HTTP surface -------------------------------------------------------------------------

def test_tokens_methods_and_body_encodings_follow_the_bot_api(telegram, budi):
    session = requests.Session()
    wrong_token = session.get(telegram.api_url.format("999:WRONG", "getMe"))
    assert (wrong_token.status_code, wrong_token.json()) == (401, {"ok": False, "error_code": 401,
                                                                    "description": "Unauthorized"})
    unknown = session.get(telegram.api_url.format(telegram.token, "sendTelepathy"))
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    url = telegram.api_url.format(telegram.token, "SENDMESSAGE")
    as_json = session.post(url, json={"chat_id": CHAT, "text": "json",
                                      "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}})
    assert as_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    as_form = session.post(url, data={"chat_id": str(CHAT), "text": "form & more"})
    assert as_form.json()["result"]["text"] == "form & more"
    assert [r.method for r in telegram.request_log][-2:] == ["sendMessage", "sendMessage"]


def test_concurrent_sends_to_many_chats_are_all_recorded_in_order(telegram, bot):
    users = [telegram.user(3000 + n) for n in range(8)]
    for user in users:
        user.send_text("/start")

    def send_ten(chat_id: int) -> None:
        for n in range(10):
            bot.send_message(chat_id, f"#{n}")

    threads = [threading.Thread(target=send_ten, args=(user.id,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    for user in users:
        sent = telegram.chat(user.id).bot_messages()
        assert [m.text for m in sent] == [f"#{n}" for n in range(10)]
        assert [m.message_id for m in sent] == list(range(2, 12))
    assert telegram.stats.requests["sendMessage"] == 80


def test_a_polling_telebot_converses_with_a_user(telegram):
    shop = telebot.TeleBot(telegram.token, threaded=False)

    @shop.message_handler(commands=["start"])
    def start(message):
        shop.send_message(message.chat.id, f"Halo <b>{message.from_user.first_name}</b>", parse_mode="HTML",
                          reply_markup=keyboard(("💰 Saldo", "balance")))

    @shop.callback_query_handler(func=lambda call: call.data == "balance")
    def balance(call):
        shop.answer_callback_query(call.id)
        shop.edit_message_text("Saldo: Rp 0", call.message.chat.id, call.message.message_id)

    poller = threading.Thread(target=shop.polling, kwargs={"non_stop": True, "long_polling_timeout": 1})
    poller.start()
    try:
        budi = telegram.user(CHAT, "Budi")
        budi.send_text("/start")
        greeting = budi.wait_for_message(contains="Halo Budi", timeout=5)
        query_id = budi.press(greeting, "Saldo")
        assert budi.wait_for_message(contains="Saldo: Rp 0", timeout=5).message_id == greeting.message_id
        budi.wait_for_answer(query_id, timeout=5)
    finally:
        shop.stop_polling()
        poller.join(timeout=5)
    assert not poller.is_alive()


def test_a_restarted_stand_in_keeps_its_port_and_pending_updates(telegram, bot):
    telegram.user(CHAT).send_text("sent before the outage")
    telegram.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.get_me()
    telegram.start()
    assert telegram.api_url == apihelper.API_URL
    assert [u.message.text for u in bot.get_updates(long_polling_timeout=1)] == ["sent before the outage"]

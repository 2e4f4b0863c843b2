"""Sending files: a retried upload arrives whole, and no upload's bytes are ever formatted into a log line."""
from __future__ import annotations

import logging

CHAT = 4242


def test_a_file_sent_again_after_a_server_error_arrives_whole(telegram, sender, tmp_path):
    telegram.user(CHAT, "Bos").send_text("/start")
    data = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "ekspor.zip"
    path.write_bytes(data)
    telegram.faults.add("sendDocument", status=502, chat_id=CHAT)
    with open(path, "rb") as upload:
        sender.send_document(CHAT, "ekspor.zip", upload)
    stored = telegram.chat(CHAT).last_bot_message
    assert stored.document == data and len(telegram.stats.faults_fired) == 1


def test_uploads_never_reach_a_log_line_even_at_debug(telegram, sender, caplog, tmp_path):
    telegram.user(CHAT, "Bos").send_text("/start")
    caplog.set_level(logging.DEBUG, logger="TeleBot")  # pyTelegramBotAPI's own logger
    secret = b"goods:rahasia-" * 70_000  # ~1 MB
    sender.send_document(CHAT, "barang.txt", secret)
    path = tmp_path / "backup.db"
    path.write_bytes(secret)
    with open(path, "rb") as upload:
        sender.send_document(CHAT, "backup.db", upload)
    assert telegram.chat(CHAT).last_bot_message.document == secret
    assert max(len(record.getMessage()) for record in caplog.records) < 2_000
    assert not any("rahasia" in record.getMessage() for record in caplog.records)

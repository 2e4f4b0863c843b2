"""Admins run the shop: its figures, maintenance mode, a backup, a broadcast to everyone."""
from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from telebot import types

from quickcart import admin_views, audit, backup, settings, stats
from quickcart.admin_syntax import CommandText, UsageError, parse_no_arguments, parse_switch
from quickcart.broadcast import Broadcast
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.models import User

log = logging.getLogger(__name__)

MAX_BACKUP_BYTES = 50 * 1024 * 1024  # what Telegram lets a bot upload

_BROADCAST_PREFIX = re.compile(r"^\s*/broadcast(?:@\w+)?\s*", re.IGNORECASE)


def stats_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    parse_no_arguments("stats", command.argument)
    reply(app, message, admin_views.stats(app.say(admin), stats.shop_stats()))


def maintenance(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    on = parse_switch("maintenance", command.argument)
    was_on = settings.switch_maintenance(admin.id, on)
    reply(app, message, admin_views.maintenance_switched(app.say(admin), on, was_on))


def backup_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    say = app.say(admin)
    parse_no_arguments("backup", command.argument)
    name = backup.backup_name()
    with tempfile.TemporaryDirectory(prefix="quickcart-backup-") as directory:
        try:
            path = backup.make_backup(Path(directory) / name)
        except backup.BackupError:
            log.exception("backup failed")
            reply(app, message, say("admin.backup.failed"))
            return
        size = path.stat().st_size
        if size > MAX_BACKUP_BYTES:
            reply(app, message, say("admin.backup.too_big", megabytes=admin_views.megabytes(size, 0),
                                    limit=admin_views.megabytes(MAX_BACKUP_BYTES, 0)))
            return
        app.sender.send_document(message.chat.id, name, path.read_bytes(),
                                 caption=say("admin.backup.caption", megabytes=admin_views.megabytes(size)))
    audit.record_now("backup.sent", actor_id=admin.id, subject="database", detail=f"{name}, {size} bytes")


def broadcast_text(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    text = _BROADCAST_PREFIX.sub("", message.html_text or "", count=1).strip()
    if not text:
        raise UsageError("broadcast", "admin.reason.empty_broadcast")
    _broadcast(app, message, admin, text)


def broadcast_photo(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    caption = _BROADCAST_PREFIX.sub("", message.html_caption or "", count=1).strip()
    _broadcast(app, message, admin, caption, photo=message.photo[-1].file_id)  # the largest size


def _broadcast(app: App, message: types.Message, admin: User, text: str, photo: str | None = None) -> None:
    say = app.say(admin)
    if not app.broadcaster.start(Broadcast(admin.id, message.chat.id, say, text, photo)):
        reply(app, message, say("admin.broadcast.busy"))

"""Admins run the shop: its figures (with a chart), CSV exports, maintenance mode, a backup, a broadcast."""
from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

from telebot import types

from quickcart import admin_views, audit, backup, charts, exports, referrals, settings, stats, warranty
from quickcart.admin_syntax import CommandText, UsageError, parse_no_arguments, parse_period, parse_switch
from quickcart.broadcast import Broadcast
from quickcart.delivery import plain_length
from quickcart.handlers.admin_reply import reply
from quickcart.handlers.context import App
from quickcart.models import User
from quickcart.telegram.pacing import URGENT, sending_priority
from quickcart.telegram.sender import MAX_CAPTION
from quickcart.timeutil import jakarta_today

log = logging.getLogger(__name__)

MAX_BACKUP_BYTES = 50 * 1024 * 1024  # what Telegram lets a bot upload
MAX_UPLOAD_BYTES = MAX_BACKUP_BYTES
ZIP_ABOVE_BYTES = 8 * 1024 * 1024  # a bigger CSV goes zipped: smaller to upload, and less to hold while sending

_BROADCAST_PREFIX = re.compile(r"^\s*/broadcast(?:@\w+)?\s*", re.IGNORECASE)


def stats_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """``/stats``: the overview (as ``GET /admin/stats``, and the top referrers); ``/stats 30d``: a period's
    figures and their chart."""
    say = app.say(admin)
    period = parse_period("stats", command.argument, jakarta_today())
    if period is None:
        reply(app, message, admin_views.stats_overview(say, stats.shop_stats(), warranty.claims_per_product(),
                                                       referrals.top()))
        return
    figures = stats.period_figures(period)
    text = admin_views.period_stats(say, figures)
    if period.days == 1:
        reply(app, message, text)
        return
    png = charts.period_chart(admin_views.chart_words(say, app.config.shop.name, period),
                              admin_views.chart_days(say, figures), admin_views.chart_products(figures),
                              money=say.money, number=say.number)
    with sending_priority(URGENT):  # the admin is waiting for it; the chart first, the figures in its caption
        if plain_length(text) <= MAX_CAPTION:
            app.sender.send_photo(message.chat.id, png, text, filename="stats.png")
        else:
            app.sender.send_photo(message.chat.id, png, admin_views.period_title(say, period), filename="stats.png")
            reply(app, message, text)


def export_command(app: App, message: types.Message, command: CommandText, admin: User) -> None:
    """``/export [dari] [sampai]``: orders (with items) and the ledger as CSV documents."""
    say = app.say(admin)
    period = parse_period("export", command.argument, jakarta_today())
    reply(app, message, say("admin.export.preparing", range=admin_views.export_range(say, period)))
    with tempfile.TemporaryDirectory(prefix="quickcart-export-") as directory:
        for kind in (exports.ORDERS, exports.LEDGER):
            _send_export(app, message, admin, kind, period, Path(directory))


def _send_export(app: App, message: types.Message, admin: User, kind: str, period, directory: Path) -> None:
    say = app.say(admin)
    name = admin_views.export_file_name(say, kind, period)
    path = directory / name
    count = exports.write_csv(path, kind, period)
    zipped = path.stat().st_size > ZIP_ABOVE_BYTES
    if zipped:
        path = exports.zip_file(path, name)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        reply(app, message, say("admin.export.too_big", file=name, megabytes=admin_views.megabytes(size, 0),
                                limit=admin_views.megabytes(MAX_UPLOAD_BYTES, 0)))
        return
    with open(path, "rb") as upload:
        app.sender.send_document(message.chat.id, path.name, upload,
                                 caption=admin_views.export_caption(say, kind, period, count, zipped))
    audit.record_now("export.sent", actor_id=admin.id, subject=kind,
                     detail=f"{admin_views.export_range(say, period)}: {count} rows, {size} bytes")


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
        with open(path, "rb") as upload:
            app.sender.send_document(message.chat.id, name, upload,
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

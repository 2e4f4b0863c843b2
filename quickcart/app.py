"""Building and running the shop: one process, four moving parts.

Long polling (with its lanes), the scheduler, the web server and the admin
notice thread. :meth:`QuickCart.start` brings them up in dependency order;
:meth:`QuickCart.stop` takes them down in reverse, letting in-flight work
finish: polling stops taking updates, lanes finish what they hold, the web
server stops taking webhooks, scheduled jobs complete, notices are flushed.
Anything cut short is resumable: payments are re-polled and undelivered
orders re-sent by the recovery jobs on the next start.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from peewee import OperationalError
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException
from telebot.types import BotCommand

from quickcart import exports, stats, stock, stock_key, users
from quickcart.admin_cards import AdminDesk
from quickcart.broadcast import Broadcaster
from quickcart.config import Config
from quickcart.db import close_database, database, open_database
from quickcart.decisions import Decisions
from quickcart.delivery import Delivery
from quickcart.gateways import build_gateway
from quickcart.handlers.context import App
from quickcart.handlers.dispatch import dispatch
from quickcart.handlers.gate import Gate
from quickcart.i18n import TELEGRAM_MENUS, catalogue, speaker
from quickcart.migrations import migrate
from quickcart.models import ProcessedUpdate, User
from quickcart.notices import AdminNotifier, PaymentNotices
from quickcart.payments import PaymentService
from quickcart.restock import RestockAlerts
from quickcart.scheduler import Jobs
from quickcart.telegram.polling import Poller
from quickcart.telegram.sender import Sender
from quickcart.telegram.transport import TelegramTransport
from quickcart.timeutil import iso_utc, utcnow
from quickcart.web import WebHandlers, create_app
from quickcart.web_server import WebServer
from quickcart.webhook import WebhookHandler

log = logging.getLogger(__name__)

# While the payment gateway is down it is probed this often, so that the orders an outage
# held are settled within seconds of its return.
WATCH_GATEWAY_SECONDS = 3


class StartupError(Exception):
    """Start-up cannot go on; the message is one line naming the cause."""


def _admin_reachable(admin_id: int) -> bool:
    user = User.get_or_none(User.id == admin_id)
    return user is None or not user.blocked_bot


class QuickCart:
    def __init__(self, config: Config):
        self.config = config
        self.transport = TelegramTransport(config.telegram.api_url)
        self.bot = TeleBot(config.telegram.token, threaded=False, parse_mode=None)
        self.sender = Sender(self.bot, on_blocked=users.mark_blocked)
        self.gateway = build_gateway(config.payment)
        self.notifier = AdminNotifier(self.sender, config.telegram.admin_ids,
                                      is_reachable=_admin_reachable)
        self.delivery = Delivery(self.sender, self.notifier)
        self.desk = AdminDesk(self.notifier, config.shop.manual_sla_minutes)
        self.decisions = Decisions(self.sender)
        self.restock = RestockAlerts(self.sender)
        self.payment_notices = PaymentNotices(self.notifier, self.sender, self.delivery, self.gateway,
                                              config.shop.low_stock_threshold, desk=self.desk)
        self.payments = PaymentService(config, self.gateway, self.payment_notices)
        self.broadcaster = Broadcaster(self.sender)
        self.app = App(config=config, sender=self.sender, gateway=self.gateway, payments=self.payments,
                       delivery=self.delivery, notifier=self.notifier, broadcaster=self.broadcaster,
                       texts=catalogue(), desk=self.desk, decisions=self.decisions, restock=self.restock)
        self.gate = Gate(self.app, dispatch)
        self.poller = Poller(self.bot, self.gate.handle, own_lanes=config.telegram.admin_ids)
        self.jobs = Jobs(on_error=self.notifier.error)
        self.web: WebServer | None = None
        self._directory_lock: stock_key.DirectoryLock | None = None
        self.gateway.health.listener = self._gateway_changed

    # --- wiring -----------------------------------------------------------------

    def _schedule_jobs(self) -> None:
        interval = self.config.payment.poll_interval_seconds
        self.jobs.every(max(1, interval / 2), self.payments.poll_pending, "poll-payments")
        self.jobs.every(5, self.payments.expire_stale, "expire-orders")
        self.jobs.every(30, self.delivery.redeliver, "redeliver")
        self.jobs.every(30, self.decisions.retell, "retell-decisions")
        self.jobs.every(60, self.desk.remind_overdue, "manual-sla-reminders")
        self.jobs.every(WATCH_GATEWAY_SECONDS, self._watch_gateway, "gateway-health")
        self.jobs.every(600, stock.release_orphans, "release-orphans")
        self.jobs.every(60, self.notifier.flush_errors, "flush-error-notices")
        self.jobs.every(3600, self._prune_processed_updates, "prune-updates", first_run_in=60)

    def _recover(self) -> None:
        """After a start: settle what the last run left half-done."""
        expired = self.payments.expire_stale()
        released = stock.release_orphans()
        paid = self.payments.poll_pending()
        delivered = self.delivery.redeliver()
        mismatched = stock.verify_counts()
        if mismatched:
            log.error("stock_count differs from available lines for products %s", mismatched)
        log.info("recovery: %d expired, %d lines released, %d paid while away, %d re-delivered",
                 expired, released, paid, delivered)

    def _watch_gateway(self) -> None:
        # Real calls keep the health state fresh; probe when they are quiet,
        # and at every run while down so "back up" is noticed quickly.
        health = self.gateway.health
        if not health.up or time.monotonic() - health.last_ok > 60:
            self.gateway.probe()

    def _gateway_changed(self, up: bool) -> None:
        self.payment_notices.gateway_changed(up)
        if up:
            # Webhooks answered 503, presses and expiries that could not ask:
            # settle all of them now rather than on the next cycles.
            self.payments.after_outage()
            self.jobs.run_now("poll-payments")
            self.jobs.run_now("expire-orders")

    @staticmethod
    def _prune_processed_updates() -> None:
        # Telegram keeps unconfirmed updates for 24 hours; two days is safe.
        ProcessedUpdate.delete().where(ProcessedUpdate.created_at < utcnow() - timedelta(days=2)).execute()

    # --- lifecycle ----------------------------------------------------------------

    def open(self) -> None:
        """Open the database, unlock its stock lines, and migrate it."""
        try:
            open_database(self.config.database.path)
            self._directory_lock = stock_key.DirectoryLock(self.config.database.path, exclusive=False)
            stock_key.unlock(self.config.database)
            migrate(database)
        except stock_key.StockKeyError as exc:
            raise StartupError(str(exc)) from None
        except (OSError, OperationalError) as exc:
            raise StartupError(f"database.path: cannot open {self.config.database.path} ({exc}); its directory "
                               "must exist and be writable by the user QuickCart runs as") from None

    def start(self) -> None:
        started = time.monotonic()
        self.open()
        self.transport.install()
        self._check_token()
        self._schedule_jobs()
        try:
            self.web = WebServer(create_app(self._web_handlers()), self.config.web.host,
                                 self.config.web.port)
        except OSError as exc:
            raise StartupError(f"web.port: cannot listen on {self.config.web.host}:"
                               f"{self.config.web.port} ({exc.strerror or exc})") from None
        self.sender.outbox.start()
        self.notifier.start()
        self.restock.start()
        self.jobs.once(self._recover, "recovery")
        self.jobs.start()
        self.web.start()
        self.poller.start()
        log.info("QuickCart started in %.2fs: web on %s:%s, %d admin(s)", time.monotonic() - started,
                 self.config.web.host, self.web.port, len(self.config.telegram.admin_ids))

    def stop(self) -> None:
        log.info("stopping")
        self.poller.stop()
        self.broadcaster.stop()
        self.restock.stop()
        self.sender.outbox.stop()
        if self.web is not None:
            self.web.stop()
        self.jobs.stop()
        self.payments.stop()
        self.delivery.stop()
        self.decisions.stop()
        self.notifier.stop()
        self.transport.close()
        close_database()
        if self._directory_lock is not None:
            self._directory_lock.release()
        log.info("stopped")

    def _check_token(self) -> None:
        try:
            me = self.bot.get_me()
        except ApiTelegramException as exc:
            if exc.error_code in (401, 404):
                raise StartupError("telegram.token: rejected by Telegram (401 Unauthorized); "
                                   "copy it again from @BotFather") from None
            log.warning("getMe failed (%s); polling will keep trying", exc.description)
            return
        except Exception as exc:
            log.warning("Telegram unreachable at start-up (%s); polling will keep trying",
                        exc.__class__.__name__)
            return
        log.info("bot is @%s", me.username)
        self.gate.bot_username = me.username
        self.app.bot.username = me.username
        self._set_command_menus()

    def _set_command_menus(self) -> None:
        """Telegram's command menu in each user's language (Telegram picks it by their app's language)."""
        for telegram_code, language in TELEGRAM_MENUS.items():
            commands = [BotCommand(name, about) for name, about in self.app.command_menu(speaker(language))]
            try:
                self.bot.set_my_commands(commands, language_code=telegram_code or None)
            except Exception as exc:
                log.warning("setMyCommands (%s) failed: %s", telegram_code or "default", exc.__class__.__name__)
                return

    # --- HTTP -------------------------------------------------------------------------

    def _web_handlers(self) -> WebHandlers:
        webhook = WebhookHandler(self.payments, self.gateway, self.config.payment.webhook_secret)
        return WebHandlers(health=self.health, webhook=webhook, stats=stats.shop_stats, export=exports.stream,
                           admin_token=self.config.web.admin_token)

    def health(self) -> tuple[dict, int]:
        services: dict[str, str] = {}
        try:
            database.execute_sql("SELECT 1").fetchone()
            services["database"] = "ok"
        except Exception:
            log.exception("health: database check failed")
            services["database"] = "error"
        services["scheduler"] = "ok" if self.jobs.healthy else "stopped"
        polling_alive = self.poller.alive
        services["polling"] = "ok" if polling_alive else "stopped"
        # A long poll answers at least every 25 s; getMe at start-up counts too.
        last_contact = max(self.poller.health.last_poll_ok, self.transport.health.last_success)
        reachable = (time.monotonic() - last_contact < 60
                     and self.poller.health.consecutive_errors == 0)
        services["telegram"] = "ok" if reachable else "unreachable"
        gateway_api = f"{self.gateway.name}_api"  # "pakasir_api", as the seed names it
        services[gateway_api] = "ok" if self.gateway.health.up else "down"
        broken = (services["database"] != "ok" or services["scheduler"] != "ok"
                  or services["polling"] != "ok")
        degraded = services["telegram"] != "ok" or services[gateway_api] != "ok"
        status = "unhealthy" if broken else ("degraded" if degraded else "healthy")
        body = {"status": status, "timestamp": iso_utc(utcnow()), "services": services}
        return body, 503 if broken else 200

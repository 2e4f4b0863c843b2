"""The owner's checks, one line per check (``ok`` or ``FAIL`` and why).

``quickcart.py check-config``: is this configuration ready to go live? It
also warns about files other users can read: the configuration (secrets),
the database and its backups (customers and unsold goods), the log.
``quickcart.py check-data``: do the books add up (every balance equals its
ledger, every stock counter its lines, no reservation outlives its order)?

Exit status 0 when all pass, 1 otherwise. Nothing is written anywhere.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from peewee import JOIN, fn
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException

from quickcart.config import Config
from quickcart.gateways import build_gateway
from quickcart.gateways.base import GatewayRejected, GatewayUnavailable, TransactionNotFound
from quickcart.money import format_rupiah, qris_fee
from quickcart.telegram.transport import TelegramTransport


def _line(ok: bool, what: str, detail: str) -> bool:
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
    return ok


def check_telegram(config: Config) -> bool:
    transport = TelegramTransport(config.telegram.api_url, max_attempts=1)
    transport.install()
    try:
        me = TeleBot(config.telegram.token, threaded=False).get_me()
    except ApiTelegramException as exc:
        return _line(False, "telegram", f"{exc.error_code} {exc.description}")
    except requests.exceptions.RequestException as exc:
        return _line(False, "telegram", f"cannot reach {config.telegram.api_url} ({exc.__class__.__name__})")
    finally:
        transport.close()
    return _line(True, "telegram", f"token accepted, bot is @{me.username}")


def check_gateway(config: Config) -> bool:
    """The payment gateway answers and takes our credentials (an unknown order is "not found")."""
    gateway = build_gateway(config.payment, attempts=1)
    account, secret = gateway.credential_names
    if not gateway.probe():
        return _line(False, gateway.name, f"cannot reach {gateway.location}")
    try:
        gateway.detail("QUICKCART-CHECK", 1000)
    except TransactionNotFound:
        return _line(True, gateway.name, f"reachable; {account} {gateway.account!r} and {secret} accepted")
    except GatewayRejected as exc:
        return _line(False, gateway.name, f"{account} or {secret} refused ({exc})")
    except GatewayUnavailable as exc:
        return _line(False, gateway.name, f"lookup failed ({exc})")
    return _line(True, gateway.name, "reachable")


def check_database(config: Config) -> bool:
    path = Path(config.database.path)
    directory = path.parent
    if not directory.exists():
        return _line(os.access(directory.parent, os.W_OK), "database",
                     f"{directory} will be created" if os.access(directory.parent, os.W_OK)
                     else f"{directory} does not exist and cannot be created")
    writable = os.access(directory, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    return _line(writable, "database", f"{path} is writable" if writable else f"{path} is not writable")


MAX_BACKUPS_CHECKED = 1000


def private_paths(config: Config) -> Iterator[Path]:
    """Every existing file or directory of the shop that only its own user should read."""
    from quickcart.logging_setup import LOG_FILE_BACKUPS

    database = Path(config.database.path)
    backups = database.parent / "backups"
    candidates = [config.source, config.source.parent / ".env", database.parent, database,
                  database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm"), backups]
    if backups.is_dir():
        candidates += sorted(backups.glob("quickcart-*.db"))[:MAX_BACKUPS_CHECKED]
    if config.logging.file:
        log_file = Path(config.logging.file)
        candidates += [log_file] + [log_file.with_name(f"{log_file.name}.{n}") for n in range(1, LOG_FILE_BACKUPS + 1)]
    for path in candidates:
        if path.exists():
            yield path


def check_private_files(config: Config) -> None:
    """One warning for each file or directory other users can read, with the command that fixes it."""
    for path in private_paths(config):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH):
            private = "700" if path.is_dir() else "600"
            print(f"warn files: {path} is open to other users (mode {mode:04o}); fix: chmod {private} {path}")


def check_admins(config: Config) -> bool:
    """A shop needs someone to run it: sale notices, customers' messages and /admin go to the admins."""
    if config.telegram.admin_ids:
        return True
    return _line(False, "admins", "telegram.admin_ids is empty: nobody would get sale notices or customers' "
                                  "messages, or could run /admin; put your numeric Telegram id there "
                                  "(send anything to @userinfobot to learn it)")


def explain_fees(config: Config) -> None:
    """The fee settings in plain words: basis points are easy to misread."""
    payment = config.payment
    example = 50_000
    fee = qris_fee(example, payment.fee_percent_bp, payment.fee_flat)
    percent = f"{payment.fee_percent_bp / 100:g}%"
    print(f"info fees: customers pay {percent} + {format_rupiah(payment.fee_flat)} on top of each QRIS payment "
          f"(fee_percent_bp = {payment.fee_percent_bp} basis points = {percent}, fee_flat = {payment.fee_flat} "
          f"rupiah); a {format_rupiah(example)} order costs {format_rupiah(example + fee)}")


def check_config(config: Config) -> int:
    _line(True, "config", f"{config.source} is valid ({len(config.telegram.admin_ids)} admin id(s))")
    results = [check_admins(config), check_database(config), check_telegram(config), check_gateway(config)]
    check_private_files(config)
    explain_fees(config)
    if not config.web.admin_token:
        print("info web: web.admin_token is empty; GET /admin/stats and /admin/export.csv are off")
    return 0 if all(results) else 1


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str


# A pending QRIS order this long past its expiry means the expiry job is not
# closing it: Pakasir has been unreachable that long, or something is wrong.
OVERDUE_PENDING = timedelta(minutes=5)


def data_findings() -> list[Finding]:
    """The books, checked: one finding per invariant (on the bound database).

    Every balance equals its ledger; every stock counter its available
    lines; every reserved line belongs to a pending order, and no removed
    one to any; every paid purchase was settled (its stock lines sold to
    it, what was paid credited, or a manual order's fulfilment opened);
    each warranty replacement line was sold once and answers exactly one
    claim; each manual order was completed or refunded at most once; no
    order is left pending long past its expiry.
    """
    from quickcart import balance, referrals, stock
    from quickcart.db import database
    from quickcart.migrations import SCHEMA_VERSION, current_version
    from quickcart.models import (
        CREDITED,
        DELIVERED,
        MANUAL,
        PAID,
        PENDING,
        PURCHASE,
        QRIS,
        REMOVED,
        RESERVED,
        SOLD,
        STOCK,
        LedgerEntry,
        ManualFulfilment,
        Order,
        OrderItem,
        StockLine,
        User,
    )
    from quickcart.timeutil import utcnow

    findings = []
    version = current_version(database)
    findings.append(Finding(version == SCHEMA_VERSION, "schema", f"version {version}" + (
        "" if version == SCHEMA_VERSION else f" (this QuickCart expects {SCHEMA_VERSION}; start it to migrate)")))
    drift = balance.verify()
    findings.append(Finding(not drift, "ledger",
                            f"{User.select().count()} balances equal the sum of their ledger" if not drift else
                            "; ".join(f"user {d.user_id}: balance {d.balance} != ledger {d.ledger_sum}"
                                      for d in drift[:10])))
    counts = stock.verify_counts()
    findings.append(Finding(not counts, "stock",
                            "every product's stock count matches its available lines" if not counts else
                            "; ".join(f"product {pid}: counter {stored} != {actual} lines"
                                      for pid, stored, actual in counts[:10])))
    stray = (StockLine.select().join(Order, JOIN.LEFT_OUTER, on=(StockLine.order == Order.id))
             .where((StockLine.state == RESERVED) & (Order.id.is_null() | (Order.status != PENDING))).count())
    findings.append(Finding(stray == 0, "reservations",
                            "every reserved line belongs to a pending order" if stray == 0 else
                            f"{stray} line(s) reserved for no pending order "
                            "(released automatically within 10 minutes of running)"))
    held = StockLine.select().where((StockLine.state == REMOVED) & StockLine.order.is_null(False)).count()
    findings.append(Finding(held == 0, "removals",
                            "no removed stock line is held by an order" if held == 0 else
                            f"{held} removed stock line(s) still point at an order"))
    sold = (StockLine.select(StockLine.order, fn.COUNT(StockLine.id).alias("n"))
            .where(StockLine.state == SOLD).group_by(StockLine.order))
    ordered = (OrderItem.select(OrderItem.order, fn.SUM(OrderItem.quantity).alias("n"))
               .where(OrderItem.kind == STOCK).group_by(OrderItem.order))
    unsettled = [invoice for invoice, settlement, units, lines, fulfilment in
                 Order.select(Order.invoice_id, Order.settlement, ordered.c.n, sold.c.n, ManualFulfilment.id)
                 .join(ordered, JOIN.LEFT_OUTER, on=(ordered.c.order_id == Order.id))
                 .join(sold, JOIN.LEFT_OUTER, on=(sold.c.order_id == Order.id))
                 .join(ManualFulfilment, JOIN.LEFT_OUTER, on=(ManualFulfilment.order == Order.id))
                 .where((Order.status == PAID) & (Order.kind == PURCHASE)).tuples()
                 if not (settlement == CREDITED or (settlement == DELIVERED and (units or 0) == (lines or 0))
                         or (settlement == MANUAL and fulfilment is not None and not units))]
    findings.append(Finding(not unsettled, "settlement",
                            "every paid purchase has its lines sold to it, its payment credited, or an admin's "
                            "fulfilment" if not unsettled else f"{len(unsettled)} paid purchase(s) neither "
                            f"delivered, credited nor waiting for an admin: {', '.join(unsettled[:10])}"))
    wrong_refunds = [invoice for invoice, delta, paid, status, kind, settlement in
                     LedgerEntry.select(Order.invoice_id, LedgerEntry.delta, Order.total_bill, Order.status,
                                        Order.kind, Order.settlement)
                     .join(Order, JOIN.LEFT_OUTER, on=(LedgerEntry.order == Order.id))
                     .where(LedgerEntry.reason == balance.REFUND).tuples()
                     if not (status == PAID and kind == PURCHASE and settlement != CREDITED and 0 < delta <= paid)]
    findings.append(Finding(not wrong_refunds, "refunds",
                            "every refund gives back at most what was paid for a paid purchase, once"
                            if not wrong_refunds else f"{len(wrong_refunds)} refund(s) not for a paid purchase or "
                            f"over what was paid: {', '.join(str(i) for i in wrong_refunds[:10])}"))
    findings += [_replacements_finding(), _manual_decisions_finding()]
    findings.append(_promos_finding())
    wrong_referrals = referrals.books_drift()
    findings.append(Finding(not wrong_referrals, "referrals",
                            "every referral reward is for a paid purchase of a referred customer, credited once "
                            "and reversed by its refund" if not wrong_referrals else
                            f"{len(wrong_referrals)} order(s) whose referral reward does not add up: "
                            f"{', '.join(wrong_referrals[:10])}"))
    overdue = [invoice for (invoice,) in Order.select(Order.invoice_id).where(
        (Order.status == PENDING) & (Order.payment_method == QRIS)
        & (Order.expires_at < utcnow() - OVERDUE_PENDING)).tuples()]
    findings.append(Finding(not overdue, "expiry",
                            "no order is pending past its expiry" if not overdue else
                            f"{len(overdue)} order(s) pending more than {OVERDUE_PENDING.seconds // 60} minutes "
                            f"past expiry (closed as soon as Pakasir answers): {', '.join(overdue[:10])}"))
    return findings


def _replacements_finding() -> Finding:
    """Each warranty replacement line is sold once, to no order, and answers exactly one replaced claim."""
    from quickcart.models import REPLACED, SOLD, StockLine, WarrantyClaim

    claimed = WarrantyClaim.select(WarrantyClaim.replacement_line).where(WarrantyClaim.replacement_line.is_null(False))
    stray = [line_id for (line_id,) in StockLine.select(StockLine.id).where(
        (StockLine.state == SOLD) & StockLine.order.is_null() & StockLine.id.not_in(claimed)).tuples()]
    broken = [claim_id for claim_id, state, line_state, line_order in
              WarrantyClaim.select(WarrantyClaim.id, WarrantyClaim.state, StockLine.state, StockLine.order)
              .join(StockLine, JOIN.LEFT_OUTER, on=(WarrantyClaim.replacement_line == StockLine.id))
              .where((WarrantyClaim.state == REPLACED) | WarrantyClaim.replacement_line.is_null(False)).tuples()
              if state != REPLACED or line_state != SOLD or line_order is not None]
    detail = "every replacement line was sold once and answers one replaced claim"
    if stray or broken:
        detail = (f"{len(stray)} line(s) sold to no order and no claim (first: {stray[:5]}); "
                  f"{len(broken)} claim(s) without their one sold replacement (first: {broken[:5]})")
    return Finding(not stray and not broken, "replacements", detail)


def _manual_decisions_finding() -> Finding:
    """Each paid manual order has one fulfilment, decided at most once; a rejection has its one refund."""
    from quickcart import balance, manual
    from quickcart.models import REJECTED, AuditLog, LedgerEntry, ManualFulfilment, Order

    missing = manual.paid_without_fulfilment()
    decisions = (AuditLog.select(AuditLog.subject, fn.COUNT(AuditLog.id))
                 .where(AuditLog.action.in_(["manual.complete", "manual.reject"]))
                 .group_by(AuditLog.subject).having(fn.COUNT(AuditLog.id) > 1).tuples())
    twice = [subject.removeprefix("order:") for subject, _ in decisions]
    refunds = (LedgerEntry.select(LedgerEntry.order, fn.SUM(LedgerEntry.delta).alias("paid_back"))
               .where(LedgerEntry.reason == balance.REFUND).group_by(LedgerEntry.order))
    unrefunded = [invoice for invoice, owed, paid_back in
                  ManualFulfilment.select(Order.invoice_id, ManualFulfilment.refund_amount, refunds.c.paid_back)
                  .join(Order, on=(ManualFulfilment.order == Order.id))
                  .join(refunds, JOIN.LEFT_OUTER, on=(refunds.c.order_id == Order.id))
                  .where(ManualFulfilment.state == REJECTED).tuples()
                  if (owed or 0) != (paid_back or 0)]
    detail = "every manual order was completed or refunded at most once, each rejection refunded once"
    if missing or twice or unrefunded:
        detail = (f"paid without a fulfilment: {missing[:5]}; decided twice: {twice[:5]}; "
                  f"rejected without their one refund: {unrefunded[:5]}")
    return Finding(not (missing or twice or unrefunded), "fulfilment", detail)
def _promos_finding() -> Finding:
    """Promo codes: each counter equals its orders, and each order's price is its items less its discount."""
    from quickcart import promotions
    from quickcart.models import PURCHASE, Order, OrderItem

    drift = [f"{code}: {counter} {stored} != {counted} order(s)"
             for code, counter, stored, counted in promotions.counter_drift()]
    items = (OrderItem.select(OrderItem.order, fn.SUM(OrderItem.quantity * OrderItem.price_per_unit).alias("worth"))
             .group_by(OrderItem.order))
    mispriced = [invoice for (invoice,) in
                 Order.select(Order.invoice_id).join(items, on=(items.c.order_id == Order.id))
                 .where((Order.kind == PURCHASE) & (Order.promo.is_null(False) | (Order.discount != 0))
                        & (Order.promo.is_null() | (Order.discount <= 0)
                           | (Order.subtotal + Order.discount != items.c.worth))).tuples()]
    drift += [f"{invoice}: price is not its items less its discount" for invoice in mispriced]
    return Finding(not drift, "promos", "every code's uses equal its paid orders, its held uses its unpaid ones"
                   if not drift else "; ".join(drift[:10]))


def check_data(config: Config) -> int:
    """Read-only consistency checks of the shop's database."""
    from quickcart.db import close_database, open_database

    path = Path(config.database.path)
    if not path.exists():
        _line(False, "database", f"{path} does not exist")
        return 1
    open_database(path)
    try:
        results = [_line(finding.ok, finding.what, finding.detail) for finding in data_findings()]
    finally:
        close_database()
    return 0 if all(results) else 1

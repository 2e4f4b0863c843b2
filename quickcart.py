#!/usr/bin/env python3
"""QuickCart: run the shop.

    python quickcart.py --config config.ini            # the shop
    python quickcart.py --config config.ini check-config
    python quickcart.py --config config.ini check-data
    python quickcart.py --config config.ini backup [--output PATH]
    python quickcart.py --config config.ini rotate-key        # the shop stopped
    python quickcart.py --config config.ini reset-stock-key --yes   # only when the stock key is lost

Wiring only: load and validate the configuration, set up logging, build the
shop, start it, and stop it cleanly on SIGTERM or Ctrl-C.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

if sys.version_info < (3, 11):  # noqa: UP036 -- before importing anything that needs 3.11 (tomllib; the pinned libraries)
    sys.exit(f"quickcart: needs Python 3.11 or newer; this is {sys.version.split()[0]} (see the README's "
             f"'The two commands' for getting 3.11 on Ubuntu 22.04)")

from quickcart.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    # Before any file exists: the database, its WAL, backups and the log hold
    # customers' data and unsold goods, readable by the service user only
    # (directories 0700, files 0600), however the shop was started.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="quickcart.py", description="QuickCart Telegram shop bot")
    parser.add_argument("--config", default="config.ini", help="path to config.ini (default: %(default)s)")
    parser.add_argument("command", nargs="?", default="run",
                        choices=["run", "check-config", "check-data", "backup", "rotate-key", "reset-stock-key"],
                        help="run the shop (default), check the configuration, check that the books "
                             "add up, back up the database, seal the stock lines with a new stock key, "
                             "or start over with a new key when the old one is lost")
    parser.add_argument("--output", help="backup: file or directory to write to "
                                         "(default: backups/ next to the database)")
    parser.add_argument("--yes", action="store_true",
                        help="reset-stock-key: yes, the stock key is lost; delete the unsold lines it sealed")
    args = parser.parse_args(argv)

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:  # every problem at once, one line each
            print(f"quickcart: config error: {problem}", file=sys.stderr)
        return 2

    from quickcart.logging_setup import setup_logging
    setup_logging(config.logging.level, config.logging.file,
                  secret_values=(config.telegram.token, *config.payment.secrets,
                                 config.payment.webhook_secret, config.web.admin_token,
                                 config.database.stock_key))

    if args.command == "check-config":
        from quickcart.checks import check_config
        return check_config(config)

    if args.command == "check-data":
        from quickcart.checks import check_data
        return check_data(config)

    if args.command == "backup":
        from quickcart.backup import run_backup_command
        return run_backup_command(config.database.path, args.output)

    if args.command == "rotate-key":
        from quickcart.stock_key import rotate
        return rotate(config)

    if args.command == "reset-stock-key":
        from quickcart.stock_key import reset_lost_key
        return reset_lost_key(config, confirmed=args.yes)

    from quickcart.app import QuickCart, StartupError
    from quickcart.migrations import SchemaError

    # Block the stop signals before any thread starts (threads inherit the
    # mask) and take them with sigwait: a Python handler setting an Event is
    # unreliable when the kernel hands the signal to another thread while the
    # main thread sleeps.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    shop = QuickCart(config)
    try:
        shop.start()
    except (StartupError, SchemaError) as exc:
        print(f"quickcart: cannot start: {exc}", file=sys.stderr)
        return 2
    signal.sigwait(stop_signals)
    shop.stop()
    logging.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

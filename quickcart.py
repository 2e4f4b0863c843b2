#!/usr/bin/env python3
"""QuickCart: run the shop.

    python quickcart.py --config config.ini            # the shop
    python quickcart.py --config config.ini check-config

Wiring only: load and validate the configuration, set up logging, build the
shop, start it, and stop it cleanly on SIGTERM or Ctrl-C.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from quickcart.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quickcart.py", description="QuickCart Telegram shop bot")
    parser.add_argument("--config", default="config.ini", help="path to config.ini (default: %(default)s)")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "check-config"],
                        help="run the shop (default) or check the configuration")
    args = parser.parse_args(argv)

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"quickcart: config error: {exc}", file=sys.stderr)
        return 2

    from quickcart.logging_setup import setup_logging
    setup_logging(config.logging.level, config.logging.file,
                  secret_values=(config.telegram.token, config.pakasir.api_key,
                                 config.pakasir.webhook_secret, config.web.admin_token))

    if args.command == "check-config":
        from quickcart.checks import check_config
        return check_config(config)

    from quickcart.app import QuickCart, StartupError
    from quickcart.migrations import SchemaError

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    shop = QuickCart(config)
    try:
        shop.start()
    except (StartupError, SchemaError) as exc:
        print(f"quickcart: cannot start: {exc}", file=sys.stderr)
        return 2
    stop.wait()
    shop.stop()
    logging.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

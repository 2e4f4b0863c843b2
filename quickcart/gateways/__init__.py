"""Payment gateways, by name. The shop uses the one ``[payment] gateway`` names.

To add a gateway: write a module beside ``pakasir.py`` with a class that
implements :class:`~quickcart.gateways.base.PaymentGateway` and a
``SETTINGS`` table for its config section, and add one line below.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from quickcart.gateways.base import PaymentGateway

# name -> "module:Class". The name is the config section and the webhook path.
GATEWAYS: dict[str, str] = {
    "pakasir": "quickcart.gateways.pakasir:PakasirGateway",
}


def gateway_module(name: str) -> ModuleType:
    return importlib.import_module(GATEWAYS[name].partition(":")[0])


def build_gateway(payment_config, **options) -> PaymentGateway:
    """The configured gateway, ready to call (``payment_config`` is ``Config.payment``)."""
    module_name, _, class_name = GATEWAYS[payment_config.gateway].partition(":")
    return getattr(importlib.import_module(module_name), class_name)(payment_config, **options)

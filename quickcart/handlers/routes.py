"""Which update goes where: the whole routing table of the shop, in one screen.

:func:`quickcart.handlers.dispatch.dispatch` reads these tables; the order of
entries does not matter. Customers' commands and menu labels work for
everyone; admin commands only for admins (anyone else gets the answer any
unknown command gets).
"""
from __future__ import annotations

from quickcart.handlers import (
    account,
    admin,
    admin_aftercare,
    admin_catalogue,
    admin_confirm,
    admin_stock,
    balance,
    contact,
    payment,
    promo,
    shop,
    start,
)

# /command → handler(app, message, user); each in every language, whatever the user's (the menu
# Telegram shows, per language, is handlers.context.COMMAND_MENU). None is named like an admin
# command: those answer everyone else as unknown (English products are /shop, not /products).
COMMANDS = {
    "start": start.greet,
    "produk": shop.open_catalogue,
    "shop": shop.open_catalogue,
    "saldo": balance.show_balance,
    "balance": balance.show_balance,
    "riwayat": account.show_history,
    "history": account.show_history,
    "akun": account.show_account,
    "account": account.show_account,
    "bantuan": start.show_help,
    "help": start.show_help,
    "bahasa": account.show_languages,
    "language": account.show_languages,
}

# The main menu's buttons (catalogue keys of their labels, in every language) → handler(app, message, user)
MENU = {
    "menu.products": shop.open_catalogue,
    "menu.balance": balance.show_balance,
    "menu.history": account.show_history,
    "menu.account": account.show_account,
    "menu.help": start.show_help,
    "menu.contact": contact.ask,
}

# Inline buttons: callback action (quickcart.callbacks) → handler(app, press, parsed data, user)
BUTTONS = {
    "noop": shop.noop,
    "cats": shop.categories,
    "cat": shop.category,
    "prod": shop.product_card,
    "buy": shop.buy,
    "agree": shop.agree,
    "pay": shop.pay,
    "payv": shop.pay,
    "promo": promo.ask_code,
    "chk": payment.check_status,
    "cnl": payment.cancel,
    "hist": account.history_page,
    "ord": account.order_detail,
    "goods": account.goods_again,
    "bal": balance.topup_menu,
    "top": balance.topup_preset,
    "topc": balance.topup_custom,
    "lang": account.choose_language,
    "free": shop.claim_free,
    "sub": shop.notify_me,
    "fcnl": shop.cancel_fields,
    "wcl": account.claim_start,
    "wln": account.claim_line,
    # admins' buttons: each handler answers anyone else as it answers a stale button
    "mdone": admin_aftercare.manual_done,
    "mnone": admin_aftercare.manual_no_reply,
    "mrej": admin_aftercare.manual_reject,
    "wrep": admin_aftercare.claim_replace,
    "wref": admin_aftercare.claim_refund,
    "wrej": admin_aftercare.claim_reject,
    "lines": admin_stock.lines_page,
    "cfm": admin_confirm.confirm,
    "ccl": admin_confirm.drop,
    "ask": contact.ask_about_order,
    "askx": contact.cancel,
    "fwd": contact.send_offered,
    "stkf": admin_catalogue.stock_file_chosen,  # checks that the presser is an admin
}

# What a user was asked to type (handlers.context.Prompts) → handler(app, message, user)
PROMPTS = {
    balance.TOPUP_AMOUNT: balance.typed_amount,
    contact.MESSAGE: contact.written,
    shop.BUYER_FIELD: shop.typed_field,
    account.CLAIM_DESCRIPTION: account.typed_claim,
    admin_aftercare.MANUAL_REPLY: admin_aftercare.typed_manual_reply,
    admin_aftercare.MANUAL_REASON: admin_aftercare.typed_manual_reason,
    admin_aftercare.CLAIM_REASON: admin_aftercare.typed_claim_reason,
    promo.CODE: promo.typed_code,
}
# Prompts that take more than text: what else may answer them.
PROMPT_MEDIA = {
    contact.MESSAGE: ("photo",),
    admin_aftercare.MANUAL_REPLY: ("document", "photo"),  # the reply an admin sends the buyer may be a file
}

# Admins only: /command → handler(app, message, command); a file or photo captioned with the command too.
ADMIN_COMMANDS = admin.COMMANDS
ADMIN_CAPTIONS = admin.CAPTIONED
# An admin's reply to a customer's message (handler returns False when it was not one) → handler(app, message, admin)
ADMIN_REPLY = contact.admin_reply
# A file an admin sent without a command in its caption → handler(app, message, admin)
ADMIN_FILE = admin_catalogue.stock_file_unlabelled

UNKNOWN_COMMAND = start.unknown_command
UNKNOWN_MESSAGE = contact.offer  # offers to send it to the admins

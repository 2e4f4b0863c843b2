"""QuickCart: a Telegram shop bot for digital goods paid by QRIS through Pakasir."""

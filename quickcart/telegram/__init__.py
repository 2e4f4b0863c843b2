"""Talking to the Telegram Bot API: transport, pacing, sender, polling."""

"""Local stand-ins for the Telegram Bot API and Pakasir, used by the tests, the demo and the benchmarks."""

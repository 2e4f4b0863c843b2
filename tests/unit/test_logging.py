"""Log lines never carry the bot token, the api_key, query strings or goods."""
import logging

from quickcart import logging_setup
from quickcart.logging_setup import mask, redact, register_secret


def test_tokens_api_keys_and_query_strings_are_removed():
    register_secret("pk_live_verysecret")
    line = ("GET http://127.0.0.1:8080/api/transactiondetail?project=x&amount=5&order_id=TRX1"
            "&api_key=pk_live_verysecret and POST https://api.telegram.org/"
            "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage?chat_id=1&text=email:a@b pw:1")
    cleaned = redact(line)
    assert "pk_live_verysecret" not in cleaned
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in cleaned
    assert "email:a@b" not in cleaned and "chat_id=1" not in cleaned
    assert "/api/transactiondetail?<redacted>" in cleaned


def test_key_value_secrets_are_masked_even_without_registration():
    assert "hunter2" not in redact("login with password=hunter2 and token: abcdef")
    assert "abcdef" not in redact("login with password=hunter2 and token: abcdef")


def test_exception_text_passes_through_the_redactor(capsys):
    logging_setup.setup_logging("INFO", secret_values=["s3cr3t-value"])
    log = logging.getLogger("quickcart.test")
    try:
        raise RuntimeError("failed calling https://x/y?api_key=s3cr3t-value")
    except RuntimeError:
        log.exception("boom with s3cr3t-value")
    output = capsys.readouterr().out
    assert "s3cr3t-value" not in output and "boom with ***" in output


def test_library_loggers_are_quiet_even_at_debug():
    logging_setup.setup_logging("DEBUG")
    for name in ("urllib3", "TeleBot", "requests"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG)
        assert not logging.getLogger(name).handlers


def test_personal_data_is_masked():
    assert mask("Budiman") == "Bu*****"
    assert mask(None) == "-"

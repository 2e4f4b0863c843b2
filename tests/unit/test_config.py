"""Configuration: defaults, overrides, and one clear line per bad setting."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from quickcart.config import DEFAULTS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
[telegram]
token = 123456:ABCdefGHIjklMNOpqrSTUvwxYZ
admin_ids = 111, 222
[pakasir]
project = tokoku
api_key = secret-api-key
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.ini"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_config_gets_the_documented_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.telegram.admin_ids == {111, 222}
    assert config.payment.fee_percent_bp == 70 and config.payment.fee_flat == 310
    assert config.payment.qr_ttl_minutes == 10
    assert config.web.port == 8080
    assert config.database.path == (tmp_path / "data" / "quickcart.db").resolve()


def test_environment_overrides_the_file_and_dotenv(tmp_path):
    path = write(tmp_path, GOOD)
    (tmp_path / ".env").write_text("QUICKCART_PAKASIR_FEE_FLAT=500\nQUICKCART_SHOP_NAME=Dari Env\n")
    config = load_config(path, env={"QUICKCART_SHOP_NAME": "Dari Environment"})
    assert config.payment.fee_flat == 500
    assert config.shop.name == "Dari Environment"


def test_secrets_stay_out_of_repr(tmp_path):
    config = load_config(write(tmp_path, GOOD), env={})
    assert "secret-api-key" not in repr(config)
    assert "ABCdefGHI" not in repr(config)


@pytest.mark.parametrize("patch, key", [
    ({"QUICKCART_TELEGRAM_TOKEN": ""}, "telegram.token"),
    ({"QUICKCART_TELEGRAM_TOKEN": "not-a-token"}, "telegram.token"),
    ({"QUICKCART_TELEGRAM_ADMIN_IDS": "12,abc"}, "telegram.admin_ids"),
    ({"QUICKCART_PAKASIR_FEE_PERCENT_BP": "0.7%"}, "pakasir.fee_percent_bp"),
    ({"QUICKCART_PAKASIR_FEE_FLAT": "tiga ratus"}, "pakasir.fee_flat"),
    ({"QUICKCART_PAKASIR_BASE_URL": "app.pakasir.com"}, "pakasir.base_url"),
    ({"QUICKCART_WEB_PORT": "99999"}, "web.port"),
    ({"QUICKCART_SHOP_TOPUP_MIN": "9000000"}, "shop.topup_min"),
    ({"QUICKCART_WEB_ADMIN_TOKEN": "short"}, "web.admin_token"),
])
def test_each_bad_setting_names_its_key(tmp_path, patch, key):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, GOOD), env=patch)
    message = str(caught.value)
    assert message.startswith(key) and "\n" not in message


def test_a_missing_required_key_says_how_to_set_it(tmp_path):
    with pytest.raises(ConfigError, match=r"pakasir.api_key: missing .*QUICKCART_PAKASIR_API_KEY"):
        load_config(write(tmp_path, GOOD.replace("api_key = secret-api-key", "")), env={})


def test_unknown_keys_are_refused_rather_than_ignored(tmp_path):
    with pytest.raises(ConfigError, match=r"pakasir.apikey: unknown key"):
        load_config(write(tmp_path, GOOD + "apikey = typo\n"), env={})


def test_an_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.ini", env={})
    with pytest.raises(ConfigError, match="not a valid ini file"):
        load_config(write(tmp_path, "token = x\n[telegram"), env={})


def run_entry_point(tmp_path: Path, config_text: str | None) -> subprocess.CompletedProcess:
    args = [sys.executable, str(ROOT / "quickcart.py"), "--config", str(tmp_path / "config.ini")]
    if config_text is not None:
        write(tmp_path, config_text)
    env = {"PATH": "/usr/bin:/bin"}
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path)


@pytest.mark.parametrize("config_text, key", [
    (GOOD.replace("token = 123456:ABCdefGHIjklMNOpqrSTUvwxYZ", "token ="), "telegram.token"),
    (GOOD.replace("111, 222", "111;222"), "telegram.admin_ids"),
    (GOOD + "fee_flat = 3.5\n", "pakasir.fee_flat"),
    (None, "config file"),
])
def test_quickcart_refuses_to_start_with_one_line_and_status_2(tmp_path, config_text, key):
    result = run_entry_point(tmp_path, config_text)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert key in lines[0] and "Traceback" not in result.stderr


def test_the_example_config_documents_every_key_the_code_reads():
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config.example.ini", encoding="utf-8")
    documented = {(section, key) for section in parser.sections() for key in parser.options(section)}
    read_by_code = {(section, key) for section, keys in DEFAULTS.items() for key in keys}
    assert documented == read_by_code


def test_every_problem_is_reported_at_once_each_on_its_own_line(tmp_path):
    broken = (GOOD.replace("token = 123456:ABCdefGHIjklMNOpqrSTUvwxYZ", "token = nope")
              .replace("api_key = secret-api-key", "") + "fee_percent_bp = 0.7%\ncolour = blue\n[web]\nport = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, broken), env={})
    keys = [problem.split(":")[0] for problem in caught.value.problems]
    assert keys == ["pakasir.colour", "telegram.token", "pakasir.api_key", "pakasir.fee_percent_bp", "web.port"]
    result = run_entry_point(tmp_path, broken)
    assert result.returncode == 2
    assert [line.split(": ")[2] for line in result.stderr.splitlines()] == keys


def test_units_are_explained_where_a_number_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"basis points \(1/100 of a percent: 70 = 0\.7%"):
        load_config(write(tmp_path, GOOD + "fee_percent_bp = 0.7\n"), env={})
    with pytest.raises(ConfigError, match=r"qr_ttl_minutes: must be a whole number of minutes between 1 and 1440"):
        load_config(write(tmp_path, GOOD + "qr_ttl_minutes = 0\n"), env={})

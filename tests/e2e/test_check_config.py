"""``quickcart.py check-config``: one line per check, against the stand-ins."""
from __future__ import annotations

import subprocess
import sys

from quickcart.sandbox.launcher import ENTRY_POINT, ShopProcess
from tests.e2e.conftest import API_KEY, TOKEN


def check_config(shop: ShopProcess) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ENTRY_POINT), "--config", str(shop.config_path), "check-config"],
                          capture_output=True, text=True, timeout=60, cwd=shop.workdir)


def lines_starting(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]


def test_a_good_config_gets_an_ok_line_for_each_check_and_exit_0(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=(900_001,))
    result = check_config(shop)
    assert result.returncode == 0, result.stdout + result.stderr
    ok = lines_starting(result.stdout, "ok ")
    assert [line.split()[1] for line in ok] == ["config:", "database:", "telegram:", "pakasir:"]
    assert "bot is @quickcart_test_bot" in result.stdout
    assert f"project '{pakasir.project}' and api_key accepted" in result.stdout
    assert not lines_starting(result.stdout, "FAIL")
    assert not shop.db_path.exists(), "check-config writes nothing"
    assert ("info fees: customers pay 0.7% + Rp310 on top of each QRIS payment (fee_percent_bp = 70 basis points "
            "= 0.7%, fee_flat = 310 rupiah); a Rp50.000 order costs Rp50.660") in result.stdout
    assert TOKEN not in result.stdout + result.stderr and API_KEY not in result.stdout + result.stderr


def test_a_token_telegram_rejects_is_one_fail_line_and_exit_1(tmp_path, telegram, pakasir):
    wrong = TOKEN.split(":")[0] + ":WRONGtokenQuickCartE2E-abcdefghij"
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=(900_001,), overrides={"telegram": {"token": wrong}})
    result = check_config(shop)
    assert result.returncode == 1
    assert lines_starting(result.stdout, "FAIL") == ["FAIL telegram: 401 Unauthorized"]
    assert lines_starting(result.stdout, "ok   pakasir:")
    assert wrong not in result.stdout + result.stderr


def test_an_api_key_pakasir_refuses_is_one_fail_line_and_exit_1(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=(900_001,),
                       overrides={"pakasir": {"api_key": "pk_wrong_key_0000"}})
    result = check_config(shop)
    assert result.returncode == 1
    fails = lines_starting(result.stdout, "FAIL")
    assert len(fails) == 1 and fails[0].startswith("FAIL pakasir: project or api_key refused"), result.stdout
    assert lines_starting(result.stdout, "ok   telegram:")
    assert "pk_wrong_key_0000" not in result.stdout + result.stderr


def test_pakasir_unreachable_is_a_fail_line(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=(900_001,))
    pakasir.go_down("refuse")
    result = check_config(shop)
    assert result.returncode == 1
    assert lines_starting(result.stdout, "FAIL") == [f"FAIL pakasir: cannot reach {pakasir.base_url}"]


def test_a_shop_without_admins_is_refused(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=())
    result = check_config(shop)
    assert result.returncode == 1
    (fail,) = lines_starting(result.stdout, "FAIL")
    assert fail.startswith("FAIL admins: telegram.admin_ids is empty") and "@userinfobot" in fail
    assert lines_starting(result.stdout, "ok   telegram:") and lines_starting(result.stdout, "ok   pakasir:")


def test_every_config_error_is_reported_at_once(tmp_path, telegram, pakasir):
    shop = ShopProcess(tmp_path, telegram, pakasir, admin_ids=(900_001,),
                       overrides={"pakasir": {"fee_percent_bp": "0.7%", "qr_ttl_minutes": "0"},
                                  "shop": {"max_quantity": "lots"}})
    result = check_config(shop)
    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert [line.split(": ")[2] for line in errors] == ["pakasir.fee_percent_bp", "pakasir.qr_ttl_minutes",
                                                        "shop.max_quantity"]
    assert "70 = 0.7%" in errors[0]

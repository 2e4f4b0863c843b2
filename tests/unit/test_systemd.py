"""The systemd units: valid, hardened, and running the commands the code really has."""
from __future__ import annotations

import ctypes
import fnmatch
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.words import says

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "systemd"
SERVICE = UNITS / "quickcart.service"
BACKUP = UNITS / "quickcart-backup.service"
TIMER = UNITS / "quickcart-backup.timer"
INSTALL_DIR = "/opt/quickcart"
DATA_DIR = "/var/lib/quickcart"

PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1


def directives(path: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file (every value of a key that repeats)."""
    found: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def one(path: Path, key: str) -> str:
    values = directives(path)[key]
    assert len(values) == 1, f"{path.name}: {key} set {len(values)} times"
    return values[0]


def quickcart_args(path: Path) -> list[str]:
    """ExecStart's arguments after ``quickcart.py``."""
    argv = shlex.split(one(path, "ExecStart"))
    assert argv[0] == f"{INSTALL_DIR}/.venv/bin/python" and argv[1] == "quickcart.py", argv
    return argv[2:]


@pytest.fixture
def installed_units(tmp_path):
    """The units as they would be installed, with /opt/quickcart pointing at a real Python."""
    install = tmp_path / "opt-quickcart"
    (install / ".venv" / "bin").mkdir(parents=True)
    (install / ".venv" / "bin" / "python").symlink_to(sys.executable)
    units = tmp_path / "units"
    units.mkdir()
    for unit in (SERVICE, BACKUP, TIMER):
        text = unit.read_text(encoding="utf-8").replace(INSTALL_DIR, str(install))
        (units / unit.name).write_text(text, encoding="utf-8")
    return [units / unit.name for unit in (SERVICE, BACKUP, TIMER)]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed here (apt-get install systemd to run this check)")
def test_systemd_analyze_verify_accepts_the_units_without_a_single_warning(installed_units):
    # verify exits 0 even for unknown keys and unparsable values, so any output fails the test.
    result = subprocess.run(["systemd-analyze", "verify", *map(str, installed_units)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_would_catch_a_typo(installed_units, tmp_path):
    broken = tmp_path / "units" / "quickcart.service"
    broken.write_text(broken.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "ProtectSytem" in result.stdout + result.stderr


def test_the_service_runs_the_shop_as_its_own_user_and_restarts_on_failure():
    assert one(SERVICE, "User") == "quickcart" and one(SERVICE, "Group") == "quickcart"
    assert one(SERVICE, "WorkingDirectory") == INSTALL_DIR
    assert quickcart_args(SERVICE) == ["--config", "/etc/quickcart/config.ini"]
    assert one(SERVICE, "Restart") == "on-failure"
    assert one(SERVICE, "RestartPreventExitStatus") == "2", "a bad setting (exit 2) is not retried forever"
    assert one(SERVICE, "EnvironmentFile") == "-/etc/quickcart/quickcart.env"
    assert one(SERVICE, "KillSignal") == "SIGTERM"
    assert int(one(SERVICE, "TimeoutStopSec")) >= 30


@pytest.mark.parametrize("unit", [SERVICE, BACKUP], ids=lambda unit: unit.name)
def test_the_services_are_hardened_and_may_write_only_the_data_directory(unit):
    found = directives(unit)
    for key, value in {
        "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes", "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
        "RestrictSUIDSGID": "yes", "UMask": "0077", "CapabilityBoundingSet": "",
    }.items():
        assert found.get(key) == [value], f"{unit.name}: {key}={value}"
    assert found["ReadWritePaths"] == [DATA_DIR]
    assert found["SystemCallFilter"][0] == "@system-service"
    assert set(found["RestrictAddressFamilies"][0].split()) <= {"AF_INET", "AF_INET6", "AF_UNIX"}


def test_the_daily_backup_uses_the_backup_command_the_code_has_and_prunes_old_copies():
    from quickcart.backup import backup_name

    args = quickcart_args(BACKUP)
    assert args == ["--config", "/etc/quickcart/config.ini", "backup", "--output", f"{DATA_DIR}/backups"]
    help_text = subprocess.run([sys.executable, str(ROOT / "quickcart.py"), "--help"], capture_output=True,
                               text=True, timeout=30).stdout
    assert "backup" in help_text and "--output" in help_text
    prune = shlex.split(one(BACKUP, "ExecStartPost"))
    assert prune[:2] == ["/usr/bin/find", f"{DATA_DIR}/backups"] and prune[-1] == "-delete"
    pattern = prune[prune.index("-name") + 1]
    assert fnmatch.fnmatch(backup_name(), pattern), "pruning matches the names backups get, nothing else"
    assert fnmatch.fnmatch("quickcart.db", pattern) is False
    assert one(BACKUP, "Type") == "oneshot"
    assert one(TIMER, "Persistent") == "true" and one(TIMER, "OnCalendar")


def _mdwe_available() -> bool:
    if platform.system() != "Linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_GET_MDWE, 0, 0, 0, 0) >= 0


@pytest.mark.skipif(not _mdwe_available(),
                    reason="needs Linux 6.3+ for prctl(PR_SET_MDWE), the kernel side of MemoryDenyWriteExecute")
def test_the_whole_demo_purchase_works_when_memory_cannot_be_writable_and_executable(tmp_path):
    # MemoryDenyWriteExecute=yes breaks programs that JIT or use libffi closures; this proves
    # the shop (a child of the demo, which inherits the setting) and its libraries do not.
    launcher = ("import ctypes, os, sys\n"
                f"assert ctypes.CDLL(None).prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) == 0\n"
                "os.execv(sys.executable, [sys.executable, '-m', 'quickcart.sandbox.demo', '--no-qr', "
                f"'--output', {str(tmp_path)!r}])\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUICKCART_")}
    result = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert says("delivery.title") in result.stdout


def _bytes(value: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


@pytest.mark.parametrize("unit", [SERVICE, BACKUP], ids=lambda unit: unit.name)
def test_the_services_keep_their_state_private_and_see_no_other_users(unit):
    assert one(unit, "StateDirectoryMode") == "0700"
    assert one(unit, "PrivateUsers") == "yes"


def test_the_shop_has_resource_bounds_that_leave_room_for_what_it_really_uses():
    from quickcart.web_server import FILES_KEPT_FOR_THE_REST, MAX_CONNECTIONS

    # bench/ keeps the shop under 150 MB; 1,000 half-sent 80 KiB requests add ~80 MB.
    assert _bytes(one(SERVICE, "MemoryMax")) >= 2 * 150 * 1024**2 + 80 * 1024**2
    assert 64 <= int(one(SERVICE, "TasksMax")) <= 1024, "about 30 threads, and never thousands"
    assert int(one(SERVICE, "LimitNOFILE")) - FILES_KEPT_FOR_THE_REST >= MAX_CONNECTIONS, \
        "the open-files limit lets the web server take its full connection limit"


def test_the_shop_may_reach_the_internet_and_only_the_backup_is_cut_off_from_every_address():
    # Telegram and Pakasir have no fixed addresses to allow: denying "any" would break the shop.
    denied = " ".join(directives(SERVICE).get("IPAddressDeny", []))
    assert denied and "any" not in denied.split()
    assert not directives(SERVICE).get("IPAddressAllow"), "an allow list only means something after deny=any"
    assert "IPAddressDeny=any" in SERVICE.read_text() and "would cut it off" in SERVICE.read_text(), \
        "the unit says why it does not deny everything"
    assert one(BACKUP, "PrivateNetwork") == "yes" and one(BACKUP, "IPAddressDeny") == "any"
    assert _bytes(one(BACKUP, "MemoryMax")) >= 128 * 1024**2


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="counts threads and files in /proc")
def test_the_shop_starts_within_its_open_files_and_tasks_limits(tmp_path, telegram_and_pakasir):
    """The shop's real threads and file descriptors, counted while it serves, are well under the limits."""
    from quickcart.sandbox.launcher import ShopProcess

    telegram, pakasir = telegram_and_pakasir
    shop = ShopProcess(tmp_path, telegram, pakasir).start()
    try:
        status = Path(f"/proc/{shop.process.pid}/status").read_text()
        threads = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
        files = len(os.listdir(f"/proc/{shop.process.pid}/fd"))
    finally:
        shop.stop()
    assert threads * 2 <= int(one(SERVICE, "TasksMax")), threads
    assert files + 1000 <= int(one(SERVICE, "LimitNOFILE")), files


@pytest.fixture
def telegram_and_pakasir():
    from quickcart.sandbox.pakasir_server import PakasirStandIn
    from quickcart.sandbox.telegram_server import TelegramStandIn

    with TelegramStandIn() as telegram, PakasirStandIn(project="units", api_key="k-units") as pakasir:
        yield telegram, pakasir

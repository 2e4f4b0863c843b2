"""Running the real shop as a child process against the stand-ins.

The tests, the demo and the benchmarks all start QuickCart exactly as an
owner would — ``python quickcart.py --config config.ini`` — with a config
that points ``telegram.api_url`` and ``pakasir.base_url`` at the local
stand-ins, and Pakasir's webhook at the shop's own web server.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from quickcart.sandbox.pakasir_server import PakasirStandIn
from quickcart.sandbox.telegram_server import TelegramStandIn

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINT = ROOT / "quickcart.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, sections: dict[str, dict[str, object]]) -> Path:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class ShopProcess:
    """One QuickCart process, its config, database and log, in ``workdir``."""

    def __init__(self, workdir: Path, telegram: TelegramStandIn, pakasir: PakasirStandIn,
                 admin_ids: tuple[int, ...] = (), overrides: dict[str, dict[str, object]] | None = None,
                 admin_token: str = "test-admin-token-0123456789"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.telegram = telegram
        self.pakasir = pakasir
        self.port = free_port()
        self.web_url = f"http://127.0.0.1:{self.port}"
        self.db_path = self.workdir / "data" / "quickcart.db"
        self.log_path = self.workdir / "quickcart.log"
        self.admin_token = admin_token
        sections: dict[str, dict[str, object]] = {
            "telegram": {"token": telegram.token, "api_url": telegram.base_url,
                         "admin_ids": ",".join(map(str, admin_ids)),
                         "welcome_sticker": "CAACAgIAAxkBAAIDbWkLZHuqPRCq-sticker"},
            "pakasir": {"project": pakasir.project, "api_key": pakasir.api_key,
                        "base_url": pakasir.base_url, "webhook_secret": pakasir.webhook_secret,
                        "poll_interval_seconds": 20, "timeout_seconds": 5},
            "web": {"host": "127.0.0.1", "port": self.port, "admin_token": admin_token},
            "database": {"path": self.db_path},
            "shop": {"name": "Toko Demo"},
            "logging": {"level": "INFO"},
        }
        for section, values in (overrides or {}).items():
            sections.setdefault(section, {}).update(values)
        self.config_path = write_config(self.workdir / "config.ini", sections)
        pakasir.webhook_url = f"{self.web_url}/webhooks/pakasir"
        self.process: subprocess.Popen | None = None
        self._log_handle = None

    def start(self, wait: bool = True, timeout: float = 20.0) -> ShopProcess:
        # Open for the child's whole life; closed by stop()/kill().
        self._log_handle = open(self.log_path, "ab")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env = {key: value for key, value in env.items() if not key.startswith("QUICKCART_")}
        polls_before = self.telegram.stats.get_updates_calls
        self.process = subprocess.Popen(
            [sys.executable, str(ENTRY_POINT), "--config", str(self.config_path)],
            cwd=self.workdir, stdout=self._log_handle, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_ready(polls_before, timeout)
        return self

    def wait_ready(self, polls_before: int = 0, timeout: float = 20.0) -> None:
        """Until /health answers and the bot is long-polling the stand-in."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"QuickCart exited with {self.process.returncode}:\n{self.logs()[-3000:]}")
            try:
                healthy = requests.get(f"{self.web_url}/health", timeout=1).status_code == 200
            except requests.RequestException:
                healthy = False
            if healthy and self.telegram.stats.get_updates_calls > polls_before:
                return
            time.sleep(0.05)
        raise RuntimeError(f"QuickCart not ready after {timeout}s:\n{self.logs()[-3000:]}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; returns the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._close_log()

    def kill(self) -> None:
        """SIGKILL: the crash case."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def restart(self, timeout: float = 20.0) -> ShopProcess:
        self.stop()
        return self.start(timeout=timeout)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def logs(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.web_url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.web_url + path, timeout=10, **kwargs)

    def _close_log(self) -> None:
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

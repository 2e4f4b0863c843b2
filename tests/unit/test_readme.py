"""The README tells the truth: its keys, commands and log lines are the code's."""
from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quickcart.config import DEFAULTS
from quickcart.handlers.admin import COMMANDS as ADMIN_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def example_config() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config.example.ini", encoding="utf-8")
    return parser


def test_the_sections_come_in_the_order_a_seller_needs_them():
    titles = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    expected = ["What it does", "The two commands", "Going live", "Running under systemd", "Backups and restore",
                "Upgrading", "Troubleshooting", "Admin commands", "Dependencies"]
    assert [title for title in titles if title in expected] == expected


def test_the_config_keys_table_lists_exactly_the_keys_the_code_reads_with_the_example_defaults():
    rows = re.findall(r"^\| `\[(\w+)\] (\w+)` \| ([^|]+) \|", README, flags=re.MULTILINE)
    documented = {(section_, key): default.strip() for section_, key, default in rows}
    assert set(documented) == {(section_, key) for section_, keys in DEFAULTS.items() for key in keys}
    assert len(rows) == len(documented), "a key is listed twice"
    example = example_config()
    for (section_, key), default in documented.items():
        value = example.get(section_, key)
        if DEFAULTS[section_][key] is None:
            assert default == "*(required)*", f"[{section_}] {key}"
        elif value:
            assert default == f"`{value}`", f"[{section_}] {key}: README says {default}, example has {value!r}"
        else:
            assert default == "*(empty)*", f"[{section_}] {key}"


def test_the_two_commands_and_every_make_target_mentioned_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    mentioned = set(re.findall(r"`make ([a-z][a-z-]*)`", README))
    mentioned |= {line.split()[1] for block in code_blocks("sh") for line in block.splitlines()
                  if line.startswith("make ")}
    assert {"demo", "test"} <= mentioned
    assert mentioned <= targets, mentioned - targets
    assert "make demo   #" in README and "make test   #" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def readme_quickcart_commands() -> list[list[str]]:
    commands = []
    for block in code_blocks("sh"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if "quickcart.py" in line:
                argv = shlex.split(line)
                start = next(i for i, arg in enumerate(argv) if arg.endswith("quickcart.py"))
                commands.append(argv[start + 1:])
    return commands


def test_the_readme_runs_check_config_and_backup():
    commands = readme_quickcart_commands()
    assert any("check-config" in argv for argv in commands)
    assert any(argv[-3:-1] == ["backup", "--output"] for argv in commands)


@pytest.mark.parametrize("argv", readme_quickcart_commands(), ids=" ".join)
def test_every_quickcart_command_in_the_readme_is_accepted_by_the_entry_point(tmp_path, argv):
    argv = list(argv)
    argv[argv.index("--config") + 1] = str(tmp_path / "missing.ini")  # stop right after parsing
    result = subprocess.run([sys.executable, str(ROOT / "quickcart.py"), *argv], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("quickcart: config error: config file"), result.stderr


def test_the_demo_options_in_the_readme_exist():
    help_text = subprocess.run([sys.executable, "-m", "quickcart.sandbox.demo", "--help"], capture_output=True,
                               text=True, timeout=30, cwd=ROOT).stdout
    for option in re.findall(r"quickcart\.sandbox\.demo ((?:--[a-z-]+ ?)+)", README)[0].split():
        assert option in help_text


def test_the_admin_reference_lists_every_admin_command_and_no_other():
    listed = re.findall(r"^\| `/([a-z]+)\b", section("Admin commands"), flags=re.MULTILINE)
    assert listed == list(ADMIN_COMMANDS), "same commands, in the order /admin shows them"


def test_the_systemd_files_the_readme_installs_exist_and_match_its_paths():
    for name in re.findall(r"/opt/quickcart/systemd/([\w.-]+)", README):
        assert (ROOT / "systemd" / name).is_file(), name
    service = (ROOT / "systemd" / "quickcart.service").read_text(encoding="utf-8")
    for path in ("/opt/quickcart", "/etc/quickcart/config.ini", "/etc/quickcart/quickcart.env", "/var/lib/quickcart"):
        assert path in service and path in README


# Lines the troubleshooting table quotes, as the code writes them.
QUOTED_LOG_LINES = {
    "rejected by Telegram (401 Unauthorized)": "quickcart/app.py",
    "cannot listen on": "quickcart/app.py",
    "quickcart: cannot start: ": "quickcart.py",
    "quickcart: config error: ": "quickcart.py",
    "getUpdates failed (": "quickcart/telegram/polling.py",
    "is DOWN": "quickcart/gateways/base.py",
    "is back up": "quickcart/gateways/base.py",
    "paid (learnt from %s)": "quickcart/payments.py",
    "webhook for %s: asking Pakasir": "quickcart/webhook.py",
    "admin notice to %s failed: %s": "quickcart/notices.py",
    "has not started the bot (or blocked it); notice skipped": "quickcart/notices.py",
    "refused (": "quickcart/checks.py",
    "is not writable": "quickcart/checks.py",
    "database migrated to schema version %d (%s)": "quickcart/migrations.py",
    "is newer than this QuickCart understands": "quickcart/migrations.py",
    "missing or invalid admin token": "quickcart/web.py",
    "too many failed attempts": "quickcart/web.py",
    "%s: %d rejected in the last minute (%s)": "quickcart/rejections.py",
    "%s: 1 rejected (%s)": "quickcart/rejections.py",
    "generated a new stock key %s in %s: keep a copy": "quickcart/stock_key.py",
    "are sealed with key ": "quickcart/stock_key.py",
    "a stock key rotation was interrupted; run the rotate-key command again": "quickcart/stock_key.py",
}


@pytest.mark.parametrize("line, source", QUOTED_LOG_LINES.items(), ids=list(QUOTED_LOG_LINES))
def test_the_log_lines_the_readme_quotes_are_the_ones_the_code_writes(line, source):
    assert line in (ROOT / source).read_text(encoding="utf-8"), f"{source} no longer says {line!r}"
    # As logged: every %s / %d is filled in; the README may wrap it over two lines.
    pattern = r".+?".join(re.escape(part.strip()).replace(r"\ ", r"\s+") for part in re.split(r"%[sd]", line))
    assert re.search(pattern, README), f"the README does not quote {line!r}"


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed here")
def test_the_caddyfile_is_valid(tmp_path):
    (tmp_path / "Caddyfile").write_text(code_blocks("caddyfile")[0], encoding="utf-8")
    result = subprocess.run(["caddy", "validate", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_the_nginx_snippet_is_valid(tmp_path):
    (tmp_path / "site.conf").write_text(code_blocks("nginx")[0], encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_proxy_examples_publish_only_the_webhook():
    caddy, nginx = code_blocks("caddyfile")[0], code_blocks("nginx")[0]
    # nginx: the only location that proxies is the webhook's exact path; everything else is 404.
    locations = re.findall(r"location\s+([^{]+)\{(.*?)\n    \}", nginx, flags=re.DOTALL)
    proxied = [where.strip() for where, body in locations if "proxy_pass" in body]
    assert proxied == ["= /webhooks/pakasir"]
    assert any(where.strip() == "/" and "return 404" in body for where, body in locations)
    # Caddy: one reverse_proxy, inside the handle of a matcher for POST /webhooks/pakasir.
    assert caddy.count("reverse_proxy") == 1
    matcher = re.search(r"@webhook \{(.*?)\}", caddy, flags=re.DOTALL).group(1)
    assert "path /webhooks/pakasir" in matcher and "method POST" in matcher
    assert re.search(r"handle @webhook \{[^@]*reverse_proxy", caddy) and "respond 404" in caddy
    says = section("Going live")
    assert "`GET /health` is for monitoring on the server" in says and "`GET /admin/stats` stays" in says


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def upstream():
    """A stand-in for QuickCart's port: answers every request with its method and path."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = f"quickcart {self.command} {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _proxy_answers(port: int) -> dict[str, int]:
    import requests

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(base, timeout=1)
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return {"POST /webhooks/pakasir": requests.post(f"{base}/webhooks/pakasir", data=b"{}", timeout=5).status_code,
            "GET /health": requests.get(f"{base}/health", timeout=5).status_code,
            "GET /admin/stats": requests.get(f"{base}/admin/stats", timeout=5).status_code,
            "PUT /webhooks/pakasir": requests.put(f"{base}/webhooks/pakasir", timeout=5).status_code,
            "POST /webhooks/pakasir/x": requests.post(f"{base}/webhooks/pakasir/x", timeout=5).status_code}


PUBLISHED_ONLY_THE_WEBHOOK = {"POST /webhooks/pakasir": 200, "GET /health": 404, "GET /admin/stats": 404,
                              "POST /webhooks/pakasir/x": 404}


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed here")
def test_caddy_with_the_readme_config_forwards_the_webhook_and_nothing_else(tmp_path, upstream):
    port = _free_port()
    config = code_blocks("caddyfile")[0].replace("shop.example.com", f"http://127.0.0.1:{port}")
    (tmp_path / "Caddyfile").write_text("{\n\tadmin off\n}\n" + config.replace("127.0.0.1:8080",
                                                                            f"127.0.0.1:{upstream}"))
    caddy = subprocess.Popen(["caddy", "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
                             env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)})
    try:
        answers = _proxy_answers(port)
    finally:
        caddy.terminate()
        caddy.wait(10)
    assert answers.pop("PUT /webhooks/pakasir") == 404
    assert answers == PUBLISHED_ONLY_THE_WEBHOOK


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_nginx_with_the_readme_config_forwards_the_webhook_and_nothing_else(tmp_path, upstream):
    port = _free_port()
    site = code_blocks("nginx")[0].replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "site.conf").write_text(site.replace("127.0.0.1:8080", f"127.0.0.1:{upstream}"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    client_body_temp_path {tmp_path};\n    proxy_temp_path {tmp_path};\n"
        f"    include {tmp_path}/site.conf;\n}}\n")
    nginx = subprocess.Popen(["nginx", "-c", str(tmp_path / "nginx.conf")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        answers = _proxy_answers(port)
    finally:
        nginx.terminate()
        nginx.wait(10)
    assert answers.pop("PUT /webhooks/pakasir") == 403
    assert answers == PUBLISHED_ONLY_THE_WEBHOOK

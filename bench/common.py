"""What every benchmark shares: the shop and its stand-ins, seeding, figures, the machine.

A benchmark starts the real ``python quickcart.py`` against the Telegram and
Pakasir stand-ins (:class:`Harness`), seeds it straight through the database
file (seeding is never what is timed), drives customers through the Telegram
stand-in and reads times from the stand-in's request log.

Clocks: the stand-in's request log stamps each request with ``time.time()``
when it has been handled (a message is stored before its record is written),
so every latency taken from the log is measured against ``time.time()`` taken
in this same process just before the triggering action. Durations that do not
involve the log use ``time.monotonic()``.
"""
from __future__ import annotations

import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from quickcart import stock_key  # noqa: E402
from quickcart.db import close_database, database, open_database  # noqa: E402
from quickcart.migrations import migrate  # noqa: E402
from quickcart.sandbox.launcher import ShopProcess  # noqa: E402
from quickcart.sandbox.pakasir_server import PakasirStandIn  # noqa: E402
from quickcart.sandbox.telegram_limits import DEFAULT_LIMITS, LIMIT_MODELS, LimitModel  # noqa: E402
from quickcart.sandbox.telegram_server import TelegramStandIn  # noqa: E402

TOKEN = "7000001:BENCHtokenQuickCart-abcdefghijklmn"
API_KEY = "pk_live_bench_SECRET_key_123"
ADMIN_ID = 900_001
SUCCESS_MARK = "Pesanan berhasil!"


# --- figures -------------------------------------------------------------------------------

def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> float:
    return seconds * 1000


@dataclass
class Row:
    """One figure: what, how much, the target, and whether it was met (None: no target)."""
    section: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("ok" if self.met else "MISSED")


@dataclass
class Report:
    """The figures of one run, printed as a table; the command that produced them."""
    command: str
    rows: list[Row] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, section: str, metric: str, value: str, target: str = "", met: bool | None = None,
            note: str = "") -> None:
        self.rows.append(Row(section, metric, value, target, met, note))
        print(f"  [{section}] {metric}: {value}" + (f"  (target {target}: {'ok' if met else 'MISSED'})"
                                                   if target else "") + (f"  — {note}" if note else ""),
              flush=True)

    def extend(self, other: Report) -> None:
        self.rows.extend(other.rows)

    def text_table(self) -> str:
        headers = ("benchmark", "figure", "value", "target", "", "note")
        body = [(r.section, r.metric, r.value, r.target, r.verdict, r.note) for r in self.rows]
        widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(headers)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        out = [line.format(*headers), line.format(*("-" * w for w in widths))]
        out += [line.format(*row) for row in body]
        return "\n".join(text.rstrip() for text in out)

    def markdown_table(self) -> str:
        out = ["| benchmark | figure | value | target | | note |", "|---|---|---|---|---|---|"]
        for r in self.rows:
            cells = (r.section, r.metric, r.value, r.target, f"**{r.verdict}**" if r.verdict == "MISSED"
                     else r.verdict, r.note)
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(out)


def print_report(report: Report, title: str) -> None:
    elapsed = time.monotonic() - report.started
    print()
    print(f"== {title} ==")
    print(f"command: {report.command}")
    print(f"machine: {machine_summary()}")
    print(f"took:    {elapsed:.0f} s")
    print()
    print(report.text_table())
    print(flush=True)


# --- the machine ---------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _disk(path: Path) -> str:
    """The filesystem holding ``path``: device, type, and whether it spins (from sysfs)."""
    path = path.resolve()
    best = None
    for part in psutil.disk_partitions(all=True):
        if str(path).startswith(part.mountpoint) and (best is None or len(part.mountpoint) > len(best.mountpoint)):
            best = part
    if best is None:
        return "unknown"
    device = best.device
    kind = ""
    name = Path(device).name.rstrip("0123456789") if device.startswith("/dev/") else ""
    rotational = Path(f"/sys/block/{name}/queue/rotational")
    if name and rotational.exists():
        kind = ", rotational per sysfs" if rotational.read_text().strip() == "1" else ", non-rotational per sysfs"
    return f"{device} ({best.fstype}{kind}) at {best.mountpoint}"


def machine_info(workdir: Path | None = None) -> dict[str, str]:
    memory = psutil.virtual_memory().total
    return {
        "cpu": _cpu_model(),
        "cores": f"{psutil.cpu_count(logical=False) or '?'} physical / {os.cpu_count()} logical",
        "ram": f"{memory / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "disk": _disk(workdir or Path(tempfile.gettempdir())),
    }


def machine_summary(workdir: Path | None = None) -> str:
    info = machine_info(workdir)
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram']} RAM, Python {info['python']}, "
            f"SQLite {info['sqlite']}, {info['os']}, disk {info['disk']}")


# --- the shop and its stand-ins ------------------------------------------------------------

def new_workdir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"quickcart-bench-{name}-"))


class Harness:
    """Telegram (enforcing its flood limits, read as ``limits``) and Pakasir stand-ins, and one QuickCart process.

    The database is bound in this process too (``quickcart.db.database``), for
    seeding and for reading rows; only one harness may be open at a time.
    """

    def __init__(self, name: str, overrides: dict[str, dict[str, object]] | None = None,
                 workdir: Path | None = None, enforce_limits: bool = True, admin: bool = True,
                 limits: LimitModel = DEFAULT_LIMITS):
        self.workdir = workdir or new_workdir(name)
        self.telegram = TelegramStandIn(token=TOKEN, enforce_limits=enforce_limits, limits=limits).start()
        self.pakasir = PakasirStandIn(project="toko-bench", api_key=API_KEY).start()
        self.pakasir.webhook_timeout = 30.0
        self.shop = ShopProcess(self.workdir, self.telegram, self.pakasir,
                                admin_ids=(ADMIN_ID,) if admin else (), overrides=overrides)
        self.admin = None

    @property
    def db_path(self) -> Path:
        return self.shop.db_path

    def open_db(self) -> None:
        open_database(self.db_path)
        stock_key.unlock_beside(self.db_path)
        migrate(database)

    def start(self, timeout: float = 60.0) -> float:
        """Start the shop; returns seconds from spawning the process to its first getUpdates."""
        before = self.telegram.stats.get_updates_calls
        started = time.monotonic()
        self.shop.start(wait=False)
        self.telegram.wait_until(lambda: self.telegram.stats.get_updates_calls > before, timeout=timeout,
                                 what="the first getUpdates")
        first_poll = time.monotonic() - started
        self.shop.wait_ready(before, timeout)
        return first_poll

    def start_admin(self):
        """The admin, started (the bot may message them)."""
        self.admin = self.telegram.user(ADMIN_ID, "Bos", username="bos_toko")
        self.admin.send_text("/start")
        self.admin.wait_for_message(contains="Selamat datang", timeout=30)
        return self.admin

    @property
    def pid(self) -> int:
        assert self.shop.process is not None
        return self.shop.process.pid

    def rss_mb(self) -> float:
        return psutil.Process(self.pid).memory_info().rss / 2**20

    def close(self, keep: bool = False) -> None:
        try:
            if self.shop.running:
                self.shop.stop(timeout=30)
        finally:
            close_database()
            self.telegram.stop()
            self.pakasir.stop()
            if not keep:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def mark_started(telegram: TelegramStandIn, user_ids: Iterable[int], name: str = "Pelanggan") -> None:
    """Users Telegram knows and who have started the bot, without sending 10,000 updates."""
    telegram.mark_started(user_ids, name)


def sent_records(telegram: TelegramStandIn, method: str, since: float = 0.0,
                 match: Callable[[Any], bool] | None = None) -> list:
    """Successful requests of ``method`` recorded at or after ``since`` (time.time())."""
    return [r for r in list(telegram.request_log)
            if r.method == method and r.status == 200 and r.time >= since and (match is None or match(r))]


def text_of(record) -> str:
    value = record.params.get("text") or record.params.get("caption") or ""
    return value if isinstance(value, str) else str(value)


# --- timing helpers --------------------------------------------------------------------------

def summarize(latencies_s: list[float]) -> str:
    if not latencies_s:
        return "no samples"
    return (f"p50 {ms(percentile(latencies_s, 50)):.0f} ms, p99 {ms(percentile(latencies_s, 99)):.0f} ms, "
            f"max {ms(max(latencies_s)):.0f} ms (n={len(latencies_s)})")


def time_http(session: requests.Session, url: str, count: int, **kwargs) -> list[float]:
    """Wall seconds of ``count`` sequential GETs (after one warm-up)."""
    session.get(url, timeout=10, **kwargs)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=10, **kwargs)
        samples.append(time.perf_counter() - started)
        response.raise_for_status()
    return samples


def time_calls(func: Callable[[], object], count: int) -> list[float]:
    func()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return samples


def limit_models(names: str) -> list[LimitModel]:
    """``default``, ``strict`` or ``both`` (``--limits``) as the stand-in's limit models."""
    if names == "both":
        return list(LIMIT_MODELS.values())
    try:
        return [LIMIT_MODELS[name.strip()] for name in names.split(",")]
    except KeyError as exc:
        raise SystemExit(f"unknown limit model {exc}; known: {', '.join(LIMIT_MODELS)} or both") from None


def bench_command(script: str, *args: str) -> str:
    return " ".join([".venv/bin/python", f"bench/{script}", *args])


# --- profiling -------------------------------------------------------------------------------

class Profile:
    """``py-spy record`` attached to the shop for a stretch of a benchmark (``--profile``).

    Writes collapsed stacks to ``bench/out/profiles/<name>.txt`` (git-ignored);
    :func:`breakdown` and :func:`top_frames` summarise them, and
    ``bench/show_profile.py`` prints that summary again. Does nothing when
    py-spy is not installed (``pip install py-spy``; it needs ptrace rights).
    """

    def __init__(self, name: str, pid: int, enabled: bool, rate: int = 250):
        self.path = ROOT / "bench" / "out" / "profiles" / f"{name}.txt"
        self._process = None
        if not enabled:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(spy).exists():
            print("  (py-spy not installed: no profile)", flush=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--threads",
             "--idle", "--nonblocking", "--output", str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # attach

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(2)  # SIGINT: py-spy writes what it has
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
        print(f"  profile: {self.path.relative_to(ROOT)} (collapsed stacks, py-spy --idle --threads)", flush=True)
        print(summary(self.path, indent="    "), flush=True)


def summary(path: Path, indent: str = "") -> str:
    lines = ["what each thread did (share of its samples):"] + ["  " + line for line in breakdown(path)]
    lines += ["busiest frames (own time, share of busy samples):"] + ["  " + line for line in top_frames(path)]
    return "\n".join(indent + line for line in lines)


def _source_line(relative: str, text: str) -> str:
    """``file:line`` of the first line of a QuickCart source file containing ``text`` (as py-spy names frames)."""
    try:
        for number, line in enumerate((ROOT / relative).read_text().splitlines(), start=1):
            if text in line:
                return f"{relative}:{number})"
    except OSError:
        pass
    return "\0"  # matches nothing


_STATES = (  # (state, marker found anywhere in the stack), first match wins
    ("idle (long poll)", "Poller._poll_loop"),
    ("pause between import batches", _source_line("quickcart/stock.py", "time.sleep(max(0.0, gap_ends")),
    ("pacing (waiting for Telegram's limits)", "Pacer.wait"),
    ("database", "_execute_cursor"),
    ("database", "peewee.py"),
    ("Telegram HTTP", "TelegramTransport.request"),
    ("Pakasir HTTP", "PakasirClient"),
)
_IDLE_LEAVES = ("wait (threading.py", "select (selectors.py", "_wait_for_tstate_lock", "sleep", "sigwait",
                "poll (selectors.py", "accept (socket.py", "get (queue.py", "poll (waitress", "_worker (concurrent",
                "readinto (socket.py", "recv_into", "_recv_into")


def _thread_group(head: str) -> str:
    name = head.split(":", 1)[1].strip() if ":" in head else head
    group = name.rstrip("0123456789_-").split("_")[0] or name
    return "scheduler jobs" if group == "ThreadPoolExecutor" else group


def breakdown(path: Path) -> list[str]:
    """Samples per thread group and what they were doing (waiting samples included)."""
    groups: dict[str, dict[str, int]] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    # Unnamed threads that ever ran a scheduled job are the scheduler's workers.
    job_threads = {line.split(";", 1)[0] for line in lines if "apscheduler" in line}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        head, *frames = stack.split(";")
        leaf = frames[-1] if frames else ""
        state = next((name for name, marker in _STATES if marker in stack), None)
        if state is None:
            state = "idle" if any(marker in leaf for marker in _IDLE_LEAVES) else "CPU (Python)"
        name = _thread_group(head)
        if name.startswith("thread (") and head in job_threads:
            name = "scheduler jobs"
        group = groups.setdefault(name, {})
        group[state] = group.get(state, 0) + int(count)
    out = []
    for group, states in sorted(groups.items(), key=lambda item: -sum(item[1].values())):
        total = sum(states.values())
        parts = ", ".join(f"{100 * n / total:.0f}% {state}" for state, n in
                          sorted(states.items(), key=lambda item: -item[1]) if n / total >= 0.01)
        out.append(f"{group}: {parts}")
    return out


def top_frames(path: Path, limit: int = 12) -> list[str]:
    """Where the busy (non-idle) samples were: own-time leaf frames, by share of busy samples."""
    if not path.exists():
        return []
    idle_leaves = _IDLE_LEAVES
    leaves: dict[str, int] = {}
    busy = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        if any(marker in leaf for marker in idle_leaves) or any(
                marker in stack for state, marker in _STATES if not state.startswith(("database", "CPU"))):
            continue
        busy += int(count)
        leaves[leaf] = leaves.get(leaf, 0) + int(count)
    ranked = sorted(leaves.items(), key=lambda item: -item[1])[:limit]
    return [f"{100 * n / busy:5.1f}%  {leaf}" for leaf, n in ranked] if busy else []

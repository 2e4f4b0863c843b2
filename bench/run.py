"""Every benchmark in one run, the table of figures, and bench/RESULTS.md updated with it.

    .venv/bin/python bench/run.py             # what `make bench` runs (about 9 minutes)
    .venv/bin/python bench/run.py --profile   # also py-spy the shop (profiles in bench/profiles/)
    .venv/bin/python bench/run.py --no-write  # leave bench/RESULTS.md alone

In order: the machine's ceilings; a shop for start-up, memory, checkout and
payment; a fresh shop for the 10,000-user broadcast (while a child process
seeds the big database for ~20 s of its ~6 minutes: the broadcast is paced by
Telegram's limit and uses a few % of a core); then the big shop for the
stock import and the catalogue at scale. Each part also runs alone: see the
scripts.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import big_shop
import broadcast
import ceilings
import checkout_and_payment
from common import ROOT, Report, machine_info, new_workdir, print_report

RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
COMMAND = ".venv/bin/python bench/run.py"
ALONE = {  # each part of the table, and the script that produces it on its own
    "ceilings": ["bench/ceilings.py"],
    "start-up": ["bench/checkout_and_payment.py", "bench/big_shop.py"],
    "memory": ["bench/checkout_and_payment.py", "bench/broadcast.py", "bench/big_shop.py"],
    "checkout": ["bench/checkout_and_payment.py"],
    "payment": ["bench/checkout_and_payment.py"],
    "broadcast": ["bench/broadcast.py"],
    "stock import": ["bench/big_shop.py"],
    "catalogue": ["bench/big_shop.py"],
}


def code_state() -> str:
    """The commit the figures belong to, and whether the working tree differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line for line in git("status", "--porcelain", "--", "quickcart", "quickcart.py").splitlines() if line]
    return f"commit {head}" + (f" with {len(changed)} uncommitted change(s) under quickcart/" if changed else "")


def results_section(report: Report, took: float, args: list[str], code: str) -> str:
    info = machine_info()
    command = " ".join([COMMAND, *args])
    lines = [BEGIN, "",
             f"Latest run: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, `{command}`, "
             f"{took / 60:.1f} minutes in all, on {code}.", "",
             "Machine: " + "; ".join(f"{key} {value}" for key, value in info.items()) + ".", "",
             report.markdown_table(), "",
             "Every figure above comes from that one command. Each part also runs alone:", ""]
    lines += [f"- {section}: " + ", ".join(f"`.venv/bin/python {script}`" for script in scripts)
              for section, scripts in ALONE.items()]
    lines += ["", END]
    return "\n".join(lines)


def write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    RESULTS.write_text(text, encoding="utf-8")
    print(f"updated {RESULTS.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every QuickCart benchmark.")
    parser.add_argument("--profile", action="store_true", help="py-spy the shop in each benchmark")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    passed = [a for a in sys.argv[1:] if a != "--no-write"]
    report = Report(" ".join([COMMAND, *passed]))
    code = code_state()  # before the run: the shop processes load the code as it is now
    started = time.monotonic()

    print("== ceilings", flush=True)
    ceilings.run(report)
    print("== start-up, memory, checkout, payment", flush=True)
    checkout_and_payment.run(report, profile=args.profile)
    big_workdir = new_workdir("big")
    seeding = big_shop.start_seeding(big_workdir)
    print("== broadcast (the big database is seeded meanwhile, in a child process)", flush=True)
    broadcast.run(report, profile=args.profile)
    print("== stock import and the catalogue at scale", flush=True)
    big_shop.run(report, profile=args.profile, workdir=big_workdir, seeding=seeding)

    took = time.monotonic() - started
    if code_state() != code:
        code += f", but the code changed during the run (now {code_state()}): figures mix versions"
        print(f"WARNING: {code}", flush=True)
    print_report(report, "QuickCart benchmarks")
    if not args.no_write:
        write_results(results_section(report, took, passed, code))
    return 0


if __name__ == "__main__":
    sys.exit(main())

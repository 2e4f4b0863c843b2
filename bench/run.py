"""Every benchmark in one run, the table of figures, and bench/RESULTS.md updated with it.

    .venv/bin/python bench/run.py             # what `make bench` runs (about 18 minutes)
    .venv/bin/python bench/run.py --profile   # also py-spy the shop (profiles in bench/profiles/)
    .venv/bin/python bench/run.py --no-write  # leave bench/RESULTS.md alone
    .venv/bin/python bench/run.py --only storm,broadcast [--limits strict]
                                              # some parts: their rows in bench/RESULTS.md are
                                              # replaced, the other rows kept

In order: the machine's ceilings; a shop for start-up, memory, checkout and
payment; a fresh shop for the 10,000-user broadcast, once against each of the
Telegram stand-in's limit models (while a child process seeds the big
database for ~20 s of the first ~6 minutes: the broadcast is paced by
Telegram's limit and uses a few % of a core); a storm of 1,000 new users
pressing /start, against each model; then the big shop for the stock import
and the catalogue at scale. Each part also runs alone: see the scripts.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone

from common import ROOT, Report, Row, limit_models, machine_info, new_workdir, print_report

from quickcart.sandbox.telegram_limits import LIMIT_MODELS, LimitModel

RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
COMMAND = ".venv/bin/python bench/run.py"
ALONE = {  # each part of the table, and the script that produces it on its own
    "ceilings": ["bench/ceilings.py"],
    "start-up": ["bench/checkout_and_payment.py", "bench/big_shop.py"],
    "memory": ["bench/checkout_and_payment.py", "bench/broadcast.py", "bench/big_shop.py"],
    "checkout": ["bench/checkout_and_payment.py"],
    "payment": ["bench/checkout_and_payment.py"],
    "broadcast": ["bench/broadcast.py --limits both"],
    "storm": ["bench/storm.py --limits both"],
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


# What each part writes in the table, so that a run of some parts (--only) replaces just their rows.
PART_ROWS: dict[str, Callable[[Row], bool]] = {
    "ceilings": lambda r: r.section == "ceilings",
    "checkout": lambda r: r.section in ("checkout", "payment") or (r.section, r.metric) in {
        ("start-up", "spawn → first getUpdates"), ("memory", "RSS idle"), ("memory", "RSS after the checkouts")},
    "broadcast": lambda r: r.section == "broadcast" or r.metric.startswith("RSS after the broadcast"),
    "storm": lambda r: r.section == "storm",
    "big": lambda r: r.section in ("stock import", "catalogue") or r.metric.endswith("big database"),
}
_RUN_LINE = re.compile(r"^(Latest run|Rows of [^:]+): ")


def results_section(rows: list[Row], runs: list[str]) -> str:
    info = machine_info()
    source = "that one command" if len(runs) == 1 else "those commands"
    lines = [BEGIN, ""]
    for run in runs:
        lines += [run, ""]
    lines += ["Machine: " + "; ".join(f"{key} {value}" for key, value in info.items()) + ".", "",
              Report("", rows).markdown_table(), "",
              f"Every figure above comes from {source}. Each part also runs alone:", ""]
    lines += [f"- {section}: " + ", ".join(f"`.venv/bin/python {script}`" for script in scripts)
              for section, scripts in ALONE.items()]
    lines += ["", END]
    return "\n".join(lines)


def run_line(label: str, took: float, args: list[str], code: str) -> str:
    command = " ".join([COMMAND, *args])
    return (f"{label}: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, `{command}`, "
            f"{took / 60:.1f} minutes in all, on {code}.")


def current_section() -> str:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    match = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), text, flags=re.S)
    return match.group(0) if match else ""


def parse_rows(section: str) -> list[Row]:
    """The table rows of a section written by :func:`results_section`."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| benchmark |", "|---")):
            continue
        cells = [cell[1:-1] if cell.startswith(" ") and cell.endswith(" ") else cell.strip()
                 for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        section_name, metric, value, target, verdict, note = (cell.replace("\\|", "|") for cell in cells)
        rows.append(Row(section_name, metric, value, target, {"ok": True, "**MISSED**": False}.get(verdict), note))
    return rows


def merge_rows(old: list[Row], new: list[Row], parts: list[str], models: list[LimitModel]) -> list[Row]:
    """``old`` with the rows of ``parts`` (against ``models``) replaced by ``new``, in the place
    of the first replaced one."""
    replaced = [PART_ROWS[part] for part in parts]
    other_models = [f"({name} limits)" for name in LIMIT_MODELS if name not in {m.name for m in models}]
    merged: list[Row] = []
    placed = False
    for row in old:
        if any(owns(row) for owns in replaced) and not any(label in row.metric for label in other_models):
            if not placed:
                merged += new
                placed = True
            continue
        merged.append(row)
    return merged if placed else merged + new


def partial_runs(section: str, parts: list[str], line: str) -> list[str]:
    """The run lines of ``section``, without those this run supersedes, then ``line``."""
    kept = []
    for old in section.splitlines():
        match = _RUN_LINE.match(old)
        if not match:
            continue
        if match.group(1).startswith("Rows of ") and set(match.group(1)[8:].split(", ")) <= set(parts):
            continue
        kept.append(old)
    return kept + [line]


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
    parser.add_argument("--only", default=",".join(PART_ROWS),
                        help=f"comma-separated parts to run, of: {', '.join(PART_ROWS)}")
    parser.add_argument("--limits", default="both",
                        help="the Telegram stand-in's limit models for broadcast and storm: default, strict or both")
    args = parser.parse_args()
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PART_ROWS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(PART_ROWS)}")
    models = limit_models(args.limits)
    passed = [a for a in sys.argv[1:] if a != "--no-write"]
    report = Report(" ".join([COMMAND, *passed]))
    code = code_state()  # before the run: the shop processes load the code as it is now
    started = time.monotonic()

    # Each part is imported only when it runs, so that one that is broken does not stop the others.
    if "ceilings" in parts:
        import ceilings
        print("== ceilings", flush=True)
        ceilings.run(report)
    if "checkout" in parts:
        import checkout_and_payment
        print("== start-up, memory, checkout, payment", flush=True)
        checkout_and_payment.run(report, profile=args.profile)
    big_workdir = seeding = None
    if "big" in parts:
        import big_shop
        big_workdir = new_workdir("big")
        seeding = big_shop.start_seeding(big_workdir)
    if "broadcast" in parts:
        import broadcast
        for model in models:
            print(f"== broadcast, {model.name} limits" + (" (the big database is seeded meanwhile, in a child "
                                                          "process)" if seeding else ""), flush=True)
            broadcast.run(report, profile=args.profile, limits=model)
    if "storm" in parts:
        import storm
        for model in models:
            print(f"== storm of new users, {model.name} limits", flush=True)
            storm.run(report, model)
    if "big" in parts:
        print("== stock import and the catalogue at scale", flush=True)
        big_shop.run(report, profile=args.profile, workdir=big_workdir, seeding=seeding)

    took = time.monotonic() - started
    if code_state() != code:
        code += f", but the code changed during the run (now {code_state()}): figures mix versions"
        print(f"WARNING: {code}", flush=True)
    print_report(report, "QuickCart benchmarks")
    if args.no_write:
        return 0
    if set(parts) == set(PART_ROWS) and len(models) == len(LIMIT_MODELS):
        write_results(results_section(report.rows, [run_line("Latest run", took, passed, code)]))
    else:
        section = current_section()
        rows = merge_rows(parse_rows(section), report.rows, parts, models)
        line = run_line(f"Rows of {', '.join(parts)}", took, passed, code)
        write_results(results_section(rows, partial_runs(section, parts, line)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

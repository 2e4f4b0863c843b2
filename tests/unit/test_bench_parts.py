"""The big-shop benchmark's in-process parts still run against today's code.

Nothing else in CI runs ``bench/``: when the seams were opened, ``bench/big_shop.py`` went on calling
screens and services by their old signatures and ``make bench`` crashed. Here its seeding, its
in-process screens and its scheduler-job timings run on a small shop (no timing is asserted: the
figures are the benchmark's business), so a signature change breaks a test instead.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from quickcart import stock_key
from quickcart.db import close_database, open_database
from quickcart.sandbox.launcher import write_config
from tests.unit.conftest import TOKEN

BENCH = Path(__file__).resolve().parents[2] / "bench"
SMALL = {"PRODUCTS": 40, "CATEGORIES": 2, "USERS": 300, "TARGET_LINES": 12_000}


@pytest.fixture
def bench_modules(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import big_shop
    import common
    import seed_big_shop

    for name, value in SMALL.items():
        monkeypatch.setattr(seed_big_shop, name, value)
        if hasattr(big_shop, name):
            monkeypatch.setattr(big_shop, name, value)
    return SimpleNamespace(big_shop=big_shop, seed=seed_big_shop, common=common)


def test_the_big_shop_benchmark_seeds_and_times_its_screens_and_jobs(bench_modules, tmp_path):
    path = tmp_path / "data" / "quickcart.db"
    counts = bench_modules.seed.seed(path)
    assert counts["product"] == SMALL["PRODUCTS"] and counts["user"] == SMALL["USERS"]
    config = write_config(tmp_path / "config.ini", {
        "telegram": {"token": TOKEN},
        "pakasir": {"project": "bench-shop", "api_key": "k-bench", "base_url": "http://127.0.0.1:9"},
        "database": {"path": str(path)},
    })
    harness = SimpleNamespace(shop=SimpleNamespace(config_path=config))
    report = bench_modules.common.Report("test")
    open_database(path)
    stock_key.unlock_beside(path)
    try:
        bench_modules.big_shop.catalogue_in_process(report, harness, calls=50)
        bench_modules.big_shop.background_jobs(report, harness)
    finally:
        stock_key.forget()
        close_database()
    figures = {row.metric: row.value for row in report.rows}
    assert {"product card in-process (query + screen)", "history page in-process (query + screen)",
            "scheduler jobs, one run each, in-process"} <= set(figures), figures
    assert all("n=50" in figures[name] for name in ("product card in-process (query + screen)",
                                                    "history page in-process (query + screen)"))

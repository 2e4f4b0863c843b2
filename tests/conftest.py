"""Fixtures shared by every test: a fresh database, the stand-ins, a running shop."""
from __future__ import annotations

import pytest

from quickcart import stock_key
from quickcart.checks import data_findings
from quickcart.db import close_database, database, open_database
from quickcart.migrations import migrate


def assert_books_balance(request) -> None:
    """check-data's invariants hold on the bound database (unless the test breaks them on purpose)."""
    if request.node.get_closest_marker("breaks_invariants"):
        return
    failed = [f"{finding.what}: {finding.detail}" for finding in data_findings() if not finding.ok]
    assert not failed, "check-data fails after this test: " + "; ".join(failed)


@pytest.fixture(autouse=True)
def no_stock_key_left_behind():
    """Each test unlocks its own database; a key installed by an earlier test must not help it."""
    yield
    stock_key.forget()


@pytest.fixture
def db(tmp_path, request):
    """A fresh SQLite file with the current schema, bound for this test; check-data passes at the end."""
    open_database(tmp_path / "quickcart.db")
    stock_key.unlock_beside(tmp_path / "quickcart.db")
    migrate(database)
    try:
        yield database
        assert_books_balance(request)
    finally:
        close_database()

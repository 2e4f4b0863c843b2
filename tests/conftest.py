"""Fixtures shared by every test: a fresh database, the stand-ins, a running shop."""
from __future__ import annotations

import pytest

from quickcart.db import close_database, database, open_database
from quickcart.migrations import migrate


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite file with the current schema, bound for this test."""
    open_database(tmp_path / "quickcart.db")
    migrate(database)
    yield database
    close_database()

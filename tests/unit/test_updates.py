"""Telegram update ids: claimed once, remembered long enough, then forgotten."""
from datetime import timedelta

from quickcart.app import QuickCart
from quickcart.handlers.gate import claim_update
from quickcart.models import ProcessedUpdate
from quickcart.timeutil import utcnow


def test_an_update_id_is_claimed_once(db):
    assert claim_update(101) is True
    assert claim_update(101) is False
    assert claim_update(102) is True


def test_ids_older_than_two_days_are_pruned_and_newer_ones_kept(db):
    now = utcnow()
    ProcessedUpdate.insert_many([
        {"update_id": 1, "created_at": now - timedelta(days=3)},
        {"update_id": 2, "created_at": now - timedelta(hours=47)},
        {"update_id": 3, "created_at": now},
    ]).execute()
    QuickCart._prune_processed_updates()
    assert sorted(row.update_id for row in ProcessedUpdate.select()) == [2, 3]

"""Shop-wide switches that survive a restart (maintenance mode)."""
from __future__ import annotations

from quickcart import audit
from quickcart.db import immediate
from quickcart.models import Setting

MAINTENANCE = "maintenance"


def get(key: str, default: str = "") -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else default


def put(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()


def maintenance_on() -> bool:
    return get(MAINTENANCE, "0") == "1"


def set_maintenance(on: bool) -> None:
    put(MAINTENANCE, "1" if on else "0")


def switch_maintenance(admin_id: int, on: bool) -> bool:
    """An admin turns maintenance mode on or off (audited); returns whether it was on."""
    with immediate():
        was_on = maintenance_on()
        set_maintenance(on)
        audit.record("maintenance.on" if on else "maintenance.off", actor_id=admin_id,
                     subject=f"setting:{MAINTENANCE}", before={"maintenance": was_on},
                     after={"maintenance": on})
    return was_on

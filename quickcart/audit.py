"""The audit log: admin actions and payment events, who, what, before, after.

Call :func:`record` inside the transaction that makes the change, so the
log and the change commit together. Never put delivered goods or secrets in
``before``/``after``/``detail``.
"""
from __future__ import annotations

import json
from typing import Any

from quickcart.db import immediate
from quickcart.models import AuditLog


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(action: str, *, actor_id: int | None = None, subject: str = "", before: Any = None,
           after: Any = None, detail: str = "") -> AuditLog:
    return AuditLog.create(action=action, actor_id=actor_id, subject=subject,
                           before=_dump(before), after=_dump(after), detail=detail[:2000])


def record_now(action: str, *, actor_id: int | None = None, subject: str = "", before: Any = None,
               after: Any = None, detail: str = "") -> AuditLog:
    """Record, in a transaction of its own, an action that changes nothing else.

    For admin actions that only read or send (a /recheck, a backup, a
    broadcast); a change is recorded with :func:`record` inside its own
    transaction instead.
    """
    with immediate():
        return record(action, actor_id=actor_id, subject=subject, before=before, after=after, detail=detail)


def recent(subject: str | None = None, limit: int = 20) -> list[AuditLog]:
    query = AuditLog.select().order_by(AuditLog.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditLog.subject == subject)
    return list(query)

"""Periodic jobs on APScheduler's BackgroundScheduler, in this process only.

APScheduler 3 skips a run that starts more than ``misfire_grace_time`` late
(1 s by default) without a word; a busy moment would then silently skip a
payment poll. So late runs are allowed generously, missed runs coalesce into
one, and a job never overlaps itself. Each run is tagged with a correlation
id, and an exception is logged and reported to the admins instead of being
lost in APScheduler's logger.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from quickcart.logging_setup import correlation, new_correlation_id

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": 300, "coalesce": True, "max_instances": 1}
HEARTBEAT_SECONDS = 5


class Jobs:
    def __init__(self, on_error: Callable[[str], None] | None = None, workers: int = 4):
        self.scheduler = BackgroundScheduler(
            timezone=timezone.utc, job_defaults=JOB_DEFAULTS,
            executors={"default": ThreadPoolExecutor(workers)})
        self._on_error = on_error
        self.last_heartbeat = 0.0
        self.every(HEARTBEAT_SECONDS, self._heartbeat, "heartbeat")

    def every(self, seconds: float, func: Callable[[], object], name: str,
              first_run_in: float | None = None) -> None:
        """Run ``func`` every ``seconds``; first after ``first_run_in`` (default: one period)."""
        options = {}
        if first_run_in is not None:
            options["next_run_time"] = datetime.now(timezone.utc) + timedelta(seconds=first_run_in)
        self.scheduler.add_job(self._guarded(func, name), "interval", seconds=seconds, id=name,
                               name=name, replace_existing=True, **options)

    def once(self, func: Callable[[], object], name: str) -> None:
        """Run ``func`` once, as soon as the scheduler starts."""
        self.scheduler.add_job(self._guarded(func, name), "date", id=name, name=name,
                               replace_existing=True)

    def run_now(self, name: str) -> None:
        """Bring a periodic job's next run forward to now (it never overlaps itself)."""
        if self.scheduler.running and self.scheduler.get_job(name) is not None:
            self.scheduler.modify_job(name, next_run_time=datetime.now(timezone.utc))

    def _guarded(self, func: Callable[[], object], name: str) -> Callable[[], None]:
        def run() -> None:
            with correlation(new_correlation_id(f"job-{name}")):
                try:
                    func()
                except Exception as exc:
                    log.exception("job %s failed", name)
                    if self._on_error is not None:
                        self._on_error(f"{exc.__class__.__name__} in job {name}")
        return run

    def _heartbeat(self) -> None:
        self.last_heartbeat = time.monotonic()

    def start(self) -> None:
        self.last_heartbeat = time.monotonic()
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    @property
    def healthy(self) -> bool:
        return (self.scheduler.running
                and time.monotonic() - self.last_heartbeat < HEARTBEAT_SECONDS * 6)

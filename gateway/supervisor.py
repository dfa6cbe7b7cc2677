"""Keep one child process running: the embedded job worker under `make run`'s gunicorn.

gunicorn supervises its web workers but not a process its master started itself: killed (by the
OOM killer, say), the job worker stayed dead and the queue stopped for good. The supervisor restarts
it with exponential backoff (so a worker that dies at start does not spin), logging each exit and
restart; the jobs the dead worker held come back through their leases. It lives outside
`gateway.app` so gunicorn's master does not import the application.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field

log = logging.getLogger("gateway.supervisor")


@dataclass(eq=False)
class ProcessSupervisor:
    """Start `argv`, restart it whenever it exits, until `stop()`."""

    argv: Sequence[str]
    _: KW_ONLY
    min_backoff: float = 1.0
    max_backoff: float = 30.0
    healthy_after: float = 60.0
    poll_interval: float = 0.5
    restarts: int = field(default=0, init=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> ProcessSupervisor:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self.process = subprocess.Popen(self.argv)
            self._started_at = time.monotonic()
        log.info("supervisor: started %s (pid %s)", " ".join(self.argv), self.process.pid)

    def _watch(self) -> None:
        backoff = self.min_backoff
        while not self._stopping.wait(self.poll_interval):
            process = self.process
            if process is None or process.poll() is None:
                continue
            ran_for = time.monotonic() - self._started_at
            if ran_for >= self.healthy_after:
                backoff = self.min_backoff
            log.warning(
                "supervisor: pid %s exited after %.1f s; restarting in %.1f s",
                process.pid,
                ran_for,
                backoff,
            )
            if self._stopping.wait(backoff):
                return
            self.restarts += 1
            self._spawn()
            backoff = min(self.max_backoff, backoff * 2)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop supervising, then stop the child: SIGTERM, and SIGKILL after `timeout`."""
        self._stopping.set()
        with self._lock:
            process = self.process
        if self._thread is not None:
            self._thread.join(timeout=5)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

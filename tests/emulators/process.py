"""Start an emulator (or any of our servers) as a real child process and learn its port.

Every emulator module is runnable as `python -m tests.emulators.<name> --port P [options]` and prints
one line `LISTENING <port>` on stdout once its socket accepts connections (`--port 0` picks a free
port). `restart()` stops the process and starts it again on the same port: a real server restart
that loses all in-memory state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class EmulatorProcess:
    module: str
    args: Sequence[str] = ()
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--port", str(self.port), *self.args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.module} exited with {self.process.wait()}")
            if line.startswith("LISTENING "):
                self.port = int(line.split()[1])
                return self
        self.stop()
        raise RuntimeError(f"{self.module} did not start within {timeout} s")

    def configure(self, **knobs: object) -> dict:
        """Set fault knobs through the emulator's control endpoint (`POST /_emulator/config`)."""
        response = requests.post(f"{self.url}/_emulator/config", json=knobs, timeout=5)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stdout:
            self.process.stdout.close()

    def restart(self) -> EmulatorProcess:
        self.stop()
        return self.start()

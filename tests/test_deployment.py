"""docker-compose.yml is valid compose and the alerting rules are valid Prometheus rules (checked by
the real tools, from Debian's packages)."""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.conftest import service_missing
from tests.e2e.harness import ROOT


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_missing(f"{name} is not installed (.ci/run installs it from Debian's packages)")
    return path


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("docker-compose"), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_docker_compose_file_is_valid_with_a_secret_key():
    result = compose_config(GATEWAY_SECRET_KEY="a-long-random-secret")
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_a_secret_key():
    result = compose_config()
    assert result.returncode != 0
    assert "set GATEWAY_SECRET_KEY" in result.stderr


def test_the_shipped_alerting_rules_pass_promtool():
    result = subprocess.run(
        [tool("promtool"), "check", "rules", str(ROOT / "docs" / "alerts.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout

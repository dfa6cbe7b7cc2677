"""/metrics from several gunicorn workers and a job worker passes `promtool check metrics`."""

from __future__ import annotations

import subprocess

import requests

from tests.test_deployment import tool


def test_metrics_from_two_web_workers_and_a_job_worker_pass_promtool(gateway):
    for _ in range(20):  # fresh connections land on both web workers
        requests.get(
            f"{gateway.url}/api/v2/images",
            headers={"X-API-Key": gateway.api_key, "Connection": "close"},
            timeout=30,
        )
    gateway.wait_job(gateway.generate(prompt="metrics", width=128, height=128))
    body = requests.get(f"{gateway.url}/metrics", timeout=30).text
    assert "pod_api_requests_total" in body
    assert "pod_generation_completed_total 1.0" in body
    checked = subprocess.run(
        [tool("promtool"), "check", "metrics"],
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

"""The mixed workload of the load test (`bench/bench_load.py`), for Locust.

An integrator's day in proportions: mostly reads (lists, images, jobs), some generations (small
local designs, each with an Idempotency-Key), approvals of pending images one by one and in
batches; every approval is also a webhook delivery to the subscriber the driver set up. The API key
comes from `POD_API_KEY`. Each request counts as a failure unless it answers as the contract says.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, between, task

SIZES = (64, 96, 128)


class Integrator(FastHttpUser):
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.headers = {"X-API-Key": os.environ["POD_API_KEY"]}
        self.pending: list[str] = []

    def _pending_images(self) -> list[str]:
        if not self.pending:
            with self.client.get(
                "/api/v2/images?status=pending&limit=50",
                headers=self.headers,
                name="/api/v2/images?status=pending",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}")
                    return []
                self.pending = [item["id"] for item in response.json()["items"]]
                random.shuffle(self.pending)
        return self.pending

    @task(10)
    def list_images(self) -> None:
        self.client.get("/api/v2/images?limit=50", headers=self.headers, name="/api/v2/images")

    @task(4)
    def read_image(self) -> None:
        images = self._pending_images()
        if images:
            self.client.get(
                f"/api/v2/images/{images[0]}", headers=self.headers, name="/api/v2/images/{id}"
            )

    @task(3)
    def list_jobs(self) -> None:
        self.client.get("/api/v2/jobs?limit=20", headers=self.headers, name="/api/v2/jobs")

    @task(3)
    def generate(self) -> None:
        side = random.choice(SIZES)
        with self.client.post(
            "/api/v2/generate",
            json={"prompt": f"load test {uuid.uuid4().hex[:8]}", "width": side, "height": side},
            headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
            name="/api/v2/generate",
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(2)
    def approve_one(self) -> None:
        images = self._pending_images()
        if not images:
            return
        image_id = images.pop()
        with self.client.post(
            f"/api/v2/images/{image_id}/approve",
            json={},
            headers=self.headers,
            name="/api/v2/images/{id}/approve",
            catch_response=True,
        ) as response:
            # Another user may have taken the same pending image first: a 409 is the contract.
            if response.status_code in (200, 409):
                response.success()
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(1)
    def approve_batch(self) -> None:
        images = self._pending_images()
        batch, self.pending = images[:5], images[5:]
        if not batch:
            return
        with self.client.post(
            "/api/v2/batch/approve",
            json={"image_ids": batch},
            headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
            name="/api/v2/batch/approve",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            elif response.json()["counts"]["total"] != len(batch):
                response.failure("the batch lost items")

"""Publishing through a storm: 5xx, 429s, lost responses and a killed worker, yet exactly once.

Each test starts its own gateway with two worker processes, embedded (SQLite, SQLite queue,
pacing shared through SQLite) or distributed (PostgreSQL, Redis queue and pacing; skipped only when
TEST_DATABASE_URL / TEST_REDIS_URL are unset, as CI sets them). Designs and the template are made
before the faults start; then 30 % of Printify calls fail (half 5xx, half 429) and ten calls that
create something lose their answer after the change was made. Every image must end `published`
with exactly one product in the emulator (counted by the publication's marker tag), none locked.
"""

from __future__ import annotations

import signal

import pytest

from tests.conftest import emulator_stats
from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.publishing import (
    all_publications,
    approved_images,
    assert_published_exactly_once,
    batch_publish,
    printify_env,
    sticker_template,
    wait_final,
)
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
IMAGES = 40
LOST = {"upload": 4, "create_product": 3, "publish": 3}
STORM = {
    "any": {"fail_ratio": 0.15, "rate_limit_ratio": 0.15},
    **{route: {"lost_responses": count} for route, count in LOST.items()},
}


@pytest.fixture(autouse=True)
def emulator(printify_emulator: EmulatorProcess) -> EmulatorProcess:
    printify_emulator.configure(reset=True)
    return printify_emulator


def prepared(
    start_gateway: GatewayFactory, emulator: EmulatorProcess, env: dict[str, str], count: int
) -> tuple[Gateway, str, list[str]]:
    """A gateway with two workers, a sticker template and `count` approved designs."""
    gateway = start_gateway(printify_env(emulator, **env), workers=2)
    template = sticker_template(gateway)
    return gateway, template["id"], approved_images(gateway, count, seed=7000)


def test_storm_of_failures_429s_and_lost_responses_publishes_every_image_exactly_once(
    start_gateway, emulator, mode_env
):
    gateway, template_id, image_ids = prepared(start_gateway, emulator, mode_env, IMAGES)
    emulator.configure(seed=42, faults=STORM)

    publication_ids = batch_publish(gateway, image_ids, template_id)
    items = wait_final(gateway, publication_ids, timeout=240)

    assert_published_exactly_once(emulator, items)
    stats = emulator_stats(emulator)
    assert stats["lost_responses"] == sum(LOST.values())
    assert stats["injected_failures"] > 0 and stats["rate_limited_by"]["injected"] > 0
    assert stats["errors_ratio"] > 0.2  # the storm really blew
    # Every lost answer (and every 5xx to a call that creates something) was looked up in
    # Printify before anything was sent again.
    assert sum(item["reconciliations"] for item in items) >= sum(LOST.values())


def test_worker_killed_mid_batch_still_publishes_every_image_exactly_once(
    start_gateway, emulator, mode_env
):
    gateway, template_id, image_ids = prepared(start_gateway, emulator, mode_env, 30)
    emulator.configure(seed=7, faults={"any": {"latency": 0.3}})  # every call is in flight a while

    publication_ids = batch_publish(gateway, image_ids, template_id)
    wait_for(
        lambda: _published(gateway, publication_ids) >= 5,
        timeout=60,
        interval=0.05,
        what="the batch to be under way",
    )
    gateway.kill_worker(gateway.workers[0], signal.SIGKILL)
    gateway.start_worker()
    items = wait_final(gateway, publication_ids, timeout=120)

    assert_published_exactly_once(emulator, items)
    assert any(item["attempts"] >= 2 for item in items), "no publication was interrupted"


def _published(gateway: Gateway, publication_ids: list[str]) -> int:
    found = all_publications(gateway)
    return sum(found[pid]["status"] == "published" for pid in publication_ids if pid in found)

"""The served OpenAPI documents are the truth (contract section 6): both are valid Swagger 2.0, and
schemathesis, with every check, finds no server error and no non-conformance against a running
gunicorn gateway.

Every check runs (schemathesis's default), except "schema-valid request rejected" on the few
operations whose rule Swagger 2.0 cannot state; `contract.toml` names each and says why. Values no
schema can make valid (an Idempotency-Key's history, a cursor, an image file) are supplied by
`contract_hooks`.

The run is bounded for a 2-core machine (SCHEMATHESIS_MAX_EXAMPLES per operation, at most
SCHEMATHESIS_MAX_TIME seconds per version, a fixed seed, printed with the command so a failure can
be replayed with `st run ... --seed`). The test key is on the enterprise plan so the run is not
rate limited; 429 is still documented everywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from openapi_spec_validator import validate

from tests.e2e.harness import BIN, ROOT, Gateway
from tests.e2e.publishing import printify_env
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "1"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
MAX_TIME = int(os.environ.get("SCHEMATHESIS_MAX_TIME", "60"))
EXCLUSIONS = ROOT / "tests" / "api" / "contract.toml"


@pytest.fixture(scope="module")
def contract_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the Printify emulator, so the catalog answers instead of 503."""
    emulator = EmulatorProcess("tests.emulators.printify").start()
    env = {**printify_env(emulator), "MAX_IMAGE_DIMENSION": "512"}
    gateway = Gateway(tmp_path_factory.mktemp("contract"), env, web_workers=1)
    try:
        yield gateway.start(workers=1)
    finally:
        gateway.stop()
        emulator.stop()


@pytest.mark.parametrize("version", [1, 2])
def test_document_is_valid_swagger(contract_gateway: Gateway, version: int) -> None:
    document = requests.get(f"{contract_gateway.url}/api/v{version}/swagger.json", timeout=10)
    assert document.status_code == 200
    validate(document.json())


@pytest.mark.parametrize("version", [1, 2])
def test_schemathesis_finds_no_failure(contract_gateway: Gateway, version: int) -> None:
    command = [
        str(BIN / "st"),
        "--config-file",
        str(EXCLUSIONS),
        "run",
        f"{contract_gateway.url}/api/v{version}/swagger.json",
        "--header",
        f"X-API-Key: {contract_gateway.api_key}",
        "--workers",
        "1",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-time",
        str(MAX_TIME),
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.contract_hooks", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAX_TIME + 180,
        check=False,
    )
    elapsed = time.monotonic() - started
    budget = (
        f"v{version}: seed={SEED} max_examples={MAX_EXAMPLES} max_time={MAX_TIME} s "
        f"took {elapsed:.0f} s"
    )
    print(budget, " ".join(command[:5]), file=sys.stderr)
    assert result.returncode == 0, (
        f"{budget}\n{result.stdout[-20000:]}\n{result.stderr[-2000:]}\n"
        f"{server_errors(contract_gateway)}"
    )


def server_errors(gateway: Gateway, context: int = 40) -> str:
    """The gateway's logged errors with the lines after each (its traceback): what a 500 that
    schemathesis reports was, which its own output cannot say."""
    found = []
    for path in sorted(gateway.state_dir.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if " ERROR " in line or line.startswith("Traceback"):
                found.append(
                    f"--- {path.name}:{number + 1}\n" + "\n".join(lines[number:][:context])
                )
    return "\n".join(found[-5:]) or "(the gateway logged no error)"

"""Browser tests: Debian's Chromium driven headless by Playwright against a real gateway.

The gateway runs as in production (gunicorn + a job worker, started by tests/e2e/harness.py); the
browser logs in through the real form. Screenshots go to `test-artifacts/` at the repository root;
with `UPDATE_SCREENSHOTS=1` the README's copies in `docs/screenshots/` are refreshed too.

Each test tags the prompts of the images it makes with a word of its own and opens the queue
filtered by that word (`/review?q=<tag>`), so tests sharing the gateway never see each other's
images.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.conftest import service_missing
from tests.e2e.harness import ROOT, Gateway
from tests.e2e.publishing import printify_env
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 20_000
PASSWORDS = {
    "admin": "admin-password-1",
    "reviewer": "reviewer-password-1",
    "viewer": "viewer-password-1",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Distinct subjects so that a test's images are not near-duplicates of each other.
SUBJECTS = (
    "fox in a scarf",
    "night owl",
    "humpback whale",
    "desert cactus",
    "mountain sunrise",
    "retro rocket",
    "floral teapot",
    "vintage bicycle",
    "stormy lighthouse",
    "curious octopus",
    "tulip field",
    "paper dragon",
    "friendly robot",
    "koi pond",
    "jazz violin",
    "falling comet",
    "forest mushroom",
    "ship anchor",
    "tropical pineapple",
    "hilltop castle",
    "sleepy cat",
    "hot air balloon",
    "cherry blossom",
    "vinyl record",
    "polar bear",
)
# The `login` and `make_images` fixtures, as the tests annotate them.
Login = Callable[..., Page]
MakeImages = Callable[..., list[str]]
FOCUSED = re.compile(r"\bis-focused\b")
SELECTED = re.compile(r"\bis-selected\b")

expect.set_options(timeout=TIMEOUT_MS)


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        service_missing("Debian's chromium is not installed (.ci/run installs it)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextmanager
def gateway_with_operators(root: Path, env: dict[str, str]) -> Iterator[Gateway]:
    """A started gateway with one operator per role in PASSWORDS; stopped on leaving.

    One web process is plenty for one browser (and spares the 2-core CI machine an app import);
    the operators are created concurrently, as each CLI call spends its time importing the app.
    """
    gateway = Gateway(root, env, web_workers=1)
    try:
        gateway.start(workers=1)
        with ThreadPoolExecutor(len(PASSWORDS)) as pool:
            created = [
                pool.submit(
                    gateway.flask,
                    "operators",
                    "create",
                    role,
                    "--role",
                    role,
                    "--password",
                    password,
                )
                for role, password in PASSWORDS.items()
            ]
            for future in created:
                future.result()
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="session")
def ui_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with one operator per role (`admin`, `reviewer`, `viewer`) and no Printify token.

    Starting one costs seconds, so the browser tests share it; their tags keep their data apart.
    """
    root = tmp_path_factory.mktemp("ui-gateway")
    with gateway_with_operators(root, {"WORKER_CONCURRENCY": "2"}) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def printify_gateway(
    tmp_path_factory: pytest.TempPathFactory, printify_emulator: EmulatorProcess
) -> Iterator[Gateway]:
    """A gateway that talks to the Printify emulator (reset first), one operator per role.

    For the tests that need Printify's catalog or costs, which `ui_gateway` has no token for; one
    per test module, so that each module starts from the emulator's defaults.
    """
    printify_emulator.configure(reset=True)
    root = tmp_path_factory.mktemp("printify-gateway")
    with gateway_with_operators(root, printify_env(printify_emulator)) as gateway:
        yield gateway


def _logins(
    browser: Browser, gateway: Gateway, *, previews_must_load: bool = False
) -> Iterator[Callable[..., Page]]:
    """Open fresh browser contexts on `gateway`, each logged in through the form as a role.

    Uncaught script errors, console errors and 5xx answers on any page fail the test when it
    ends: a broken script (say, one the Content-Security-Policy blocks) would otherwise go
    unnoticed. Refused requests (4xx) are left to the tests, some of which provoke them, except
    refused previews where `previews_must_load`.
    """
    contexts = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    def on_response(response: Response) -> None:
        refused_preview = response.status >= 400 and "/preview?" in response.url
        if response.status >= 500 or (previews_must_load and refused_preview):
            problems.append(f"{response.status} from {response.request.method} {response.url}")

    def open_as(role: str, *, height: int = 900) -> Page:
        context = browser.new_context(
            viewport={"width": 1440, "height": height}, base_url=gateway.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)
        page.goto("/login")
        page.fill("#username", role)
        page.fill("#password", PASSWORDS[role])
        page.click("button[type=submit]")
        page.wait_for_url("**/review**")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def login(browser: Browser, ui_gateway: Gateway) -> Iterator[Login]:
    """Log in to `ui_gateway` as `role` in a fresh browser context: a page 1440 x 900 (`height`
    changes that); script errors and 5xx answers fail the test (see `_logins`)."""
    yield from _logins(browser, ui_gateway)


@pytest.fixture
def printify_login(browser: Browser, printify_gateway: Gateway) -> Iterator[Login]:
    """Log in to `printify_gateway` as `login` does; a refused preview fails the test too."""
    yield from _logins(browser, printify_gateway, previews_must_load=True)


@pytest.fixture
def make_images(ui_gateway: Gateway) -> Callable[..., list[str]]:
    """Generate `count` small images whose prompts all contain `tag`; their ids in job order.

    One job per few images, each job with a prompt of its own, all submitted before waiting. The
    tag sits between style words, so the local backend letters the subject rather than the tag.
    """

    def make(tag: str, count: int, *, per_job: int = 2) -> list[str]:
        jobs = []
        for index, start in enumerate(range(0, count, per_job)):
            jobs.append(
                ui_gateway.generate(
                    prompt=f"{SUBJECTS[index % len(SUBJECTS)]}, flat sticker illustration, {tag} style",
                    width=512,
                    height=512,
                    batch_size=min(per_job, count - start),
                )
            )
        ids: list[str] = []
        for job_id in jobs:
            job = ui_gateway.wait_job(job_id)
            assert job["status"] == "completed", job
            ids.extend(job["image_ids"])
        assert len(ids) == count
        return ids

    return make


def card(page: Page, image_id: str) -> Locator:
    """The queue card of one image."""
    return page.locator(f'#grid .card[data-image-id="{image_id}"]')


def card_ids(page: Page) -> list[str]:
    """The image ids of the queue's cards, in page order."""
    return page.locator("#grid .card").evaluate_all("cards => cards.map(c => c.dataset.imageId)")


def image(gateway: Gateway, image_id: str) -> dict:
    """The image as the API shows it."""
    response = gateway.get(f"/api/v1/images/{image_id}")
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_visible_images(page: Page) -> None:
    """Wait until every image inside the viewport has loaded (lazy ones below it never will)."""
    page.wait_for_function(
        """() => Array.from(document.images)
             .filter((img) => img.getBoundingClientRect().top < window.innerHeight)
             .every((img) => img.complete && img.naturalWidth > 0)"""
    )


def screenshot(page: Page, name: str) -> Path:
    """Save the viewport as test-artifacts/<name>.png (and into docs/ when asked to)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOTS / path.name)
    return path

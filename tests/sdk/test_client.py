"""The Python client (sdk/python) against a real gateway: gunicorn, a worker, the local backend.

One gateway serves the module, with a generation limit of 1 per hour on the free plan (100 for
the enterprise key the other tests use) so a free key meets a real 429 with Retry-After.
"""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import websocket
from podgateway import (
    AuthenticationError,
    BatchResult,
    Client,
    ConflictError,
    IdempotencyError,
    Image,
    Job,
    NotFound,
    Page,
    RateLimitError,
    ServiceUnavailable,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)

from tests.conftest import artwork
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.webhooks import FAST_RETRIES, received
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e

OTHER_SECRET = "whsec_" + base64.b64encode(b"not the subscription's secret!!").decode()
ENV = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "WEBHOOK_RETRY_SCHEDULE": FAST_RETRIES,
    "RATE_LIMIT_GENERATION": "1",
}


class RecordingSession(requests.Session):
    """A real session that remembers every exchange; it may lose the first POST's answer (the
    server did the work, the caller saw a dropped connection), as a flaky network would."""

    def __init__(self, *, lose_first_post: bool = False) -> None:
        super().__init__()
        self.lose_first_post = lose_first_post
        self.exchanges: list[tuple[requests.PreparedRequest, requests.Response]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        self.exchanges.append((request, response))
        if self.lose_first_post and request.method == "POST":
            self.lose_first_post = False
            raise requests.ConnectionError("connection reset before the answer arrived")
        return response

    def sent(self, method: str, path: str) -> list[requests.PreparedRequest]:
        return [r for r, _ in self.exchanges if r.method == method and path in (r.path_url or "")]


@pytest.fixture(scope="module")
def gateway(module_gateways: Callable[..., Gateway]) -> Gateway:
    return module_gateways(ENV)


@pytest.fixture
def client(gateway: Gateway) -> Iterator[Client]:
    with Client(gateway.url, gateway.api_key, timeout=20) as sdk:
        yield sdk


def upload(client: Client, seed: int, **fields: Any) -> Image:
    return client.upload_image(artwork(480, 480, seed=seed), filename=f"d{seed}.png", **fields)


def test_generate_and_follow_the_job_by_websocket(gateway: Gateway) -> None:
    session = RecordingSession()
    with Client(gateway.url, gateway.api_key, session=session) as client:
        accepted = client.generate("sdk tiger", width=256, height=256, batch_size=2, seed=5)
        assert accepted.status == "pending" and accepted.websocket_url.endswith(accepted.job_id)

        updates = list(client.follow_job(accepted.job_id, timeout=60))

    assert all(isinstance(update, Job) for update in updates)
    final = updates[-1]
    assert final.status == "completed" and final.is_final
    assert len(final.image_ids) == 2 and final.completed_at is not None
    assert not any(update.is_final for update in updates[:-1])
    assert session.sent("GET", f"/jobs/{accepted.job_id}") == []  # the socket told it all


def test_following_falls_back_to_polling_when_the_socket_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError("no websocket here")

    accepted = client.generate("sdk polling", width=256, height=256)
    monkeypatch.setattr(websocket, "create_connection", refuse)

    final = client.wait_for_job(accepted.job_id, timeout=60)

    assert final.status == "completed" and len(final.image_ids) == 1
    assert client.get_image(final.image_ids[0]).job_id == accepted.job_id


def test_iter_images_follows_the_cursor_across_pages(gateway: Gateway) -> None:
    token = secrets.token_hex(4)
    with Client(gateway.url, gateway.api_key) as client:
        uploaded = [upload(client, 100 + i, title=f"pager {token} {i}") for i in range(5)]
    session = RecordingSession()
    with Client(gateway.url, gateway.api_key, session=session) as client:
        first = client.list_images(q=token, limit=2)
        seen = [image.id for image in client.iter_images(q=token, page_size=2)]

    assert isinstance(first, Page) and len(first.items) == 2 and first.next_cursor
    assert seen == [image.id for image in reversed(uploaded)]  # newest first, each once
    pages = session.sent("GET", "/api/v2/images?")
    assert len(pages) == 1 + 3
    assert "cursor=" not in pages[1].path_url and "cursor=" in pages[2].path_url


def test_upload_patch_approve_and_reject(client: Client) -> None:
    design = upload(client, 7, title="Sunset", description="warm", tags=["retro", "surf"])
    assert design.status == "pending" and design.source == "upload"
    assert design.tags == ["retro", "surf"] and design.width == 480
    assert design.urls["original"].startswith(f"{client.base_url}/api/v2/images/{design.id}/file")

    patched = client.update_image(design.id, title="Sunset club", tags=["retro"])
    assert (patched.title, patched.tags, patched.description) == ("Sunset club", ["retro"], "warm")

    approved = client.approve_image(design.id, note="ship it")
    assert approved.status == "approved"
    with pytest.raises(ConflictError) as conflict:
        client.approve_image(design.id)
    assert conflict.value.code == "INVALID_TRANSITION" and conflict.value.status == 409

    other = upload(client, 8)
    rejected = client.reject_image(other.id, "low_quality", note="blurry")
    assert rejected.status == "rejected" and rejected.reject_reason == "low_quality"

    third = upload(client, 9)
    outcome = client.batch_approve([third.id, design.id, "img_missing"])
    assert isinstance(outcome, BatchResult)
    assert outcome.successful == [third.id] and design.id in outcome.skipped
    assert [failure.image_id for failure in outcome.failed] == ["img_missing"]
    assert client.download_image(third.id, "thumbnail")[8:12] == b"WEBP"

    client.delete_image(other.id)
    with pytest.raises(NotFound):
        client.get_image(other.id)


def test_upscale_makes_a_child_image_and_refuses_factor_3(client: Client) -> None:
    design = upload(client, 11)
    accepted = client.upscale(design.id, 2)
    job = client.wait_for_job(accepted.job_id)
    assert (job.status, job.mode, job.source_image_id) == ("completed", "upscale", design.id)
    child = client.get_image(job.image_ids[0])
    assert (child.parent_id, child.source, child.status) == (design.id, "upscale", "pending")
    assert (child.width, child.height) == (design.width * 2, design.height * 2)
    with pytest.raises(ValidationError) as refused:
        client.upscale(design.id, 3)
    assert [error.field for error in refused.value.errors] == ["factor"]


def test_a_mockup_preview_and_its_refusals(client: Client) -> None:
    design = upload(client, 10)
    template = client.create_template(
        {
            "name": "Tee for a preview",
            "blueprint_id": 6,
            "print_provider_id": 99,
            "variants": [{"id": 12100, "price": 2500}],
            "placeholder": {"width": 900, "height": 1080},
        }
    )
    assert client.preview_image(design.id, template.id)[8:12] == b"WEBP"
    with pytest.raises(ValidationError) as refused:
        client.preview_image(design.id, template.id, variant_id=12110)
    assert [error.field for error in refused.value.errors] == ["variant_id"]
    with pytest.raises(NotFound):
        client.preview_image("img_missing", template.id)


def test_template_pricing_and_its_refresh_without_printify(client: Client) -> None:
    template = client.create_template(
        {
            "name": "Tee by rule, SDK",
            "blueprint_id": 6,
            "print_provider_id": 99,
            "variants": [{"id": 12100}],
            "pricing": {"markup_percent": 40, "min_profit_cents": 300},
            "placeholder": {"width": 900, "height": 1080},
        }
    )
    assert template.pricing == {
        "markup_percent": 40.0,
        "round_to_cents": 99,
        "min_profit_cents": 300,
    }
    priced = client.template_pricing(template.id)
    assert [(row["id"], row["known"], row["profit"]) for row in priced["variants"]] == [
        (12100, False, None)
    ]
    with pytest.raises(ServiceUnavailable):
        client.refresh_template_pricing(template.id)
    with pytest.raises(NotFound):
        client.template_pricing("tpl_missing")


def test_a_retried_post_reuses_its_idempotency_key_and_works_once(gateway: Gateway) -> None:
    prompt = f"sdk once {secrets.token_hex(4)}"
    session = RecordingSession(lose_first_post=True)
    with Client(gateway.url, gateway.api_key, session=session, backoff=0.05) as client:
        accepted = client.generate(prompt, width=256, height=256)
        client.wait_for_job(accepted.job_id, timeout=60)
        jobs = [job for job in client.iter_jobs(page_size=200) if job.params["prompt"] == prompt]

    posts = session.sent("POST", "/api/v2/generate")
    assert len(posts) == 2
    keys = {post.headers["Idempotency-Key"] for post in posts}
    assert len(keys) == 1 and len(next(iter(keys))) == 36
    assert [job.job_id for job in jobs] == [accepted.job_id]


def test_every_post_carries_a_fresh_key_unless_one_is_given(gateway: Gateway) -> None:
    session = RecordingSession()
    with Client(gateway.url, gateway.api_key, session=session) as client:
        first = upload(client, 21)
        second = upload(client, 22)
        mine = client.generate("sdk own key", width=256, height=256, idempotency_key="k-sdk-1")
        again = client.generate("sdk own key", width=256, height=256, idempotency_key="k-sdk-1")
        with pytest.raises(IdempotencyError) as reused:
            client.generate("another prompt", idempotency_key="k-sdk-1")

    keys = [r.headers["Idempotency-Key"] for r, _ in session.exchanges if r.method == "POST"]
    assert keys[0] != keys[1] and keys[2:] == ["k-sdk-1"] * 3
    assert first.id != second.id and mine.job_id == again.job_id
    assert reused.value.status == 422 and reused.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_429_is_retried_after_retry_after_then_raised(gateway: Gateway) -> None:
    free_key = gateway.flask(
        "keys", "create", "sdk-free", "--plan", "free", "--scopes", "read,generate"
    ).stdout.splitlines()[-1]
    with Client(gateway.url, free_key, max_attempts=1) as once:
        for _ in range(6):  # the free plan may generate once an hour (per process, or in all)
            try:
                once.generate("sdk limit", width=256, height=256)
            except RateLimitError as limited:
                assert limited.code == "RATE_LIMIT_EXCEEDED" and limited.retry_after
                break
        else:
            pytest.fail("the free key was never limited")

    waits: list[float] = []
    session = RecordingSession()
    patient = Client(
        gateway.url,
        free_key,
        session=session,
        max_attempts=3,
        max_retry_after=math.inf,
        sleep=waits.append,  # record the waits instead of sleeping for most of an hour
    )
    with patient, pytest.raises(RateLimitError) as limited:
        patient.generate("sdk limit", width=256, height=256)

    answers = [response for _, response in session.exchanges]
    assert [answer.status_code for answer in answers] == [429, 429, 429]
    assert waits == [float(answer.headers["Retry-After"]) for answer in answers[:2]]
    assert all(wait >= 1 for wait in waits) and limited.value.retry_after
    assert len({request.headers["Idempotency-Key"] for request, _ in session.exchanges}) == 1


def test_503_is_retried_with_backoff_then_raised_typed(
    module_gateways: Callable[..., Gateway],
) -> None:
    # A deployment whose default backend is not configured answers 503 without Retry-After.
    misconfigured = module_gateways({"GENERATION_BACKEND": "comfyui"}, web_workers=1)
    waits: list[float] = []
    session = RecordingSession()
    client = Client(
        misconfigured.url,
        misconfigured.api_key,
        session=session,
        max_attempts=3,
        backoff=0.2,
        sleep=waits.append,
    )
    with client, pytest.raises(ServiceUnavailable) as unavailable:
        client.generate("sdk default backend")

    assert (unavailable.value.status, unavailable.value.code) == (503, "SERVICE_UNAVAILABLE")
    assert unavailable.value.details == {"backend": "comfyui"}
    assert [response.status_code for _, response in session.exchanges] == [503, 503, 503]
    assert len(waits) == 2 and 0.1 <= waits[0] <= 0.2 and 0.2 <= waits[1] <= 0.4
    assert len({request.headers["Idempotency-Key"] for request, _ in session.exchanges}) == 1


def test_a_long_retry_after_is_raised_not_slept_through(gateway: Gateway) -> None:
    free_key = gateway.flask(
        "keys", "create", "sdk-free-2", "--plan", "free", "--scopes", "read,generate"
    ).stdout.splitlines()[-1]
    waits: list[float] = []
    client = Client(gateway.url, free_key, max_retry_after=0.5, sleep=waits.append)
    with client, pytest.raises(RateLimitError) as limited:
        for _ in range(6):
            client.generate("sdk impatient", width=256, height=256)
    assert limited.value.retry_after and limited.value.retry_after > 0.5
    assert waits == []


def test_errors_are_typed_problem_details(gateway: Gateway, client: Client) -> None:
    with pytest.raises(NotFound) as missing:
        client.get_job("job_doesnotexist")
    error = missing.value
    assert (error.status, error.code) == (404, "NOT_FOUND")
    assert error.detail and error.request_id and error.instance == "/api/v2/jobs/job_doesnotexist"
    with pytest.raises(NotFound):  # the WebSocket's error message, raised the same way
        next(client.follow_job("job_doesnotexist", timeout=10))

    with pytest.raises(ValidationError) as invalid:
        client.generate("", width=13)
    fields = {problem.field for problem in invalid.value.errors}
    assert invalid.value.code == "VALIDATION_ERROR" and {"prompt", "width"} <= fields

    with Client(gateway.url, "pod_not_a_key") as stranger, pytest.raises(AuthenticationError):
        stranger.me()


def test_account_operations_and_lists(client: Client) -> None:
    me = client.me()
    assert me.plan == "enterprise" and "admin" in me.scopes
    assert {backend.name for backend in client.backends()} >= {"local"}
    assert client.status()["uptime_seconds"] >= 0
    usage = client.usage()
    assert usage.period and usage.period.start and usage.period.end
    assert usage.period.start < usage.period.end and usage.plan == "enterprise"
    assert usage.used["images"] >= 0 and set(usage.quota) == set(usage.used)
    for page in (
        client.list_jobs(limit=1),
        client.list_templates(),
        client.list_publications(),
        client.list_products(),
        client.list_webhooks(),
    ):
        assert isinstance(page, Page)
    with pytest.raises(NotFound):
        client.get_template("tpl_missing")


def test_webhook_delivery_verifies_with_the_subscription_secret(
    client: Client, receiver: EmulatorProcess
) -> None:
    receiver.configure(reset=True)
    hook = client.create_webhook(f"{receiver.url}/sdk-hook", ["webhook.test"])
    assert hook.secret and hook.secret.startswith("whsec_")
    try:
        delivery = client.test_webhook(hook.id)
        record = wait_for(
            lambda: next(
                (
                    r
                    for r in received(receiver, "/sdk-hook")
                    if r["webhook_id"] == delivery.event_id
                ),
                None,
            ),
            timeout=30,
            what="the test delivery",
        )
        body, headers = record["body"].encode(), record["headers"]

        event = verify_webhook(body, headers, hook.secret)
        assert (event.event_type, event.event_id) == ("webhook.test", delivery.event_id)
        assert verify_webhook(body, headers, [OTHER_SECRET, hook.secret]) == event
        with pytest.raises(WebhookVerificationError):
            verify_webhook(body.replace(b"webhook.test", b"webhook.tesT"), headers, hook.secret)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(body, {**headers, "webhook-timestamp": "1000000000"}, hook.secret)

        rotated = client.rotate_webhook_secret(hook.id)
        assert rotated.secret and rotated.secret != hook.secret
        log = wait_for(
            lambda: [d for d in client.iter_deliveries(hook.id) if d.status == "succeeded"],
            timeout=30,
            what="the delivery log",
        )
        assert log[0].event_id == delivery.event_id and log[0].attempts
        samples = client.webhook_samples("image.approved")
        assert samples and samples[0].event_type == "image.approved"
    finally:
        client.delete_webhook(hook.id)
    with pytest.raises(NotFound):
        client.get_webhook(hook.id)

"""The webhook receiver emulator records, verifies and misbehaves exactly as configured."""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks import Webhook

from tests.emulators.process import EmulatorProcess
from tests.emulators.receiver import simple_signature

SECRET = "whsec_" + base64.b64encode(b"receiver-test-secret-bytes-32..!").decode()
OTHER = "whsec_" + base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    journal = tmp_path_factory.mktemp("receiver") / "journal.jsonl"
    process = EmulatorProcess("tests.emulators.receiver", ["--journal", str(journal)]).start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(receiver: EmulatorProcess) -> None:
    receiver.configure(reset=True, secrets=[SECRET])


def signed(msg_id: str, body: bytes, secret: str = SECRET, *, at: float | None = None) -> dict:
    moment = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, body.decode()),
        "X-Webhook-Event": "webhook.test",
        "X-Webhook-ID": msg_id,
        "X-Webhook-Signature": simple_signature(secret, body),
    }


def send(receiver: EmulatorProcess, msg_id: str, path: str = "/hook", **kwargs) -> int:
    body = json.dumps({"event_type": "webhook.test", "event_id": msg_id, "data": {}}).encode()
    headers = signed(msg_id, body, **kwargs)
    response = requests.post(
        f"{receiver.url}{path}", data=body, headers=headers, allow_redirects=False, timeout=10
    )
    return response.status_code


def stats(receiver: EmulatorProcess) -> dict:
    return requests.get(f"{receiver.url}/_emulator/stats", timeout=5).json()


def recorded(receiver: EmulatorProcess, since: int = 0) -> list[dict]:
    response = requests.get(f"{receiver.url}/_emulator/requests", params={"since": since})
    return response.json()["requests"]


def test_a_signed_delivery_is_recorded_verified_by_both_schemes(receiver):
    assert send(receiver, "evt_1", path="/a/b") == 200
    [record] = recorded(receiver)
    assert record["path"] == "/a/b"
    assert record["webhook_id"] == "evt_1"
    assert record["event_type"] == "webhook.test"
    assert json.loads(record["body"])["event_id"] == "evt_1"
    assert (record["verified"], record["verified_with"], record["simple_verified"]) == (
        True,
        [0],
        True,
    )
    assert record["state"] == "answered" and record["status"] == 200


@pytest.mark.parametrize(
    "change",
    ["wrong_secret", "stale_timestamp"],
)
def test_wrongly_signed_or_stale_deliveries_are_recorded_unverified(receiver, change):
    if change == "wrong_secret":
        assert send(receiver, "evt_bad", secret=OTHER) == 200
    else:
        assert send(receiver, "evt_old", at=time.time() - 3600) == 200
    [record] = recorded(receiver)
    assert record["verified"] is False
    assert record["verify_errors"]
    assert stats(receiver)["unverified"] == 1


def test_during_rotation_each_configured_secret_is_checked(receiver):
    receiver.configure(secrets=[OTHER, SECRET])
    send(receiver, "evt_rot")
    assert recorded(receiver)[0]["verified_with"] == [1]


def test_dedupes_by_webhook_id_and_counts_only_2xx_as_delivered(receiver):
    receiver.configure(status_next_n={"503": 2}, retry_after=3)
    codes = [send(receiver, "evt_same") for _ in range(3)]
    send(receiver, "evt_other")
    assert codes == [503, 503, 200]
    body = stats(receiver)
    assert (body["total"], body["unique"], body["duplicates"], body["delivered"]) == (4, 2, 2, 2)
    assert body["statuses"] == {"503": 2, "200": 2}


def test_retry_after_is_sent_with_injected_429(receiver):
    receiver.configure(status_next_n={"429": 1}, retry_after=2)
    response = requests.post(f"{receiver.url}/hook", data=b"{}", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"


def test_fail_ratio_is_seeded_and_repeatable(receiver):
    def run() -> list[int]:
        receiver.configure(reset=True, fail_ratio=0.3, random_seed=7)
        return [send(receiver, f"evt_{n}") for n in range(60)]

    first = run()
    assert first == run()
    assert 8 <= first.count(500) <= 30


def test_down_redirect_and_ok_status_knobs(receiver):
    receiver.configure(down=True)
    assert send(receiver, "evt_down") == 503
    receiver.configure(down=False, redirect_to="http://10.0.0.1/")
    response = requests.post(f"{receiver.url}/hook", data=b"{}", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302, "http://10.0.0.1/")
    receiver.configure(redirect_to=None, ok_status=204)
    assert send(receiver, "evt_ok") == 204


def test_bad_knobs_are_refused(receiver):
    for knobs in ({"nope": 1}, {"fail_ratio": 2}, {"ok_status": 500}, {"secrets": "x"}):
        response = requests.post(f"{receiver.url}/_emulator/config", json=knobs, timeout=5)
        assert response.status_code == 400, knobs


def test_slow_answers_to_a_client_that_hung_up_are_marked_client_gone(receiver):
    receiver.configure(slow=0.5)
    with socket.create_connection(("127.0.0.1", receiver.port)) as connection:
        connection.sendall(
            b"POST /hook HTTP/1.1\r\nHost: x\r\nwebhook-id: evt_cut\r\nContent-Length: 2\r\n\r\n{}"
        )
        deadline = time.monotonic() + 5
        while not recorded(receiver) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert recorded(receiver)[0]["state"] == "pending"
    deadline = time.monotonic() + 5
    while recorded(receiver)[0]["state"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recorded(receiver)[0]["state"] == "client_gone"
    assert stats(receiver)["delivered"] == 0


def test_requests_since_pages_the_record(receiver):
    for n in range(5):
        send(receiver, f"evt_{n}")
    page = requests.get(f"{receiver.url}/_emulator/requests", params={"since": 3}).json()
    assert [r["webhook_id"] for r in page["requests"]] == ["evt_3", "evt_4"]
    assert page["next"] == 5


def test_a_restart_replays_the_journal(receiver: EmulatorProcess):
    send(receiver, "evt_before")
    receiver.restart()
    send(receiver, "evt_after")
    body = stats(receiver)
    assert (body["total"], body["delivered"], body["verified"]) == (2, 2, 2)

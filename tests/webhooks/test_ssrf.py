"""Which targets are refused at subscribe time, and the address check at delivery time."""

from __future__ import annotations

import socket

import pytest

from gateway.app.webhooks import delivery, ssrf
from tests.webhooks.helpers import deliveries, emit, subscribe

LOOPBACK = ("127.0.0.0/8",)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://localhost:8080/hook",
        "http://2130706433/hook",
        "http://0177.0.0.1/hook",
    ],
)
def test_private_loopback_link_local_cgnat_multicast_reserved_and_mapped_targets_are_refused(url):
    with pytest.raises(ssrf.TargetRefused):
        ssrf.check_target(url, ())


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http://user:pass@127.0.0.1/hook",
        "http:///nohost",
        "http://127.0.0.1:99999/hook",
        "not a url",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_malformed_or_non_http_targets_are_refused(url):
    with pytest.raises(ssrf.TargetRefused):
        ssrf.check_target(url, LOOPBACK)


def test_the_allow_list_lets_its_networks_through_and_nothing_else():
    ssrf.check_target("http://127.0.0.1:8080/hook", LOOPBACK)
    ssrf.check_target("http://127.5.6.7/hook", LOOPBACK)
    for refused in ("http://10.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]/"):
        with pytest.raises(ssrf.TargetRefused):
            ssrf.check_target(refused, LOOPBACK)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ssrf.TargetRefused, match=r"10\.0\.0\.7"):
        ssrf.check_target("https://hooks.example.com/x", ())


def test_a_name_resolving_both_ways_is_refused_whole(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ssrf.TargetRefused, match="both permitted and denied"):
        ssrf.check_target("https://hooks.example.com/x", ())


def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def resolve(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ssrf.TargetRefused, match="does not resolve"):
        ssrf.check_target("https://nowhere.invalid/x", ())


def test_subscribing_to_a_refused_target_is_a_400_naming_the_url(client, admin_headers):
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "events": ["*"]},
        headers=admin_headers,
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "url" in body["details"]["fields"]


def test_delivery_checks_the_address_it_connects_to_again(
    app, client, admin_headers, webhooks, receiver, monkeypatch
):
    """DNS rebinding: the name resolved to an allowed address at subscribe time, and to a refused
    one when the delivery connects; nothing reaches the network and the attempt is `blocked`."""
    answers = {"address": "127.0.0.1"}
    real = socket.getaddrinfo
    port = int(receiver.url.split(":")[2].split("/")[0])

    def resolve(host, port_, *args, **kwargs):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["address"], port_))]
        return real(host, port_, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    subscription = subscribe(client, admin_headers, f"http://rebind.test:{port}/hook")
    answers["address"] = "10.0.0.1"
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    assert receiver.received == []
    (found,) = deliveries(app, subscription["id"])
    assert found.status == "pending"
    assert "10.0.0.1" in found.last_error
    with app.app_context():
        listed = client.get(
            f"/api/v1/webhooks/{subscription['id']}/deliveries", headers=admin_headers
        ).get_json()
    assert listed["items"][0]["attempts"][0]["result"] == "blocked"
    answers["address"] = "127.0.0.1"

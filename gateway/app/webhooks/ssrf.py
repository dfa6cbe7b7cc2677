"""Where webhooks may go: http(s) targets whose every address is public or explicitly allowed.

Built on `ssrfguard` (0.4.1), chosen over `requests-hardened` (1.3.0) because it does what the
rule needs and the other does not: an allow-list of CIDRs (`Policy.allowed_networks`; the other
offers one loopback on/off switch), every resolved address checked (the other checks the first),
and the connection made to the address it validated, so no DNS rebinding gap is left between the
check and the connect. Its table refuses private, loopback, link-local, CGNAT (100.64/10),
multicast, reserved, documentation and metadata ranges, and decodes IPv4-mapped, NAT64 and 6to4
IPv6 before deciding. An allowed network does not carry across families: `127.0.0.0/8` lets
`127.0.0.1` through but not `::ffff:127.0.0.1`.

This module only maps settings onto a `Policy` and the library's refusals onto one exception.
The policy's port list is the target's own port: webhook receivers listen anywhere (n8n on 5678),
and the URL is the only one ever requested because redirects are not followed.

Connections are kept: each thread holds one session per origin (scheme, host, port), so a busy
endpoint costs one TCP (and TLS) handshake, one resolution and one address check per connection
rather than per delivery. A session is dropped after `RECHECK_SECONDS`, so a name that moves to a
refused address is refused again within that interval; every new connection is checked anyway.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import requests
from ssrfguard import BlockedURLError, Policy, SSRFGuardError, resolve
from ssrfguard.requests import Session

from gateway.app.clients.http import USER_AGENT

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
RECHECK_SECONDS = 30.0
DRAIN_BYTES = 64 * 1024  # a longer answer is cut off with its connection rather than read whole


class TargetRefused(Exception):
    """The URL may not be called: bad shape, refused scheme, or a refused address."""


def validate_networks(networks: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The allowed networks, or ValueError naming the bad entry (checked at start-up)."""
    Policy(allowed_networks=tuple(networks))
    return tuple(networks)


@functools.lru_cache(maxsize=256)
def _policy(port: int, networks: tuple[str, ...]) -> Policy:
    return Policy(
        allowed_networks=networks,
        allowed_ports=frozenset({port}),
        on_partial_block="reject",
    )


def policy_for(url: str, networks: tuple[str, ...]) -> Policy:
    """The policy that lets `url` through only to permitted addresses."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        split = urlsplit(url)
        port = split.port or DEFAULT_PORTS.get(split.scheme.lower())
    except ValueError as error:
        raise TargetRefused(f"is not a valid URL ({error})") from None
    if split.scheme.lower() not in DEFAULT_PORTS or not split.hostname:
        raise TargetRefused("must be an http:// or https:// URL with a host")
    return _policy(port or DEFAULT_PORTS[split.scheme.lower()], networks)


def check_target(url: str, networks: tuple[str, ...]) -> None:
    """Refuse `url` unless its host resolves only to permitted addresses (at subscribe time).

    A name whose answers are partly refused is refused whole: that mix is the signature of DNS
    rebinding, and deliveries re-check the address they connect to anyway.
    """
    policy = policy_for(url, networks)
    try:
        resolve(policy.check_url(url), policy=policy)
    except SSRFGuardError as error:
        raise TargetRefused(_reason(error)) from None
    except (socket.gaierror, UnicodeError):
        raise TargetRefused("its host does not resolve") from None


def _reason(error: SSRFGuardError) -> str:
    """The refusal in words; a URL refusal without echoing the (possibly long) URL back."""
    if isinstance(error, BlockedURLError):
        return f"is refused: {error.reason}"
    return f"is refused: {error}"


@dataclass(frozen=True)
class Reply:
    """What the receiver answered: the status, its Retry-After header and the start of the body."""

    status: int
    retry_after: str | None
    excerpt: str


class _Sessions(threading.local):
    """This thread's session per origin and policy, with when each was made."""

    def __init__(self) -> None:
        self.by_origin: dict[tuple[str, str, int, tuple[str, ...]], tuple[Session, float]] = {}


_sessions = _Sessions()


def _session(url: str, networks: tuple[str, ...]) -> Session:
    """This thread's session for `url`'s origin, made anew once it is `RECHECK_SECONDS` old.

    Proxies and netrc from the environment are ignored (a proxy would resolve the name itself and
    make the address check meaningless), and cookies are refused: one receiver's answer must not
    change what the next delivery sends.
    """
    policy = policy_for(url, networks)
    split = urlsplit(url)
    key = (split.scheme.lower(), split.hostname or "", split.port or 0, networks)
    now = time.monotonic()
    found = _sessions.by_origin.get(key)
    if found is not None and now - found[1] < RECHECK_SECONDS:
        return found[0]
    if found is not None:
        found[0].close()
    session = Session(policy=policy, pool_maxsize=1)
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.headers["User-Agent"] = USER_AGENT
    _sessions.by_origin[key] = (session, now)
    return session


def post(
    url: str,
    networks: tuple[str, ...],
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: tuple[float, float],
    excerpt_bytes: int,
) -> Reply:
    """POST `data` to `url`, connecting only to a permitted address; read at most `excerpt_bytes`.

    Redirects are returned, not followed. A short answer is read to its end so that its
    connection goes back to the pool. Raises TargetRefused when the policy refuses, requests' own
    errors when the network fails.
    """
    session = _session(url, networks)
    try:
        response = session.post(
            url,
            data=data,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
    except SSRFGuardError as error:
        raise TargetRefused(_reason(error)) from None
    try:
        head = next(response.iter_content(excerpt_bytes), b"")
        remaining = response.raw.length_remaining
        if remaining is not None and remaining <= DRAIN_BYTES:
            response.raw.drain_conn()
    except requests.RequestException:
        head = b""  # the status is the answer; a broken body does not change it
    finally:
        response.close()
    return Reply(
        status=response.status_code,
        retry_after=response.headers.get("Retry-After"),
        excerpt=head.decode("utf-8", errors="replace"),
    )

"""ComfyUI server API client (EXTERNAL_APIS.md section 3): HTTP through clients.http, plus events.

Calls never send an `Origin` header (ComfyUI answers 403 when it mismatches a loopback Host). HTTP
failures surface as `HTTPError` / `TransientHTTPError` from clients.http, and a 400 from `/prompt`
as `PromptRejected` carrying ComfyUI's `node_errors`.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
import websocket

from gateway.app.clients.http import (
    NO_RETRY,
    HTTPError,
    RetryPolicy,
    Timeouts,
    build_session,
    send,
    send_once,
)

DEFAULT_TIMEOUTS = Timeouts(connect=5.0, read=30.0)


class PromptRejected(HTTPError):
    """ComfyUI refused the workflow (400 on `/prompt`): retrying the same graph cannot help."""

    def __init__(self, payload: object) -> None:
        body = payload if isinstance(payload, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        self.error_type = str(error.get("type", "unknown"))
        self.node_errors: dict[str, Any] = body.get("node_errors") or {}
        super().__init__(400, payload, describe_rejection(error, self.node_errors))


class EventStreamClosed(Exception):
    """The WebSocket closed or could not be opened; reconnect or fall back to `/history`."""


def describe_rejection(error: dict[str, Any], node_errors: dict[str, Any]) -> str:
    """ComfyUI's message plus one part per failing node: `node 4 (CheckpointLoaderSimple): ...`."""
    lines = [str(error.get("message") or "ComfyUI rejected the workflow")]
    for node_id, entry in node_errors.items():
        for reason in entry.get("errors", []):
            detail = f": {reason['details']}" if reason.get("details") else ""
            lines.append(
                f"node {node_id} ({entry.get('class_type', '?')}): {reason.get('message')}{detail}"
            )
    return "; ".join(lines)


@dataclass(frozen=True)
class QueuedPrompt:
    """The answer to `/prompt`; `node_errors` non-empty means some outputs will be skipped."""

    prompt_id: str
    number: float | None
    node_errors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputImage:
    node_id: str
    filename: str
    subfolder: str
    type: str


@dataclass(frozen=True)
class HistoryEntry:
    """A finished prompt from `/history/{id}`: its status, messages and (maybe partial) outputs."""

    prompt_id: str
    status_str: str | None
    completed: bool
    images: list[OutputImage]
    messages: list[tuple[str, dict[str, Any]]]

    @property
    def succeeded(self) -> bool:
        return self.status_str == "success"

    def message(self, event: str) -> dict[str, Any] | None:
        """The data of the first status message of this type, e.g. `execution_error`."""
        return next((data for kind, data in self.messages if kind == event), None)

    @classmethod
    def parse(cls, prompt_id: str, entry: dict[str, Any]) -> HistoryEntry:
        status = entry.get("status") or {}
        images = [
            OutputImage(node_id, image["filename"], image.get("subfolder", ""), image["type"])
            for node_id, output in (entry.get("outputs") or {}).items()
            for image in output.get("images", [])
        ]
        messages = [(str(m[0]), dict(m[1])) for m in status.get("messages", []) if len(m) == 2]
        return cls(
            prompt_id, status.get("status_str"), bool(status.get("completed")), images, messages
        )


@dataclass(frozen=True)
class QueueState:
    """Prompt ids currently running and waiting, from `GET /queue`."""

    running: list[str]
    pending: list[str]

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self.running or prompt_id in self.pending


@dataclass(frozen=True)
class UploadedImage:
    name: str
    subfolder: str
    type: str

    @property
    def reference(self) -> str:
        """The value a LoadImage node's `image` input expects."""
        return f"{self.subfolder}/{self.name}" if self.subfolder else self.name


@dataclass(frozen=True)
class SystemStats:
    version: str | None
    devices: list[dict[str, Any]]
    system: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One JSON WebSocket message; `prompt_id` is None for broadcasts such as `status`."""

    type: str
    data: dict[str, Any]

    @property
    def prompt_id(self) -> str | None:
        return self.data.get("prompt_id")


class EventStream:
    """The `/ws?clientId=` feed for one client id; binary preview frames are skipped.

    Connect it before queueing a prompt with the same client id: ComfyUI only sends per-prompt
    events to the client id named in the prompt, and only while that socket is open.
    """

    def __init__(self, url: str, *, connect_timeout: float) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._ws: websocket.WebSocket | None = None

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._ws.connected

    def connect(self) -> None:
        """Open (or reopen) the socket; reopening with the same id replaces the old one."""
        self.close()
        try:
            self._ws = websocket.create_connection(
                self.url, timeout=self.connect_timeout, suppress_origin=True
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise EventStreamClosed(f"cannot open {self.url}: {exc}") from exc

    def receive(self, timeout: float) -> Event | None:
        """The next JSON event, or None when nothing arrived within `timeout` seconds."""
        if self._ws is None or not self._ws.connected:
            raise EventStreamClosed("not connected")
        self._ws.settimeout(max(timeout, 0.001))
        while True:
            try:
                opcode, data = self._ws.recv_data()
            except (TimeoutError, websocket.WebSocketTimeoutException):
                return None
            except (OSError, websocket.WebSocketException) as exc:
                self.close()
                raise EventStreamClosed(str(exc)) from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self.close()
                raise EventStreamClosed("closed by the server")
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue
            try:
                message = json.loads(data)
            except ValueError:
                continue
            if isinstance(message, dict) and isinstance(message.get("data"), dict):
                return Event(str(message.get("type")), message["data"])

    def close(self) -> None:
        if self._ws is not None:
            ws, self._ws = self._ws, None
            try:
                ws.close(timeout=0.5)
            except (OSError, websocket.WebSocketException):
                ws.shutdown()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ComfyUIClient:
    """Typed calls to one ComfyUI server (no auth, no versioning; routes as in section 3.2)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry_policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts
        self.policy = retry_policy or RetryPolicy()
        self.session = session or build_session()

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool = True,
        policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return send(
            self.session,
            method,
            self._url(path),
            timeouts=self.timeouts,
            policy=policy or self.policy,
            idempotent=idempotent,
            **kwargs,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    def queue_prompt(
        self, workflow: dict[str, Any], *, prompt_id: str, client_id: str
    ) -> QueuedPrompt:
        """Queue a workflow under a client-chosen id, at most once.

        POST /prompt is not idempotent on the server (the same id sent twice runs twice), so after
        an ambiguous failure (network error or 5xx) the retry first asks `/queue` and `/history`
        whether the earlier attempt got through, and resubmits only if neither knows the id.
        """
        body = {"prompt": workflow, "prompt_id": prompt_id, "client_id": client_id}
        for attempt in self.policy.retrying():
            with attempt:
                retrying = attempt.retry_state.attempt_number > 1
                if retrying and self.knows(prompt_id, policy=NO_RETRY):
                    return QueuedPrompt(prompt_id, None)
                try:
                    response = send_once(
                        self.session,
                        "POST",
                        self._url("/prompt"),
                        timeouts=self.timeouts,
                        json=body,
                    )
                except HTTPError as exc:
                    if exc.status == 400:
                        raise PromptRejected(exc.payload) from exc
                    raise
                answer = response.json()
                return QueuedPrompt(
                    str(answer["prompt_id"]), answer.get("number"), answer.get("node_errors") or {}
                )
        raise AssertionError("unreachable: tenacity reraises the last error")

    def knows(self, prompt_id: str, *, policy: RetryPolicy | None = None) -> bool:
        """True if the server has the prompt queued, running or finished.

        The queue is read first: a prompt moves from the queue to the history and never back, so
        a prompt finishing between the two reads is still found.
        """
        return (
            prompt_id in self.queue(policy=policy)
            or self.history(prompt_id, policy=policy) is not None
        )

    def history(self, prompt_id: str, *, policy: RetryPolicy | None = None) -> HistoryEntry | None:
        """The finished prompt, or None while queued, running or unknown (ComfyUI answers {})."""
        path = f"/history/{urllib.parse.quote(prompt_id, safe='')}"
        entry = (self._call("GET", path, policy=policy) or {}).get(prompt_id)
        return HistoryEntry.parse(prompt_id, entry) if entry else None

    def queue(self, *, policy: RetryPolicy | None = None) -> QueueState:
        answer = self._call("GET", "/queue", policy=policy) or {}
        return QueueState(
            running=[str(item[1]) for item in answer.get("queue_running", [])],
            pending=[str(item[1]) for item in answer.get("queue_pending", [])],
        )

    def upload_image(self, data: bytes, name: str, *, overwrite: bool = True) -> UploadedImage:
        """Store an input image; with `overwrite` the same name always maps to the same file,
        which makes the call safe to retry."""
        answer = self._call(
            "POST",
            "/upload/image",
            idempotent=overwrite,
            files={"image": (name, data, "application/octet-stream")},
            data={"overwrite": "true" if overwrite else "false", "type": "input"},
        )
        return UploadedImage(
            answer["name"], answer.get("subfolder", ""), answer.get("type", "input")
        )

    def view(self, filename: str, subfolder: str = "", type: str = "output") -> bytes:
        params = {"filename": filename, "subfolder": subfolder, "type": type}
        return self._send("GET", "/view", params=params).content

    def interrupt(self, prompt_id: str | None = None) -> None:
        """Stop the running prompt; with `prompt_id`, only if that prompt is the one running."""
        self._call("POST", "/interrupt", json={"prompt_id": prompt_id} if prompt_id else {})

    def delete_from_queue(self, prompt_ids: Iterable[str]) -> None:
        """Remove pending prompts; a running or unknown id is left alone."""
        self._call("POST", "/queue", json={"delete": list(prompt_ids)})

    def system_stats(self) -> SystemStats:
        answer = self._call("GET", "/system_stats") or {}
        system = answer.get("system") or {}
        return SystemStats(system.get("comfyui_version"), answer.get("devices") or [], system)

    def events(self, client_id: str) -> EventStream:
        """An unopened event stream for `client_id`; call `connect()` before queueing."""
        scheme, rest = self.base_url.split("://", 1)
        ws_scheme = "wss" if scheme == "https" else "ws"
        query = urllib.parse.urlencode({"clientId": client_id})
        return EventStream(
            f"{ws_scheme}://{rest}/ws?{query}", connect_timeout=self.timeouts.connect
        )

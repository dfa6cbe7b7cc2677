"""A ComfyUI server emulator: the HTTP and WebSocket API of EXTERNAL_APIS.md section 3, on aiohttp.

Run it as `python -m tests.emulators.comfyui --port 0 [--output-dir D] [--input-dir D]`. The
queue, history and node cache live in memory, as in ComfyUI, so a real restart loses them while
files in the output and input directories stay. Rendering is cheap on purpose: every image is a
solid colour derived from (seed, batch index), with that pair stored in a PNG text chunk
(`emulator`) so tests can tell which seed made which image. An upscale graph (LoadImage, an
upscale model, ImageScaleBy) writes the loaded image's own pixels at the size its nodes make.

Fault knobs are set with `POST /_emulator/config` (`{"reset": true}` restores defaults and zeroes
the stats, `{"wipe": true}` does what a restart does to queue, history, cache and the running
prompt) and counters are read from `GET /_emulator/stats`. Control routes ignore the faults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import ipaddress
import json
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from PIL import Image
from PIL.PngImagePlugin import PngInfo

VERSION = "0.3.64"
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_sde", "ddim", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform"]
UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
RESAMPLING = {
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
DEFAULT_KNOBS: dict[str, Any] = {
    "execution_time": 0.1,  # seconds per prompt, spread over the sampler steps
    "first_prompt_delay": 0.0,  # extra seconds for the first prompt after start (model loading)
    "steps": 4,  # progress messages per sampler node
    "outcome": "success",  # "success" | "error" | "partial" (last image missing from /view)
    "error_node": None,  # node id that fails when outcome is "error"; default: the first sampler
    "error_message": "Allocation on device 0 would exceed allowed memory. (out of memory)",
    "drop_ws": None,  # "close": close the socket mid-run, refuse reconnects until done;
    # "silent": never send the completion messages
    "status_5xx_next_n": 0,  # answer the next N matching requests with status_5xx_code
    "status_5xx_code": 500,
    "status_5xx_path": None,  # only requests to this path (without the /api prefix) count
    "status_5xx_mode": "before",  # "before": refuse unprocessed; "after": process, then fail
    "slow_view": 0.0,  # seconds before /view answers
    "down": False,  # 503 for every route
    "hang": False,  # every route waits until hang is cleared
    "models": ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"],
    "upscale_models": ["RealESRGAN_x4plus.pth", "4x-UltraSharp.pth", "RealESRGAN_x2plus.pth"],
}
TERMINAL_EVENTS = ("execution_success", "execution_error", "execution_interrupted")
UUID_FORM = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class NodeSpec:
    """A node class: its required inputs (name -> type, or a combo source) and output types."""

    inputs: dict[str, str]
    outputs: tuple[str, ...]
    output_node: bool = False
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)


NODES = {
    "CheckpointLoaderSimple": NodeSpec({"ckpt_name": "combo:models"}, ("MODEL", "CLIP", "VAE")),
    "CLIPTextEncode": NodeSpec({"text": "STRING", "clip": "CLIP"}, ("CONDITIONING",)),
    "EmptyLatentImage": NodeSpec(
        {"width": "INT", "height": "INT", "batch_size": "INT"},
        ("LATENT",),
        limits={"width": (16, 16384), "height": (16, 16384), "batch_size": (1, 4096)},
    ),
    "KSampler": NodeSpec(
        {
            "model": "MODEL",
            "seed": "INT",
            "steps": "INT",
            "cfg": "FLOAT",
            "sampler_name": "combo:samplers",
            "scheduler": "combo:schedulers",
            "positive": "CONDITIONING",
            "negative": "CONDITIONING",
            "latent_image": "LATENT",
            "denoise": "FLOAT",
        },
        ("LATENT",),
        limits={"seed": (0, 2**64 - 1), "steps": (1, 10000), "denoise": (0.0, 1.0)},
    ),
    "VAEDecode": NodeSpec({"samples": "LATENT", "vae": "VAE"}, ("IMAGE",)),
    "VAEEncode": NodeSpec({"pixels": "IMAGE", "vae": "VAE"}, ("LATENT",)),
    "LoadImage": NodeSpec({"image": "combo:input_files"}, ("IMAGE", "MASK")),
    "UpscaleModelLoader": NodeSpec({"model_name": "combo:upscale_models"}, ("UPSCALE_MODEL",)),
    "ImageUpscaleWithModel": NodeSpec(
        {"upscale_model": "UPSCALE_MODEL", "image": "IMAGE"}, ("IMAGE",)
    ),
    "ImageScaleBy": NodeSpec(
        {"image": "IMAGE", "upscale_method": "combo:upscale_methods", "scale_by": "FLOAT"},
        ("IMAGE",),
        limits={"scale_by": (0.01, 8.0)},
    ),
    "SaveImage": NodeSpec({"images": "IMAGE", "filename_prefix": "STRING"}, (), output_node=True),
    "PreviewImage": NodeSpec({"images": "IMAGE"}, (), output_node=True),
}


def _error(kind: str, message: str, details: str = "", **extra_info: object) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra_info}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _is_link(value: object) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)


class NodeFailed(Exception):
    """A node raised while executing (the `outcome: error` knob)."""


class Interrupted(Exception):
    """POST /interrupt reached the running prompt."""


@dataclass
class Run:
    """One prompt being executed, with what it has produced so far."""

    number: float
    prompt_id: str
    graph: dict[str, Any]
    extra_data: dict[str, Any]
    outputs_to_execute: list[str]
    messages: list[list[Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)
    interrupted: bool = False
    closed_ws: bool = False

    @property
    def client_id(self) -> str | None:
        return self.extra_data.get("client_id")

    def queue_item(self) -> list[Any]:
        return [self.number, self.prompt_id, self.graph, self.extra_data, self.outputs_to_execute]


class ComfyUIEmulator:
    """The emulated server's state and routes."""

    def __init__(self, *, output_dir: Path, input_dir: Path, temp_dir: Path, max_upload: int):
        self.dirs = {"output": output_dir, "input": input_dir, "temp": temp_dir}
        self.max_upload = max_upload
        self.knobs = dict(DEFAULT_KNOBS)
        self.stats: Counter[str] = Counter()
        self.queued_ids: Counter[str] = Counter()
        self.pending: list[Run] = []
        self.running: Run | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.blocked_ws: set[str] = set()
        self.cache: dict[str, tuple[tuple[Any, ...], dict[str, Any] | None]] = {}
        self.number = 0
        self.first_prompt = True
        self.wakeup = asyncio.Event()
        self.current_node: str | None = None
        self.worker: asyncio.Task[None] | None = None

    # ---- app, middlewares -------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.max_upload, middlewares=[self.origin_only, self.faults]
        )
        routes = [
            web.get("/ws", self.websocket),
            web.get("/prompt", self.get_prompt),
            web.post("/prompt", self.post_prompt),
            web.get("/queue", self.get_queue),
            web.post("/queue", self.post_queue),
            web.post("/interrupt", self.post_interrupt),
            web.get("/history", self.get_history),
            web.get("/history/{prompt_id}", self.get_history_item),
            web.post("/history", self.post_history),
            web.get("/view", self.view),
            web.post("/upload/image", self.upload_image),
            web.get("/system_stats", self.system_stats),
            web.get("/object_info", self.object_info),
            web.get("/object_info/{node_class}", self.object_info),
            web.post("/free", self.free),
            web.get("/", self.root),
        ]
        app.add_routes([web.route(r.method, "/api" + r.path, r.handler) for r in routes])
        app.add_routes(routes)
        app.add_routes(
            [
                web.post("/_emulator/config", self.configure),
                web.get("/_emulator/stats", self.get_stats),
            ]
        )
        app.on_startup.append(self._start_worker)
        app.on_shutdown.append(self._close_sockets)
        return app

    @web.middleware
    async def origin_only(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """ComfyUI's CSRF guard: loopback Host with a different Origin hostname gets 403."""
        host, origin = request.headers.get("Host"), request.headers.get("Origin")
        if host and origin:
            parsed_origin = urllib.parse.urlparse(origin)
            parsed_host = urllib.parse.urlsplit("//" + host.lower())
            host_domain, origin_domain = host.lower(), parsed_origin.netloc.lower()
            if parsed_origin.port is None:
                host_domain = parsed_host.hostname or ""
            if parsed_host.port is None:
                origin_domain = parsed_origin.hostname or ""
            loopback = _is_loopback(parsed_host.hostname)
            if loopback and host_domain and origin_domain and host_domain != origin_domain:
                return web.Response(status=403)
        return await handler(request)

    @web.middleware
    async def faults(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            return await handler(request)
        path = request.path.removeprefix("/api") or "/"
        while self.knobs["hang"]:
            await asyncio.sleep(0.05)
        if self.knobs["down"]:
            return web.json_response({"error": "emulated outage"}, status=503)
        matches = self.knobs["status_5xx_path"] in (None, path)
        if self.knobs["status_5xx_next_n"] > 0 and matches:
            self.knobs["status_5xx_next_n"] -= 1
            self.stats["injected_5xx"] += 1
            if self.knobs["status_5xx_mode"] == "after":
                await handler(request)
            return web.Response(status=int(self.knobs["status_5xx_code"]), text="emulated failure")
        return await handler(request)

    # ---- control ----------------------------------------------------------------------------

    async def configure(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.pop("reset", False):
            self.knobs = dict(DEFAULT_KNOBS)
            self.stats.clear()
            self.queued_ids.clear()
        if body.pop("wipe", False):
            self._wipe()
        unknown = set(body) - set(DEFAULT_KNOBS)
        if unknown:
            return web.json_response({"error": f"unknown knobs: {sorted(unknown)}"}, status=400)
        self.knobs.update(body)
        return web.json_response(self.knobs)

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response({**self.stats, "queued_prompt_ids": dict(self.queued_ids)})

    def _wipe(self) -> None:
        """What a restart loses: queue, history, cache, and the running prompt without a trace."""
        self.pending.clear()
        self.history.clear()
        self.cache.clear()
        self.blocked_ws.clear()
        if self.running:
            self.stats["prompts_lost"] += 1
        self.running, self.current_node = None, None
        if self.worker:
            self.worker.cancel()
        self.worker = asyncio.create_task(self._worker())

    # ---- websocket --------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.query.get("clientId") or uuid.uuid4().hex
        self.stats["ws_connections"] += 1
        if sid in self.blocked_ws:
            await ws.close()
            return ws
        self.sockets[sid] = ws
        try:
            await self.send("status", {"status": self._queue_info(), "sid": sid}, sid)
            if self.running and self.running.client_id == sid and self.current_node:
                await self.send("executing", {"node": self.current_node}, sid)
            first = True
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    data = json.loads(message.data)
                    if first and isinstance(data, dict) and data.get("type") == "feature_flags":
                        flags = {
                            "supports_preview_metadata": True,
                            "max_upload_size": self.max_upload,
                        }
                        await self.send("feature_flags", flags, sid)
                first = False
        finally:
            if self.sockets.get(sid) is ws:
                del self.sockets[sid]
        return ws

    async def send(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        """JSON to one client, or to every client when `sid` is None (as ComfyUI's send_json)."""
        targets = list(self.sockets.values()) if sid is None else [self.sockets.get(sid)]
        for ws in targets:
            if ws is not None and not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json({"type": event, "data": data})

    async def _send_preview(self, sid: str) -> None:
        ws = self.sockets.get(sid)
        if ws is None or ws.closed:
            return
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (128, 128, 128)).save(buffer, format="PNG")
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_bytes(struct.pack(">II", 1, 2) + buffer.getvalue())

    async def _broadcast_status(self) -> None:
        await self.send("status", {"status": self._queue_info()})

    async def _close_sockets(self, app: web.Application) -> None:
        for ws in list(self.sockets.values()):
            await ws.close()

    # ---- queue routes -----------------------------------------------------------------------

    def _queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": len(self.pending) + (1 if self.running else 0)}}

    async def get_prompt(self, request: web.Request) -> web.Response:
        return web.json_response(self._queue_info())

    async def post_prompt(self, request: web.Request) -> web.Response:
        self.stats["prompt_requests"] += 1
        body = await request.json()
        if "number" in body:
            number: float = float(body["number"])
        else:
            number = -self.number if body.get("front") else self.number
            self.number += 1
        if "prompt" not in body:
            error = _error("no_prompt", "No prompt provided", "No prompt provided")
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        prompt_id = body.get("prompt_id")
        if prompt_id is None:
            prompt_id = str(uuid.uuid4())
        elif not isinstance(prompt_id, str) or not UUID_FORM.match(prompt_id):
            error = _error("invalid_prompt_id", "prompt_id must be a valid UUID")
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        graph = body["prompt"]
        error, good_outputs, node_errors = self._validate(graph)
        if error:
            self.stats["prompts_rejected"] += 1
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        extra_data = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        extra_data["create_time"] = _now_ms()
        self.pending.append(Run(number, prompt_id, graph, extra_data, good_outputs))
        self.pending.sort(key=lambda run: run.number)
        self.stats["prompts_queued"] += 1
        self.queued_ids[prompt_id] += 1
        self.wakeup.set()
        await self._broadcast_status()
        return web.json_response(
            {"prompt_id": prompt_id, "number": number, "node_errors": node_errors}
        )

    async def get_queue(self, request: web.Request) -> web.Response:
        running = [self.running.queue_item()] if self.running else []
        pending = [run.queue_item() for run in self.pending]
        return web.json_response({"queue_running": running, "queue_pending": pending})

    async def post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.pending.clear()
        for prompt_id in body.get("delete", []):
            self.stats["queue_deletes"] += 1
            self.pending = [run for run in self.pending if run.prompt_id != prompt_id]
        await self._broadcast_status()
        return web.Response(status=200)

    async def post_interrupt(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.stats["interrupt_requests"] += 1
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        if self.running and (not prompt_id or prompt_id == self.running.prompt_id):
            self.running.interrupted = True
            self.stats["interrupts"] += 1
        return web.Response(status=200)

    async def get_history(self, request: web.Request) -> web.Response:
        keys = list(self.history)
        max_items = request.query.get("max_items")
        offset = int(request.query.get("offset", -1))
        if max_items is None:
            keys = keys[max(offset, 0) :]
        else:
            if offset < 0:
                offset = max(len(keys) - int(max_items), 0)
            keys = keys[offset : offset + int(max_items)]
        return web.json_response({key: self.history[key] for key in keys})

    async def get_history_item(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry else {})

    async def post_history(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("clear"):
            self.history.clear()
        for prompt_id in body.get("delete", []):
            self.history.pop(prompt_id, None)
        return web.Response(status=200)

    # ---- files ------------------------------------------------------------------------------

    async def view(self, request: web.Request) -> web.StreamResponse:
        self.stats["view_requests"] += 1
        if self.knobs["slow_view"]:
            await asyncio.sleep(float(self.knobs["slow_view"]))
        if "filename" not in request.query:
            return web.Response(status=404)
        filename = request.query["filename"]
        if not filename:
            return web.Response(status=400)
        if filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        base = self.dirs.get(request.query.get("type", "output"))
        if base is None:
            return web.Response(status=400)
        folder = str(base)
        if "subfolder" in request.query:
            full = os.path.join(folder, request.query["subfolder"])
            if os.path.commonpath((os.path.abspath(full), folder)) != folder:
                return web.Response(status=403)
            folder = full
        filename = os.path.basename(filename)
        path = os.path.join(folder, filename)
        if not os.path.isfile(path):
            return web.Response(status=404)
        headers = {"Content-Disposition": f'filename="{filename}"'}
        return web.FileResponse(path, headers=headers)

    async def upload_image(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        if not isinstance(image, web.FileField) or not image.filename:
            return web.Response(status=400)
        kind = str(post.get("type") or "input")
        base = self.dirs.get(kind)
        if base is None:
            return web.Response(status=400)
        subfolder = str(post.get("subfolder", ""))
        folder = os.path.join(str(base), os.path.normpath(subfolder))
        filename = image.filename
        path = os.path.abspath(os.path.join(folder, filename))
        if os.path.commonpath((str(base), path)) != str(base):
            return web.Response(status=400)
        os.makedirs(folder, exist_ok=True)
        data = image.file.read()
        stem, ext = os.path.splitext(filename)
        duplicate = False
        if post.get("overwrite") not in ("true", "1"):
            counter = 1
            while os.path.exists(path):
                if Path(path).read_bytes() == data:
                    duplicate = True
                    break
                filename = f"{stem} ({counter}){ext}"
                path = os.path.join(folder, filename)
                counter += 1
        if not duplicate:
            Path(path).write_bytes(data)
        self.stats["uploads"] += 1
        return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})

    # ---- info -------------------------------------------------------------------------------

    async def system_stats(self, request: web.Request) -> web.Response:
        system = {
            "os": sys.platform,
            "ram_total": 64 * 2**30,
            "ram_free": 48 * 2**30,
            "comfyui_version": VERSION,
            "python_version": sys.version,
            "pytorch_version": "2.8.0+cu128",
            "embedded_python": False,
            "argv": ["main.py", "--listen", "127.0.0.1"],
        }
        device = {
            "name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
            "type": "cuda",
            "index": 0,
            "vram_total": 24 * 2**30,
            "vram_free": 20 * 2**30,
            "torch_vram_total": 2 * 2**30,
            "torch_vram_free": 2**30,
        }
        return web.json_response({"system": system, "devices": [device]})

    async def object_info(self, request: web.Request) -> web.Response:
        wanted = request.match_info.get("node_class")
        names = [wanted] if wanted else list(NODES)
        return web.json_response({name: self._node_info(name) for name in names if name in NODES})

    def _node_info(self, name: str) -> dict[str, Any]:
        spec = NODES[name]
        required = {}
        for key, kind in spec.inputs.items():
            low, high = spec.limits.get(key, (None, None))
            options = {"min": low, "max": high} if key in spec.limits else {}
            required[key] = [self._combo(kind) if kind.startswith("combo:") else kind, options]
        return {
            "input": {"required": required},
            "input_order": {"required": list(spec.inputs)},
            "output": list(spec.outputs),
            "output_is_list": [False] * len(spec.outputs),
            "output_name": list(spec.outputs),
            "name": name,
            "display_name": name,
            "description": "",
            "python_module": "nodes",
            "category": "emulated",
            "output_node": spec.output_node,
        }

    async def free(self, request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=200)

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body>ComfyUI emulator</body></html>", content_type="text/html"
        )

    # ---- validation (execution.validate_prompt) ---------------------------------------------

    def _combo(self, kind: str) -> list[str]:
        if kind in ("combo:models", "combo:upscale_models"):
            return list(self.knobs[kind.removeprefix("combo:")])
        if kind == "combo:upscale_methods":
            return UPSCALE_METHODS
        if kind == "combo:samplers":
            return SAMPLERS
        if kind == "combo:schedulers":
            return SCHEDULERS
        return sorted(p.name for p in self.dirs["input"].iterdir() if p.is_file())

    def _validate(self, graph: Any) -> tuple[dict | None, list[str], dict[str, Any]]:
        """ComfyUI's rules: graph shape, then each output node's inputs, recursively."""
        if not isinstance(graph, dict):
            return _error("invalid_prompt", "Prompt must be an object"), [], {}
        for node_id, node in graph.items():
            if not isinstance(node, dict) or "class_type" not in node:
                message = "Cannot execute because a node is missing the class_type property."
                return _error("invalid_prompt", message, f"Node ID '#{node_id}'"), [], {}
            if node["class_type"] not in NODES:
                message = f"Cannot execute because node {node['class_type']} does not exist."
                return _error("invalid_prompt", message, f"Node ID '#{node_id}'"), [], {}
        outputs = sorted(n for n, node in graph.items() if NODES[node["class_type"]].output_node)
        if not outputs:
            return _error("prompt_no_outputs", "Prompt has no outputs"), [], {}
        memo: dict[str, dict[str, list[dict[str, Any]]]] = {}
        good, node_errors = [], {}
        for output in outputs:
            failures = self._validate_node(graph, output, memo)
            if not failures:
                good.append(output)
            for node_id, reasons in failures.items():
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": reasons,
                        "dependent_outputs": [],
                        "class_type": graph[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)
        if not good:
            details = "\n".join(
                f"{e['message']}: {e['details']}" for v in node_errors.values() for e in v["errors"]
            )
            error = _error(
                "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
            )
            return error, [], node_errors
        return None, good, node_errors

    def _validate_node(
        self, graph: dict[str, Any], node_id: str, memo: dict[str, dict[str, list[dict[str, Any]]]]
    ) -> dict[str, list[dict[str, Any]]]:
        if node_id in memo:
            return memo[node_id]
        memo[node_id] = {}
        spec = NODES[graph[node_id]["class_type"]]
        inputs = graph[node_id].get("inputs", {})
        failures: dict[str, list[dict[str, Any]]] = {}
        reasons = []
        for name, kind in spec.inputs.items():
            if name not in inputs:
                reasons.append(
                    _error(
                        "required_input_missing", "Required input is missing", name, input_name=name
                    )
                )
                continue
            value = inputs[name]
            if _is_link(value):
                source = graph.get(value[0])
                source_outputs = NODES[source["class_type"]].outputs if source else ()
                if not isinstance(value[1], int) or value[1] >= len(source_outputs):
                    reasons.append(_error("bad_linked_input", "Bad linked input", name))
                elif source_outputs[value[1]] != kind:
                    reasons.append(
                        _error(
                            "return_type_mismatch",
                            "Return type mismatch between linked nodes",
                            f"{name}, received_type({source_outputs[value[1]]}) "
                            f"mismatch input_type({kind})",
                        )
                    )
                else:
                    failures.update(self._validate_node(graph, value[0], memo))
                continue
            reason = self._validate_value(name, kind, value, spec)
            if reason:
                reasons.append(reason)
        if reasons:
            failures[node_id] = reasons
        memo[node_id] = failures
        return failures

    def _validate_value(
        self, name: str, kind: str, value: object, spec: NodeSpec
    ) -> dict[str, Any] | None:
        if kind == "combo:input_files":
            if value not in self._combo(kind):
                details = f"{name} - Invalid image file: {value}"
                return _error(
                    "custom_validation_failed", "Custom validation failed for node", details
                )
            return None
        if kind.startswith("combo:"):
            choices = self._combo(kind)
            if value not in choices:
                details = f"{name}: '{value}' not in {choices}"
                return _error("value_not_in_list", "Value not in list", details, input_name=name)
            return None
        if kind in ("INT", "FLOAT"):
            try:
                number = int(value) if kind == "INT" else float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                details = f"{name}, {value}"
                return _error(
                    "invalid_input_type",
                    f"Failed to convert an input value to a {kind} value",
                    details,
                )
            low, high = spec.limits.get(name, (float("-inf"), float("inf")))
            if number < low:
                return _error(
                    "value_smaller_than_min", f"Value {number} smaller than min of {low}", name
                )
            if number > high:
                return _error(
                    "value_bigger_than_max", f"Value {number} bigger than max of {high}", name
                )
        return None

    # ---- execution (main.prompt_worker + execution.PromptExecutor) --------------------------

    async def _start_worker(self, app: web.Application) -> None:
        self.worker = asyncio.create_task(self._worker())

    async def _worker(self) -> None:
        while True:
            if not self.pending:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            run = self.running = self.pending.pop(0)
            await self._broadcast_status()
            try:
                await self._execute(run)
            finally:
                if self.running is run:
                    self.running, self.current_node = None, None

    async def _message(
        self, run: Run, event: str, data: dict[str, Any], broadcast: bool = False
    ) -> None:
        """A status message: kept for the history, sent to the prompt's client (or everyone)."""
        data = {**data, "timestamp": _now_ms()}
        run.messages.append([event, data])
        silent = self.knobs["drop_ws"] == "silent" and event in TERMINAL_EVENTS
        if (run.client_id or broadcast) and not silent:
            await self.send(event, data, run.client_id)

    async def _execute(self, run: Run) -> None:
        order = self._order(run.graph, run.outputs_to_execute)
        signatures: dict[str, str] = {}
        for node_id in order:
            signatures[node_id] = self._signature(run.graph, node_id, signatures)
        await self._message(run, "execution_start", {"prompt_id": run.prompt_id})
        cached = [n for n in order if signatures[n] in self.cache]
        await self._message(run, "execution_cached", {"nodes": cached, "prompt_id": run.prompt_id})
        produced: dict[str, tuple[tuple[Any, ...], dict[str, Any] | None]] = {}
        status = "success"
        try:
            await self._walk(run, order, signatures, produced)
            self._apply_partial_outcome(run)
            await self._message(run, "execution_success", {"prompt_id": run.prompt_id})
        except Interrupted:
            status = "error"
            data = self._failure_data(run)
            await self._message(run, "execution_interrupted", data, broadcast=True)
        except NodeFailed:
            status = "error"
            data = {
                **self._failure_data(run),
                "exception_message": self.knobs["error_message"],
                "exception_type": "torch.OutOfMemoryError",
                "traceback": ['  File "execution.py", line 496, in execute\n'],
                "current_inputs": {},
                "current_outputs": {},
            }
            await self._message(run, "execution_error", data)
        kept = {s: v for s, v in self.cache.items() if s in signatures.values()}
        self.cache = {**kept, **produced}
        await self._finish(run, status)

    async def _walk(
        self,
        run: Run,
        order: list[str],
        signatures: dict[str, str],
        produced: dict[str, tuple[tuple[Any, ...], dict[str, Any] | None]],
    ) -> None:
        """Run the nodes in order; a node whose signature is cached is not run again."""
        client = run.client_id
        fresh = [n for n in order if signatures[n] not in self.cache]
        samplers = [n for n in fresh if run.graph[n]["class_type"] == "KSampler"]
        budget = float(self.knobs["execution_time"])
        if self.first_prompt:
            budget += float(self.knobs["first_prompt_delay"])
            self.first_prompt = False
        step_time = budget / max(len(samplers) * int(self.knobs["steps"]), 1)
        fail_at = self.knobs["error_node"] or (samplers or order)[0]
        values: dict[str, tuple[Any, ...]] = {}
        for node_id in order:
            signature = signatures[node_id]
            if signature in self.cache or signature in produced:
                values[node_id], ui = produced.get(signature) or self.cache[signature]
            else:
                self._check(run)
                self.current_node = node_id
                if client:
                    data = {"node": node_id, "display_node": node_id, "prompt_id": run.prompt_id}
                    await self.send("executing", data, client)
                if self.knobs["outcome"] == "error" and node_id == fail_at:
                    raise NodeFailed(node_id)
                values[node_id], ui = await self._run_node(run, node_id, values, step_time)
                produced[signature] = (values[node_id], ui)
                run.executed.append(node_id)
            if ui is not None:
                run.outputs[node_id] = ui
                if client:
                    data = {"node": node_id, "display_node": node_id, "output": ui}
                    await self.send("executed", {**data, "prompt_id": run.prompt_id}, client)
        if not samplers:
            await asyncio.sleep(budget)
        self._check(run)

    async def _finish(self, run: Run, status: str) -> None:
        """main.prompt_worker's end: history entry, queue update, then `executing` null."""
        self.history[run.prompt_id] = {
            "prompt": run.queue_item(),
            "outputs": run.outputs,
            "status": {
                "status_str": status,
                "completed": status == "success",
                "messages": run.messages,
            },
            "meta": {
                n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n}
                for n in run.outputs
            },
        }
        self.stats["prompts_executed"] += 1
        self.running, self.current_node = None, None
        await self._broadcast_status()
        client = run.client_id
        if client and self.knobs["drop_ws"] != "silent":
            await self.send("executing", {"node": None, "prompt_id": run.prompt_id}, client)
        self.blocked_ws.discard(client or "")

    def _failure_data(self, run: Run) -> dict[str, Any]:
        node_id = self.current_node or ""
        return {
            "prompt_id": run.prompt_id,
            "node_id": node_id,
            "node_type": run.graph.get(node_id, {}).get("class_type", ""),
            "executed": list(run.executed),
        }

    def _check(self, run: Run) -> None:
        if run.interrupted:
            raise Interrupted

    def _apply_partial_outcome(self, run: Run) -> None:
        """`outcome: partial`: the last saved image disappears from disk, as if cleaned up."""
        if self.knobs["outcome"] != "partial":
            return
        saved = [i for ui in run.outputs.values() for i in ui.get("images", [])]
        if saved:
            last = saved[-1]
            path = self.dirs[last["type"]] / last["subfolder"] / last["filename"]
            path.unlink(missing_ok=True)

    @staticmethod
    def _order(graph: dict[str, Any], outputs: list[str]) -> list[str]:
        """Dependencies first, output by output, as ComfyUI's execution list does."""
        order: list[str] = []

        def visit(node_id: str) -> None:
            if node_id in order:
                return
            for value in graph[node_id].get("inputs", {}).values():
                if _is_link(value):
                    visit(value[0])
            order.append(node_id)

        for output in outputs:
            visit(output)
        return order

    def _signature(self, graph: dict[str, Any], node_id: str, known: dict[str, str]) -> str:
        """A cache key over the class and inputs (links by their source's key), like ComfyUI's."""
        node = graph[node_id]
        inputs = {
            k: ["link", known[v[0]], v[1]] if _is_link(v) else v
            for k, v in sorted(node.get("inputs", {}).items())
        }
        if node["class_type"] == "LoadImage":
            path = self.dirs["input"] / str(inputs.get("image"))
            inputs["_file"] = hashlib.sha256(path.read_bytes()).hexdigest()
        blob = json.dumps([node["class_type"], inputs], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    async def _run_node(
        self, run: Run, node_id: str, values: dict[str, tuple[Any, ...]], step_time: float
    ) -> tuple[tuple[Any, ...], dict[str, Any] | None]:
        node = run.graph[node_id]
        inputs = {
            k: values[v[0]][v[1]] if _is_link(v) else v for k, v in node.get("inputs", {}).items()
        }
        kind = node["class_type"]
        if kind == "CheckpointLoaderSimple":
            name = inputs["ckpt_name"]
            return ({"model": name}, {"clip": name}, {"vae": name}), None
        if kind == "CLIPTextEncode":
            return ({"text": inputs["text"]},), None
        if kind == "EmptyLatentImage":
            w, h, n = int(inputs["width"]), int(inputs["height"]), int(inputs["batch_size"])
            return ({"width": w, "height": h, "batch": n, "seed": None},), None
        if kind == "LoadImage":
            path = self.dirs["input"] / inputs["image"]
            with Image.open(path) as source:
                w, h = source.size
            pixels = {"width": w, "height": h, "batch": 1, "seed": None, "file": str(path)}
            return (pixels, {"mask": True}), None
        if kind == "UpscaleModelLoader":
            name = inputs["model_name"]
            return ({"model": name, "scale": model_scale(name)},), None
        if kind == "ImageUpscaleWithModel":
            image, scale = inputs["image"], inputs["upscale_model"]["scale"]
            return (
                {**image, "width": image["width"] * scale, "height": image["height"] * scale},
            ), None
        if kind == "ImageScaleBy":
            image, by = inputs["image"], float(inputs["scale_by"])
            scaled = {"width": round(image["width"] * by), "height": round(image["height"] * by)}
            return ({**image, **scaled, "method": inputs["upscale_method"]},), None
        if kind in ("VAEEncode", "VAEDecode"):
            return (dict(inputs["pixels" if kind == "VAEEncode" else "samples"]),), None
        if kind == "KSampler":
            await self._sample(run, node_id, step_time)
            return ({**inputs["latent_image"], "seed": int(inputs["seed"])},), None
        images = inputs["images"]
        kind_dir = "output" if kind == "SaveImage" else "temp"
        prefix = inputs.get("filename_prefix", "ComfyUI") if kind == "SaveImage" else "preview"
        return (), {"images": self._save(run, images, prefix, kind_dir)}

    async def _sample(self, run: Run, node_id: str, step_time: float) -> None:
        client, steps = run.client_id, int(self.knobs["steps"])
        for step in range(1, steps + 1):
            await asyncio.sleep(step_time)
            self._check(run)
            if not client:
                continue
            progress = {"value": step, "max": steps, "prompt_id": run.prompt_id, "node": node_id}
            await self.send("progress", progress, client)
            state = {"value": step, "max": steps, "state": "running", "node_id": node_id}
            await self.send(
                "progress_state", {"prompt_id": run.prompt_id, "nodes": {node_id: state}}, client
            )
            if step == 1:
                await self._send_preview(client)
                if self.knobs["drop_ws"] == "close" and not run.closed_ws:
                    run.closed_ws = True
                    self.blocked_ws.add(client)
                    socket = self.sockets.pop(client, None)
                    if socket is not None:
                        await socket.close()

    def _save(
        self, run: Run, images: dict[str, Any], prefix: str, kind: str
    ) -> list[dict[str, str]]:
        """SaveImage: `<prefix>_<counter:05>_.png`, the counter continuing from files on disk."""
        subfolder, _, name = prefix.rpartition("/")
        folder = self.dirs[kind] / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        pattern = re.compile(rf"^{re.escape(name)}_(\d+)_\.png$")
        taken = [int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))]
        counter = max(taken, default=0) + 1
        saved = []
        seed = images["seed"] if images["seed"] is not None else 0
        for index in range(images["batch"]):
            info = PngInfo()
            info.add_text("prompt", json.dumps(run.graph))
            info.add_text("emulator", json.dumps({"seed": seed, "batch_index": index}))
            image = _pixels(images, seed, index)
            filename = f"{name}_{counter:05}_.png"
            image.save(folder / filename, pnginfo=info, compress_level=1)
            saved.append({"filename": filename, "subfolder": subfolder, "type": kind})
            counter += 1
        return saved


def model_scale(name: str) -> int:
    """An upscale model's factor, as its file name states it (`4x-UltraSharp`, `..._x2plus`)."""
    match = re.search(r"(?:^|[^0-9])(\d)x|x(\d)(?:[^0-9]|$)", name)
    return int(match.group(1) or match.group(2)) if match else 4


def _pixels(images: dict[str, Any], seed: int, index: int) -> Image.Image:
    """What a SaveImage writes: a loaded image that no sampler redrew keeps its own pixels,
    resized to the size the scaling nodes made (upscale models do no better here than the named
    resampling); anything sampled is a solid colour from (seed, index)."""
    size = (images["width"], images["height"])
    if images.get("file") and images["seed"] is None:
        with Image.open(images["file"]) as source:
            method = RESAMPLING.get(images.get("method", "lanczos"), Image.Resampling.LANCZOS)
            return source.convert("RGB").resize(size, method)
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return Image.new("RGB", size, tuple(digest[:3]))


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGTERM or SIGINT, printing `LISTENING <port>` once the socket accepts."""
    created: list[Path] = []

    def directory(given: str | None, name: str) -> Path:
        if given:
            path = Path(given).resolve()
            path.mkdir(parents=True, exist_ok=True)
            return path
        path = Path(tempfile.mkdtemp(prefix=f"comfyui-emulator-{name}-")).resolve()
        created.append(path)
        return path

    emulator = ComfyUIEmulator(
        output_dir=directory(args.output_dir, "output"),
        input_dir=directory(args.input_dir, "input"),
        temp_dir=directory(None, "temp"),
        max_upload=round(args.max_upload_size * 1024 * 1024),
    )
    app = emulator.build_app()
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"LISTENING {runner.addresses[0][1]}", flush=True)
    await stop.wait()
    if emulator.worker:
        emulator.worker.cancel()
    await runner.cleanup()
    for path in created:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--output-dir", help="kept across restarts; a temp dir when omitted")
    parser.add_argument("--input-dir", help="kept across restarts; a temp dir when omitted")
    parser.add_argument("--max-upload-size", type=float, default=100.0, help="MB, for every body")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()

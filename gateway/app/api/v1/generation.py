"""POST /generate, /edit and /images/{id}/upscale: queue generation jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_restx import Namespace, Resource, fields

from gateway.app import context as app_context
from gateway.app.accounts import quotas
from gateway.app.api import common, spec
from gateway.app.api.representation import current as representation
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.generation import service
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.params import UPSCALE_FACTORS, parse_edit, parse_generate, parse_upscale
from gateway.app.generation.service import Requester
from gateway.app.generation.upscale import submit_upscale
from gateway.app.security import api_access, require_principal

ns = Namespace(
    "generation",
    description="Turn prompts (or edit instructions) into images; upscale them",
    path="/",
)
m = schemas.register(ns)
m["UpscaleRequest"] = ns.model(
    "UpscaleRequest",
    {
        "factor": spec.with_schema(
            fields.Integer(required=True, example=4), enum=list(UPSCALE_FACTORS)
        ),
        "backend": m["EditRequest"]["backend"],
    },
    strict=True,
)
CIRCUIT_OPEN = (
    "The backend's circuit is open after repeated failures; retry after `Retry-After` seconds "
    "(SERVICE_UNAVAILABLE)"
)


def accepted(job_id: str) -> dict[str, str]:
    """The 202 body of a queued job: where to poll it and where to watch it."""
    base = common.base_url()
    ws_base = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return {
        "job_id": job_id,
        "status": "pending",
        "status_url": representation().url(f"/jobs/{job_id}"),
        "websocket_url": f"{ws_base}/ws/jobs/{job_id}",
    }


def _requester() -> Requester:
    principal = require_principal()
    return Requester(
        actor=principal.actor,
        api_key_id=principal.api_key_id,
        allowance=quotas.allowance(app_context.settings(), principal.api_key_id, principal.plan),
    )


def _queue(submit: Callable[..., GenerationJob], params: Any, *extra: Any) -> tuple[dict, int]:
    """Submit parsed parameters as the calling key's job and answer 202 with its links."""
    job = submit(
        db.session,
        generation_context.current().registry,
        generation_context.enqueue,
        params,
        _requester(),
        *extra,
    )
    return accepted(job.id), 202


@ns.route("/generate")
class Generate(Resource):
    @ns.expect(m["GenerateRequest"])
    @ns.response(202, "Job queued", m["JobAccepted"])
    @ns.response(400, "Invalid parameters", m["Error"])
    @ns.response(401, "Missing or invalid API key", m["Error"])
    @ns.response(429, "Rate limit exceeded", m["Error"])
    @ns.response(503, CIRCUIT_OPEN, m["Error"])
    @api_access("generation.generate")
    @common.idempotent_call(ns, required_in_v2=True)
    def post(self) -> tuple[dict, int]:
        """Queue a generation job (runs in the background; poll status_url or the websocket)."""
        params = parse_generate(common.json_body(), app_context.settings())
        return _queue(service.submit_generation, params)


@ns.route("/edit")
class Edit(Resource):
    @ns.expect(m["EditRequest"])
    @ns.response(202, "Edit job queued", m["JobAccepted"])
    @ns.response(400, "Invalid parameters", m["Error"])
    @ns.response(404, "Source image not found", m["Error"])
    @ns.response(503, CIRCUIT_OPEN, m["Error"])
    @api_access("generation.edit")
    @common.idempotent_call(ns)
    def post(self) -> tuple[dict, int]:
        """Apply an instruction to an existing image; results are child images of it."""
        params = parse_edit(common.json_body(), app_context.settings())
        return _queue(service.submit_edit, params)


@ns.route("/images/<string:image_id>/upscale")
class Upscale(Resource):
    @ns.expect(m["UpscaleRequest"])
    @ns.response(
        202, "Upscale job queued: it makes one child image, pending review", m["JobAccepted"]
    )
    @ns.response(
        400,
        "Invalid factor or backend, or the result would exceed MAX_IMAGE_DIMENSION",
        m["Error"],
    )
    @ns.response(404, "Image not found", m["Error"])
    @ns.response(503, CIRCUIT_OPEN, m["Error"])
    @api_access("generation.upscale")
    @common.idempotent_call(ns)
    def post(self, image_id: str) -> tuple[dict, int]:
        """Enlarge an image 2 or 4 times (local: resample and sharpen; ComfyUI and RunPod: an
        upscale workflow); the result is a child image of it, pending review."""
        params = parse_upscale(image_id, common.json_body(), app_context.settings())
        return _queue(submit_upscale, params, generation_context.current().limits)

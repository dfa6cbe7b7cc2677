"""POST /generate and /edit: queue generation jobs."""

from __future__ import annotations

from flask_restx import Namespace, Resource

from gateway.app.accounts import quotas
from gateway.app.api import common, spec
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.generation import service
from gateway.app.generation.params import parse_edit, parse_generate
from gateway.app.generation.service import Requester
from gateway.app.idempotency import idempotent
from gateway.app.security import api_access, require_principal

ns = Namespace(
    "generation", description="Turn prompts (or edit instructions) into images", path="/"
)
m = schemas.register(ns)
CIRCUIT_OPEN = (
    "The backend's circuit is open after repeated failures; retry after `Retry-After` seconds "
    "(SERVICE_UNAVAILABLE)"
)


def accepted(job_id: str) -> dict[str, str]:
    base = common.base_url()
    ws_base = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return {
        "job_id": job_id,
        "status": "pending",
        "status_url": common.api_url(f"/jobs/{job_id}"),
        "websocket_url": f"{ws_base}/ws/jobs/{job_id}",
    }


def _requester() -> Requester:
    principal = require_principal()
    return Requester(
        actor=principal.actor,
        api_key_id=principal.api_key_id,
        allowance=quotas.allowance(common.settings(), principal.api_key_id, principal.plan),
    )


@ns.route("/generate")
class Generate(Resource):
    @spec.idempotency_required_in_v2(ns)
    @ns.expect(m["GenerateRequest"])
    @ns.response(202, "Job queued", m["JobAccepted"])
    @ns.response(400, "Invalid parameters", m["Error"])
    @ns.response(401, "Missing or invalid API key", m["Error"])
    @ns.response(429, "Rate limit exceeded", m["Error"])
    @ns.response(503, CIRCUIT_OPEN, m["Error"])
    @api_access("generation.generate")
    @idempotent(required_in_v2=True)
    def post(self) -> tuple[dict, int]:
        """Queue a generation job (runs in the background; poll status_url or the websocket)."""
        params = parse_generate(common.json_body(), common.settings())
        job = service.submit_generation(
            db.session,
            common.generation().registry,
            common.enqueue_generation,
            params,
            _requester(),
        )
        return accepted(job.id), 202


@ns.route("/edit")
class Edit(Resource):
    @ns.doc(params=schemas.IDEMPOTENCY_DOC)
    @ns.expect(m["EditRequest"])
    @ns.response(202, "Edit job queued", m["JobAccepted"])
    @ns.response(400, "Invalid parameters", m["Error"])
    @ns.response(404, "Source image not found", m["Error"])
    @ns.response(503, CIRCUIT_OPEN, m["Error"])
    @api_access("generation.edit")
    @idempotent()
    def post(self) -> tuple[dict, int]:
        """Apply an instruction to an existing image; results are child images of it."""
        params = parse_edit(common.json_body(), common.settings())
        job = service.submit_edit(
            db.session,
            common.generation().registry,
            common.enqueue_generation,
            params,
            _requester(),
        )
        return accepted(job.id), 202

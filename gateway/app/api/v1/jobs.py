"""Generation jobs: status, list, cancel."""

from __future__ import annotations

from collections.abc import Sequence

from flask_restx import Namespace, Resource

from gateway.app import validation as v
from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.v1 import schemas
from gateway.app.errors import NotFound
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.generation import service
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.states import JobStatus
from gateway.app.query_args import choice_arg
from gateway.app.security import api_access, require_principal

ns = Namespace("jobs", description="Generation jobs")
m = schemas.register(ns)


def _known_id(job_id: str) -> str:
    """The id, or 404 at once for one that cannot be ours (no query with a NUL byte in it)."""
    if not v.looks_like_id(job_id):
        raise NotFound(f"job {job_id!r} not found", details={"job_id": job_id})
    return job_id


def job_body(job_id: str) -> dict:
    job = service.get_job(db.session, _known_id(job_id))
    return service.to_dict(job, service.image_ids_for(db.session, [job.id])[job.id])


@ns.route("")
class JobList(Resource):
    @ns.doc(
        params={
            "status": schemas.choice_param([str(s) for s in JobStatus]),
            "limit": schemas.limit_param(),
        }
    )
    @ns.response(200, "Newest jobs first", m["JobList"])
    @spec.cursor_paged(ns, "Job")
    @api_access("jobs.list")
    def get(self) -> dict:
        """List jobs, newest first (v2: by cursor)."""
        status = choice_arg("status", [str(s) for s in JobStatus])
        return representation().listed(
            Listing(
                keyset=service.BY_CREATED,
                query=lambda: service.jobs_query(status=status),
                present=_present_jobs,
                legacy=lambda: {"items": _present_jobs(_newest_jobs(status))},
            )
        )


def _newest_jobs(status: str | None) -> list[GenerationJob]:
    """v1's list: the newest `limit` jobs."""
    limit = common.page_size()
    return service.list_jobs(db.session, status=status, limit=limit)


def _present_jobs(jobs: Sequence[GenerationJob]) -> list[dict]:
    ids = service.image_ids_for(db.session, [job.id for job in jobs])
    return [service.to_dict(job, ids[job.id]) for job in jobs]


@ns.route("/<string:job_id>")
class Job(Resource):
    @ns.response(200, "The job", m["Job"])
    @ns.response(404, "Unknown job", m["Error"])
    @api_access("jobs.get")
    def get(self, job_id: str) -> dict:
        """A job's status, progress, images and error."""
        return job_body(job_id)


@ns.route("/<string:job_id>/cancel")
class CancelJob(Resource):
    @ns.response(200, "Cancelled", m["Job"])
    @ns.response(404, "Unknown job", m["Error"])
    @ns.response(409, "Already final", m["Error"])
    @api_access("jobs.cancel")
    @common.idempotent_call(ns)
    def post(self, job_id: str) -> dict:
        """Cancel a pending or running job."""
        service.cancel_job(
            db.session,
            generation_context.current().registry,
            _known_id(job_id),
            require_principal().actor,
        )
        return job_body(job_id)

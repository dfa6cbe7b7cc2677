"""Batch review actions with a per-item outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_restx import Namespace, Resource

from gateway.app import context as app_context
from gateway.app import validation as v
from gateway.app.api import common
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import service as publishing
from gateway.app.review import service as review
from gateway.app.security import api_access, require_principal

F = TypeVar("F", bound=Callable[..., Any])
ns = Namespace("batch", description="Act on many images at once (up to 10,000 ids)")
m = schemas.register(ns)


def _ids(body: Mapping[str, Any]) -> list[str]:
    return v.ids(body.get("image_ids"))


def _batch(body: str, scope: str, answer: str = "Per-item outcome") -> Callable[[F], F]:
    """What every batch operation is: a `body` model in, a per-item outcome out (never
    all-or-nothing), its `scope`, and an Idempotency-Key that v2 requires."""

    def decorate(post: F) -> F:
        post = common.idempotent_call(ns, required_in_v2=True)(post)
        post = api_access(scope)(post)
        post = ns.response(200, answer, m["BatchResult"])(post)
        return ns.expect(m[body])(post)

    return decorate


@ns.route("/approve")
class BatchApprove(Resource):
    @_batch("BatchIds", "batch.approve")
    @ns.response(400, "Invalid ids", m["Error"])
    def post(self) -> dict:
        """Approve each pending image; already approved ones are skipped."""
        body = common.body_of(m["BatchIds"])
        return review.batch_approve(
            db.session, _ids(body), require_principal(), base_url=common.base_url()
        ).to_dict()


@ns.route("/reject")
class BatchReject(Resource):
    @_batch("BatchReject", "batch.reject")
    @ns.response(400, "Invalid ids or reason", m["Error"])
    def post(self) -> dict:
        """Reject each pending image with one reason; already rejected ones are skipped."""
        body = common.body_of(m["BatchReject"])
        return review.batch_reject(
            db.session,
            _ids(body),
            require_principal(),
            reason=body.get("reason"),
            reasons=app_context.settings().reject_reasons,
            note=body.get("note"),
            base_url=common.base_url(),
        ).to_dict()


@ns.route("/delete")
class BatchDelete(Resource):
    @_batch("BatchDelete", "batch.delete")
    def post(self) -> dict:
        """Delete images; published ones need force."""
        body = common.body_of(m["BatchDelete"])
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise v.ValidationFailed("force must be a boolean", {"force": "must be a boolean"})
        return review.batch_delete(
            db.session,
            generation_context.current().storage,
            _ids(body),
            require_principal(),
            force=force,
        ).to_dict()


@ns.route("/publish")
class BatchPublish(Resource):
    @_batch(
        "BatchPublish",
        "batch.publish",
        "Per-item outcome, plus the publication of each queued image",
    )
    @ns.response(404, "No such template", m["Error"])
    def post(self) -> dict:
        """Queue a publication per approved image with one template; Printify's limits pace them."""
        return publishing.batch_publish(
            db.session,
            publishing_context.current(),
            common.json_body(),
            require_principal(),
            publishing_context.enqueue,
        )

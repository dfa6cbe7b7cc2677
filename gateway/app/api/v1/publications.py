"""Publications: publishing jobs, one per image (products: `api.v1.products`, the catalog:
`api.v1.catalog`, templates: `api.v1.templates`).

Publishing needs `publish` and counts against the `publishing` tier. A publication's print file is
fetched by Printify through a signed, expiring URL (no API key), when the gateway's base URL is
public.
"""

from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource, fields

from gateway.app import validation as v
from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.spec import nullable
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import presenter, publication_files
from gateway.app.publishing import service as publications
from gateway.app.publishing.states import PublicationStatus
from gateway.app.query_args import choice_arg
from gateway.app.security import api_access, require_principal

publications_ns = Namespace("publications", description="Publishing jobs, one per image")

publication_model = publications_ns.model(
    "Publication",
    {
        "publication_id": fields.String(),
        "image_id": fields.String(),
        "template_id": fields.String(),
        "template_name": nullable(fields.String()),
        "status": fields.String(enum=[status.value for status in PublicationStatus]),
        "dry_run": fields.Boolean(),
        "printify_product_id": nullable(fields.String()),
        "upload_id": nullable(fields.String()),
        "mockups": fields.List(fields.Raw()),
        "attempts": fields.Integer(),
        "reconciliations": fields.Integer(
            description="times an unconfirmed call was looked up in Printify"
        ),
        "error": nullable(fields.Raw(description="{code, message}")),
        "readiness": fields.Raw(description="print readiness at this template"),
        "marker": fields.String(description="tag on the Printify product naming this job"),
        "requests": fields.List(fields.Raw(), description="dry run: what would have been sent"),
        "created_by": fields.String(),
        "created_at": fields.DateTime(),
        "updated_at": fields.DateTime(),
        "started_at": nullable(fields.DateTime()),
        "completed_at": nullable(fields.DateTime()),
        "next_attempt_at": nullable(fields.DateTime()),
    },
)
publication_page = schemas.offset_page(publications_ns, "PublicationPage", publication_model)
error = schemas.error_model(publications_ns)


@publications_ns.route("")
class Publications(Resource):
    @publications_ns.doc(
        params={
            "status": schemas.choice_param([s.value for s in PublicationStatus]),
            "image_id": {**schemas.ID_PARAM, "description": "publications of one image"},
            "page": schemas.PAGE_PARAM,
            "limit": schemas.limit_param(),
        }
    )
    @publications_ns.response(200, "A page of publications", publication_page)
    @spec.cursor_paged(publications_ns, "Publication")
    @api_access("publications.list")
    def get(self) -> dict:
        """List publications, newest first (v2: by cursor)."""
        image_id = request.args.get("image_id")
        if image_id is not None and not v.looks_like_id(image_id):
            raise v.ValidationFailed("image_id is not an id", {"image_id": "is not an id"})
        status = choice_arg("status", [s.value for s in PublicationStatus])
        return representation().listed(
            Listing(
                keyset=publications.BY_CREATED,
                query=lambda: publications.publications_query(status=status, image_id=image_id),
                present=lambda rows: [presenter.to_dict(row) for row in rows],
                legacy=lambda: publications.list_publications(
                    db.session,
                    status=status,
                    image_id=image_id,
                    page=common.page_number(),
                    per_page=common.page_size(),
                ),
            )
        )


@publications_ns.route("/<string:publication_id>")
class PublicationItem(Resource):
    @publications_ns.response(200, "The publication", publication_model)
    @publications_ns.response(404, "Unknown publication", error)
    @api_access("publications.get")
    def get(self, publication_id: str) -> dict:
        """One publication: status, Printify product id, mockups, attempts, error."""
        return presenter.to_dict(publications.get(db.session, publication_id))


@publications_ns.route("/<string:publication_id>/retry")
class PublicationRetry(Resource):
    @publications_ns.response(202, "Queued again", publication_model)
    @publications_ns.response(409, "Not failed", error)
    @api_access("publications.retry")
    @common.idempotent_call(publications_ns)
    def post(self, publication_id: str) -> tuple[dict, int]:
        """Retry a failed publication from the last step Printify confirmed."""
        publication = publications.retry(
            db.session,
            publishing_context.current(),
            publication_id,
            require_principal(),
            publishing_context.enqueue,
        )
        return presenter.to_dict(publication), 202


@publications_ns.route("/<string:publication_id>/unpublish")
class PublicationUnpublish(Resource):
    @publications_ns.response(200, "Taken down", publication_model)
    @publications_ns.response(409, "Not published", error)
    @api_access("publications.unpublish")
    @common.idempotent_call(publications_ns)
    def post(self, publication_id: str) -> dict:
        """Take a published product down (Printify unpublish + delete); the image is approved again."""
        publication = publications.unpublish(
            db.session, publishing_context.current(), publication_id, require_principal()
        )
        return presenter.to_dict(publication)


@publications_ns.route("/<string:publication_id>/print-file")
class PublicationPrintFile(Resource):
    @publications_ns.doc(
        security=[],
        params={"token": {"type": "string", "description": "signed token from the upload URL"}},
    )
    @publications_ns.response(200, "The print file (PNG)")
    @publications_ns.response(404, "Unknown, expired or not rendered", error)
    def get(self, publication_id: str) -> Response:
        """The print file, for Printify's URL upload; needs the signed token instead of a key."""
        data = publication_files.print_file(
            db.session, publishing_context.current(), publication_id, request.args.get("token", "")
        )
        return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})

"""Images: list, upload, read, files, metadata, review decisions, deletion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, redirect, request
from flask_restx import Namespace, Resource
from werkzeug.http import quote_etag

from gateway.app import context as app_context
from gateway.app import validation as v
from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.v1 import schemas
from gateway.app.errors import ValidationFailed
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.images import presenter, service
from gateway.app.images import upload as uploads
from gateway.app.images.print_quality import judge_body
from gateway.app.images.service import ImageQuery
from gateway.app.images.states import ImageStatus
from gateway.app.imaging.quality import PrintTargets
from gateway.app.imaging.storage import IMMUTABLE_CACHE_CONTROL
from gateway.app.listings import service as listings
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import print_targets
from gateway.app.publishing import service as publishing
from gateway.app.query_args import bool_arg, choice_arg
from gateway.app.review import service as review
from gateway.app.security import api_access, require_principal

ns = Namespace("images", description="Images and their review")
m = schemas.register(ns)

STATUS = "(?:" + "|".join(str(s) for s in ImageStatus) + ")"
# The upload's multipart fields, with the rules `upload.store_upload` checks; any other is refused.
UPLOAD_FORM: dict[str, dict[str, object]] = {
    "file": {
        "in": "formData",
        "type": "file",
        "required": True,
        "description": "PNG, JPEG or WebP",
    },
    "title": {
        "in": "formData",
        "type": "string",
        "maxLength": v.MAX_TITLE_LENGTH,
        "pattern": v.text_pattern(),
    },
    "description": {
        "in": "formData",
        "type": "string",
        "maxLength": v.MAX_DESCRIPTION_LENGTH,
        "pattern": v.text_pattern(allow_newlines=True),
    },
    "tags": {
        "in": "formData",
        "type": "string",
        "pattern": v.tags_pattern(),
        "description": f"comma-separated, e.g. `retro, surf`: at most {v.MAX_TAGS} tags of at "
        f"most {v.MAX_TAG_LENGTH} characters",
    },
}


def _refuse_unknown_or_repeated_fields() -> None:
    """A 400 for a multipart field the upload does not take, or one sent more than once (which
    would otherwise be read as its first part alone)."""
    names = [name for parts in (request.form, request.files) for name, _ in parts.items(multi=True)]
    v.refuse_unknown(dict.fromkeys(names), set(UPLOAD_FORM))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationFailed(
            f"field(s) sent more than once: {', '.join(repeated)}",
            {name: "is sent more than once" for name in repeated},
        )


def _print_targets() -> PrintTargets:
    """The products images are judged against, loaded once per call."""
    return print_targets.load(db.session, app_context.settings())


def _detail(image_id: str) -> dict:
    image = service.get(db.session, image_id)
    body = presenter.detail(db.session, image, representation().url(""))
    return judge_body(body, _print_targets())


def _image_page(query: ImageQuery, present: Callable[[Sequence[Any]], list[dict]]) -> dict:
    """v1's image list: a numbered page with the total."""
    per_page = common.page_size()
    page = common.page_number()
    items, total = service.list_page(db.session, query, page=page, per_page=per_page)
    return {"items": present(items), "total": total, "page": page, "per_page": per_page}


@ns.route("")
class ImageList(Resource):
    @ns.doc(
        params={
            "status": {
                "type": "string",
                "description": "comma-separated statuses",
                "pattern": f"^,*(?:{STATUS}(?:,+{STATUS})*)?,*$",
            },
            "q": {
                "type": "string",
                "description": "text in prompt or title",
                "maxLength": 200,
                "pattern": v.text_pattern(),
            },
            "backend": {"type": "string", "description": "backend name, e.g. local"},
            "has_duplicates": schemas.flag_param("only images with (or without) duplicates"),
            "has_warnings": schemas.flag_param(
                "only images with (or without) quality warnings, counting a product template "
                "the image would print soft on"
            ),
            "risk": schemas.choice_param(
                service.RISK_KINDS, "only images the IP-risk screen flagged (`ip`)"
            ),
            "limit": schemas.limit_param(),
            "page": schemas.PAGE_PARAM,
        }
    )
    @ns.response(200, "A page of images, newest first", m["ImagePage"])
    @spec.cursor_paged(ns, "ImageSummary")
    @api_access("images.list")
    def get(self) -> dict:
        """List images with filters, newest first (v1: by page; v2: by cursor)."""
        targets = _print_targets()
        query = ImageQuery(
            status=request.args.get("status") or None,
            q=v.clean_text(request.args.get("q"), "q", max_length=200) or None,
            backend=request.args.get("backend") or None,
            has_duplicates=bool_arg("has_duplicates"),
            has_warnings=bool_arg("has_warnings"),
            risk=choice_arg("risk", service.RISK_KINDS),
            soft_below_width=targets.widest,
        )
        base = representation().url("")

        def present(rows: Sequence[Any]) -> list[dict]:
            return [judge_body(presenter.summary(row, base), targets) for row in rows]

        return representation().listed(
            Listing(
                keyset=service.BY_CREATED,
                query=lambda: service.filtered(query, rows=True),
                present=present,
                legacy=lambda: _image_page(query, present),
                rows=True,
            )
        )

    @ns.response(201, "Stored, pending review", m["Image"])
    @ns.response(400, "Not a usable image", m["Error"])
    @ns.response(413, "File too large", m["Error"])
    @ns.response(415, "Not PNG, JPEG or WebP", m["Error"])
    @api_access("images.upload")
    @common.idempotent_call(ns, params=UPLOAD_FORM)
    def post(self) -> tuple[dict, int]:
        """Upload an operator's own design (multipart: file, title?, description?, tags?)."""
        _refuse_unknown_or_repeated_fields()
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("a file is required", {"file": "is required"})
        image = uploads.store_upload(
            db.session,
            generation_context.current(),
            upload.read(),
            filename=upload.filename,
            form=request.form,
            actor=require_principal().actor,
        )
        return _detail(image.id), 201


@ns.route("/<string:image_id>")
class ImageItem(Resource):
    @ns.response(200, "The image with duplicates and history", m["Image"])
    @ns.response(404, "Unknown image", m["Error"])
    @api_access("images.get")
    def get(self, image_id: str) -> dict:
        """One image with quality report, near-duplicates and history."""
        return _detail(image_id)

    @ns.expect(m["ImagePatch"])
    @ns.response(200, "Updated", m["Image"])
    @ns.response(400, "Invalid fields", m["Error"])
    @api_access("images.update")
    def patch(self, image_id: str) -> dict:
        """Edit title, description and tags."""
        review.update_metadata(
            db.session,
            image_id,
            common.json_body(),
            require_principal(),
            screen=app_context.settings().ip_screen,
        )
        return _detail(image_id)

    @ns.doc(params={"force": schemas.flag_param("delete even when published")})
    @ns.response(204, "Deleted")
    @ns.response(409, "Published; pass force", m["Error"])
    @api_access("images.delete")
    def delete(self, image_id: str) -> tuple[str, int]:
        """Delete an image (its files go when no other image shares them)."""
        force = bool(bool_arg("force"))
        review.delete(
            db.session,
            generation_context.current().storage,
            image_id,
            require_principal(),
            force=force,
        )
        return "", 204


@ns.route("/<string:image_id>/file")
class ImageFile(Resource):
    @ns.doc(
        params={"variant": schemas.choice_param(presenter.VARIANTS, "thumbnail: WebP")},
        produces=["image/png", "image/jpeg", "image/webp"],
    )
    @ns.response(200, "The bytes (file storage)")
    @ns.response(
        302,
        "S3 storage: redirect to the file's presigned URL (valid STORAGE_PRESIGN_SECONDS)",
        headers={"Location": {"type": "string", "description": "time-limited presigned URL"}},
    )
    @ns.response(304, "Not modified (If-None-Match, file storage)")
    @ns.response(404, "Unknown image", m["Error"])
    @api_access("images.file")
    def get(self, image_id: str) -> Response:
        """The image file: its bytes (content-addressed, so cacheable forever), or with S3
        storage a redirect to a time-limited presigned URL, handed out only after the access
        checks."""
        variant = choice_arg("variant", presenter.VARIANTS, "original")
        image = service.get(db.session, image_id)
        context = generation_context.current()
        key, mime = uploads.stored_variant(context, image, variant)
        filename = f"{image.id}-{variant}"
        expires_in = context.settings.storage_presign_seconds
        url = context.storage.presigned_url(
            key, expires_in=expires_in, content_type=mime, filename=filename
        )
        if url is not None:
            # Cached for half the URL's life, so a cached redirect never leads to an expired URL.
            response = redirect(url, code=302)
            response.headers["Cache-Control"] = f"private, max-age={expires_in // 2}"
            return response
        tag = f"{image.sha256}-{variant}"
        headers = {"ETag": quote_etag(tag), "Cache-Control": IMMUTABLE_CACHE_CONTROL}
        if request.if_none_match.contains(tag):
            return Response(status=304, headers=headers)
        response = Response(context.storage.get(key), mimetype=mime, headers=headers)
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


@ns.route("/<string:image_id>/publish")
class Publish(Resource):
    @ns.expect(m["Publish"])
    @ns.response(202, "Queued", m["PublishAccepted"])
    @ns.response(400, "Invalid template, or below the DPI floor", m["Error"])
    @ns.response(409, "Not approved; or IP_RISK: flagged, without acknowledge_risk", m["Error"])
    @api_access("images.publish")
    @common.idempotent_call(ns)
    def post(self, image_id: str) -> tuple[dict, int]:
        """Publish an approved image with a product template (a durable, paced background job)."""
        publication = publishing.publish(
            db.session,
            publishing_context.current(),
            image_id,
            common.json_body(),
            require_principal(),
            publishing_context.enqueue,
        )
        return {
            "publication_id": publication.id,
            "status": publication.status,
            "dry_run": publication.dry_run,
            "status_url": representation().url(f"/publications/{publication.id}"),
            "readiness": publication.readiness,
        }, 202


@ns.route("/<string:image_id>/approve")
class Approve(Resource):
    @ns.expect(m["Approve"])
    @ns.response(200, "Approved", m["Image"])
    @ns.response(409, "Not pending", m["Error"])
    @api_access("images.approve")
    @common.idempotent_call(ns)
    def post(self, image_id: str) -> dict:
        """Approve a pending image."""
        body = common.body_of(m["Approve"], optional=True)
        review.approve(
            db.session,
            image_id,
            require_principal(),
            note=body.get("note"),
            base_url=common.base_url(),
        )
        return _detail(image_id)


@ns.route("/<string:image_id>/reject")
class Reject(Resource):
    @ns.expect(m["Reject"])
    @ns.response(200, "Rejected", m["Image"])
    @ns.response(400, "Unknown reason", m["Error"])
    @ns.response(409, "Not pending", m["Error"])
    @api_access("images.reject")
    @common.idempotent_call(ns)
    def post(self, image_id: str) -> dict:
        """Reject a pending image with a reason code (REJECT_REASONS)."""
        body = common.body_of(m["Reject"])
        review.reject(
            db.session,
            image_id,
            require_principal(),
            reason=body.get("reason"),
            reasons=app_context.settings().reject_reasons,
            note=body.get("note"),
            base_url=common.base_url(),
        )
        return _detail(image_id)


@ns.route("/<string:image_id>/reset")
class Reset(Resource):
    @ns.response(200, "Back to pending", m["Image"])
    @ns.response(403, "Admins only", m["Error"])
    @ns.response(409, "Not approved or rejected", m["Error"])
    @api_access("images.reset")
    @common.idempotent_call(ns)
    def post(self, image_id: str) -> dict:
        """Send an approved or rejected image back to pending (admin)."""
        review.reset(db.session, image_id, require_principal())
        return _detail(image_id)


@ns.route("/<string:image_id>/listing/draft")
class ListingDraft(Resource):
    @ns.expect(m["ListingDraftRequest"])
    @ns.response(200, "A draft (not saved): the same input gives the same draft", m["ListingDraft"])
    @ns.response(400, "Invalid body", m["Error"])
    @ns.response(404, "Unknown image or template", m["Error"])
    @api_access("images.draft_listing")
    def post(self, image_id: str) -> dict:
        """Draft a listing title, description and tags from the image's prompt and parameters
        (and the template's product kind); protected terms, stop words and markup are left out."""
        body = common.body_of(m["ListingDraftRequest"])
        return listings.draft_listing(
            db.session, image_id, body, app_context.settings().ip_screen
        ).to_dict()

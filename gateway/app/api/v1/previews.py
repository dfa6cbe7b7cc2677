"""Mockup previews: an image on a template's product, before it is published (GET only)."""

from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource
from werkzeug.http import quote_etag

from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.publishing import mockups
from gateway.app.publishing.context import current
from gateway.app.publishing.templates import MAX_CATALOG_ID
from gateway.app.security import api_access

ns = Namespace("previews", path="/images", description="Mockup previews of images on products")
error = schemas.error_model(ns)

PARAMS: dict[str, dict[str, object]] = {
    "template_id": {
        **schemas.ID_PARAM,
        "in": "query",
        "required": True,
        "description": "the product template to preview with",
    },
    "variant_id": {
        "in": "query",
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_CATALOG_ID,
        "description": "one of the template's variants (its colour); default: its first",
    },
}


@ns.route("/<string:image_id>/preview")
class ImagePreview(Resource):
    @ns.doc(params=PARAMS, produces=[mockups.MEDIA_TYPE])
    @ns.response(
        200,
        f"The design on the product in the variant's colour: WebP, {mockups.PREVIEW_SIDE} px "
        "square, placed as the print file places it; drawn locally, Printify is not asked",
        headers={
            "ETag": {"type": "string", "description": "the preview's content key"},
            "Cache-Control": {"type": "string", "description": mockups.CACHE_CONTROL},
        },
    )
    @ns.response(304, "Not modified (If-None-Match)")
    @ns.response(400, "Malformed parameter, or variant_id not in the template", error)
    @ns.response(404, "Unknown image or template", error)
    @api_access("images.preview")
    def get(self, image_id: str) -> Response:
        """Preview the image on a template's product in one variant's colour (cached by content:
        the image, the template's placement and print area, the colour)."""
        query = mockups.PreviewQuery.parse(request.args)
        context = current()
        spec = mockups.resolve(db.session, context.catalog, image_id, query)
        headers = {"ETag": quote_etag(spec.key), "Cache-Control": mockups.CACHE_CONTROL}
        if request.if_none_match.contains(spec.key):
            return Response(status=304, headers=headers)
        data = mockups.preview(mockups.cache_for(context), context.storage, spec)
        return Response(data, mimetype=mockups.MEDIA_TYPE, headers=headers)

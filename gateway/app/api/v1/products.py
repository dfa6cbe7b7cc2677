"""Products: publications that reached Printify, listed newest first."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields

from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.spec import nullable
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.publishing import presenter
from gateway.app.publishing import service as publications
from gateway.app.publishing.states import PublicationStatus
from gateway.app.security import api_access

products_ns = Namespace("products", description="Products live on Printify")

product_model = products_ns.model(
    "Product",
    {
        "printify_product_id": nullable(fields.String()),
        "publication_id": fields.String(),
        "image_id": fields.String(),
        "template_id": fields.String(),
        "template_name": nullable(fields.String()),
        "mockups": fields.List(fields.Raw()),
        "published_at": nullable(fields.DateTime()),
    },
)
product_page = schemas.offset_page(products_ns, "ProductPage", product_model)


@products_ns.route("")
class Products(Resource):
    @products_ns.doc(params={"page": schemas.PAGE_PARAM, "limit": schemas.limit_param()})
    @products_ns.response(200, "A page of products", product_page)
    @spec.cursor_paged(products_ns, "Product")
    @api_access("products.list")
    def get(self) -> dict:
        """Products published through the gateway, newest first (v2: by cursor)."""
        return representation().listed(
            Listing(
                keyset=publications.BY_CREATED,
                query=lambda: publications.publications_query(status=PublicationStatus.PUBLISHED),
                present=lambda rows: [presenter.product_dict(row) for row in rows],
                legacy=_product_page,
            )
        )


def _product_page() -> dict:
    """v1's products: a page of published publications, each as its product."""
    return publications.list_publications(
        db.session,
        status=PublicationStatus.PUBLISHED,
        page=common.page_number(),
        per_page=common.page_size(),
        present=presenter.product_dict,
    )

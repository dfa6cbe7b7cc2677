"""Product templates, publications, products and the cached Printify catalog."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from podgateway._base import Calls
from podgateway.models import Page, Product, Publication, Template


class PublishingCalls(Calls):
    def list_templates(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Template]:
        return self._page(Template, "/templates", {"limit": limit, "cursor": cursor})

    def iter_templates(self, *, page_size: int = 50) -> Iterator[Template]:
        return self._iterate(Template, "/templates", None, page_size)

    def get_template(self, template_id: str) -> Template:
        return self._one(Template, "GET", f"/templates/{template_id}")

    def create_template(
        self, template: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Template:
        """Create a template `{name, blueprint_id, print_provider_id, variants, ...}` (admin)."""
        return self._one(
            Template, "POST", "/templates", json=dict(template), idempotency_key=idempotency_key
        )

    def update_template(self, template_id: str, changes: Mapping[str, Any]) -> Template:
        """Change any subset of a template's fields (admin)."""
        return self._one(Template, "PUT", f"/templates/{template_id}", json=dict(changes))

    def delete_template(self, template_id: str) -> None:
        self._http.request("DELETE", f"/templates/{template_id}")

    def template_readiness(self, template_id: str, image_id: str) -> dict[str, Any]:
        """Print readiness of an image at a template: upscale factor, effective DPI, warnings."""
        return self._object("GET", f"/templates/{template_id}/readiness/{image_id}")

    def template_pricing(self, template_id: str) -> dict[str, Any]:
        """Price, learned cost, shipping, profit and margin per variant (null until learned)."""
        return self._object("GET", f"/templates/{template_id}/pricing")

    def refresh_template_pricing(
        self, template_id: str, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Learn the template's costs and shipping now (admin; may make and delete a draft)."""
        return self._object(
            "POST",
            f"/templates/{template_id}/pricing/refresh",
            json={},
            idempotency_key=idempotency_key,
        )

    def list_publications(
        self,
        *,
        status: str | None = None,
        image_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Publication]:
        params = {"status": status, "image_id": image_id, "limit": limit, "cursor": cursor}
        return self._page(Publication, "/publications", params)

    def iter_publications(
        self, *, status: str | None = None, image_id: str | None = None, page_size: int = 50
    ) -> Iterator[Publication]:
        params = {"status": status, "image_id": image_id}
        return self._iterate(Publication, "/publications", params, page_size)

    def get_publication(self, publication_id: str) -> Publication:
        return self._one(Publication, "GET", f"/publications/{publication_id}")

    def retry_publication(
        self, publication_id: str, *, idempotency_key: str | None = None
    ) -> Publication:
        """Retry a failed publication from the last step Printify confirmed."""
        path = f"/publications/{publication_id}/retry"
        return self._one(Publication, "POST", path, idempotency_key=idempotency_key)

    def unpublish(self, publication_id: str, *, idempotency_key: str | None = None) -> Publication:
        """Take a published product down; its image is approved again."""
        path = f"/publications/{publication_id}/unpublish"
        return self._one(Publication, "POST", path, idempotency_key=idempotency_key)

    def list_products(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Product]:
        return self._page(Product, "/products", {"limit": limit, "cursor": cursor})

    def iter_products(self, *, page_size: int = 50) -> Iterator[Product]:
        return self._iterate(Product, "/products", None, page_size)

    def catalog_blueprints(self) -> list[dict[str, Any]]:
        """Printify blueprints (product types)."""
        return self._list("GET", "/catalog/blueprints")

    def catalog_print_providers(self, blueprint_id: int) -> list[dict[str, Any]]:
        return self._list("GET", f"/catalog/blueprints/{blueprint_id}/print_providers")

    def catalog_variants(self, blueprint_id: int, provider_id: int) -> dict[str, Any]:
        """Every variant of a blueprint at a provider, with its print areas' pixel sizes."""
        path = f"/catalog/blueprints/{blueprint_id}/print_providers/{provider_id}/variants"
        return self._object("GET", path)

    def refresh_catalog(self, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Forget the cached catalog (admin)."""
        return self._object("POST", "/catalog/refresh", idempotency_key=idempotency_key)

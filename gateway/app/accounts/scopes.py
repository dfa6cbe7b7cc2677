"""Who may call what: every API operation's scope and rate tier, in one table.

`security.api_access(operation)` enforces this table, the OpenAPI documents state each operation's
scope from it, and README lists it. `read` never changes anything: an operation that writes cannot
be given the `read` scope (checked when the operation is decorated).
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPES: dict[str, str] = {
    "read": "list and fetch anything the key may see; never changes anything",
    "generate": "start generation, edit, upscale and upload jobs; cancel them",
    "review": "edit listings; approve, reject, reset and delete images (one or in batches)",
    "publish": "publish to Printify, retry and unpublish",
    "webhooks": "manage the key's own webhook subscriptions (Zapier, n8n)",
    "admin": "everything: templates, catalog refresh, status, cleanup, every subscription",
}
TIERS = ("generation", "publishing", "approval", "read")


@dataclass(frozen=True)
class Access:
    scope: str
    tier: str


def _access(scope: str, tier: str) -> Access:
    return Access(scope, tier)


READ = _access("read", "read")
WEBHOOKS = _access("webhooks", "read")
ADMIN = _access("admin", "read")

OPERATIONS: dict[str, Access] = {
    "account.me": READ,
    "account.usage": READ,
    "generation.generate": _access("generate", "generation"),
    "generation.edit": _access("generate", "generation"),
    "generation.upscale": _access("generate", "generation"),
    "jobs.list": READ,
    "jobs.get": READ,
    "jobs.follow": READ,
    "jobs.cancel": _access("generate", "read"),
    "images.list": READ,
    "images.upload": _access("generate", "generation"),
    "images.get": READ,
    "images.file": READ,
    "images.preview": READ,
    "images.update": _access("review", "approval"),
    "images.delete": _access("review", "approval"),
    "images.approve": _access("review", "approval"),
    "images.reject": _access("review", "approval"),
    "images.reset": _access("review", "approval"),
    "images.publish": _access("publish", "publishing"),
    "images.draft_listing": _access("review", "approval"),
    "batch.approve": _access("review", "approval"),
    "batch.reject": _access("review", "approval"),
    "batch.delete": _access("review", "approval"),
    "batch.publish": _access("publish", "publishing"),
    "templates.list": READ,
    "templates.get": READ,
    "templates.readiness": READ,
    "templates.create": ADMIN,
    "templates.update": ADMIN,
    "templates.delete": ADMIN,
    "templates.pricing": READ,
    # Learning costs may create (and delete) a draft product: it counts as publishing.
    "templates.pricing_refresh": _access("admin", "publishing"),
    "publications.list": READ,
    "publications.get": READ,
    "publications.retry": _access("publish", "publishing"),
    "publications.unpublish": _access("publish", "publishing"),
    "products.list": READ,
    "catalog.read": READ,
    "catalog.refresh": ADMIN,
    "webhooks.samples": READ,
    "webhooks.list": WEBHOOKS,
    "webhooks.get": WEBHOOKS,
    "webhooks.create": WEBHOOKS,
    "webhooks.update": WEBHOOKS,
    "webhooks.delete": WEBHOOKS,
    "webhooks.rotate_secret": WEBHOOKS,
    "webhooks.test": WEBHOOKS,
    "webhooks.deliveries": WEBHOOKS,
    "webhooks.redeliver": WEBHOOKS,
    "operations.status": _access("admin", "read"),
    "operations.backends": READ,
    "operations.cleanup": _access("admin", "approval"),
}


def access_for(operation: str) -> Access:
    """The table's row for `operation`; an operation missing from it is a programming error."""
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise LookupError(
            f"API operation {operation!r} is not in accounts.scopes.OPERATIONS"
        ) from None

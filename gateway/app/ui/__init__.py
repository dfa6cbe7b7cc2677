"""The review UI: server-rendered pages for operators, thin views over the services."""

from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint("ui", __name__)


def init_app(app: Flask) -> None:
    from gateway.app.ui import (  # noqa: F401  (registers the views)
        admin,
        auth,
        dashboard,
        events,
        image_detail,
        pages,
        review,
        templates_admin,
        upscale,
        webhooks,
    )

    app.register_blueprint(blueprint)
    app.context_processor(pages.navigation)

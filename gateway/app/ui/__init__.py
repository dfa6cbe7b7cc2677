"""The review UI: server-rendered pages for operators, thin views over the services."""

from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint("ui", __name__)


def init_app(app: Flask) -> None:
    from gateway.app.ui import auth, pages  # noqa: F401  (registers the views on the blueprint)

    app.register_blueprint(blueprint)
    app.context_processor(pages.navigation)

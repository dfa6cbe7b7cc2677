"""The start page and the navigation every page shows."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from gateway.app.ui import blueprint
from gateway.app.ui.forms import LogoutForm

# (endpoint, label, scope): a link shows only when its page exists and the operator may open it.
NAVIGATION = (
    ("ui.review", "Review", "read"),
    ("ui.dashboard", "Dashboard", "read"),
    ("ui.templates", "Templates", "admin"),
    ("ui.webhooks", "Webhooks", "admin"),
    ("ui.keys", "API keys", "admin"),
    ("ui.audit", "Audit", "admin"),
)


# Pages that belong under the "Review" tab.
REVIEW_ENDPOINTS = frozenset({"ui.review", "ui.review_image"})


def navigation() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"nav_links": [], "logout_form": None}
    links = [
        (url_for(endpoint), label, endpoint)
        for endpoint, label, scope in NAVIGATION
        if endpoint in current_app.view_functions and current_user.can(scope)
    ]
    return {"nav_links": links, "logout_form": LogoutForm(), "review_endpoints": REVIEW_ENDPOINTS}


@blueprint.get("/")
def index() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("ui.review"))
    return render_template("index.html")

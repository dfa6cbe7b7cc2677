"""/login and /logout."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from gateway.app import metrics
from gateway.app.accounts import context as account_context
from gateway.app.accounts import service as accounts
from gateway.app.accounts.sessions import OperatorUser
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.extensions import db
from gateway.app.ui import blueprint
from gateway.app.ui.forms import LoginForm, LogoutForm

log = logging.getLogger(__name__)
ANONYMOUS = Actor("anonymous", None, "anonymous")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would turn our login page into a phishing aid."""
    if not target:
        return url_for("ui.review")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ui.review")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("ui.review"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        throttle = account_context.login_throttle()
        address = request.remote_addr or "unknown"
        username = form.username.data or ""
        if throttle.blocked(username, address):
            metrics.LOGIN_FAILURES.labels("throttled").inc()
            log.warning("login throttled for %r from %s", username[:64], address)
            error = "Too many failed attempts from here. Wait a few minutes and try again."
            status = 429
        else:
            time.sleep(throttle.delay(username, address))
            operator = accounts.verify_operator(db.session, username, form.password.data or "")
            if operator is None:
                throttle.failed(username, address)
                metrics.LOGIN_FAILURES.labels("wrong_password").inc()
                audit.record(
                    db.session,
                    ANONYMOUS,
                    entity_type="operator",
                    entity_id=username[:40],
                    action="login_failed",
                    details={"address": address, "username": username[:100]},
                )
                db.session.commit()
                error = "Wrong username or password."
                status = 401
            else:
                throttle.succeeded(username, address)
                session.clear()
                login_user(OperatorUser(operator))
                audit.record(
                    db.session,
                    Actor("operator", operator.id, operator.username),
                    entity_type="operator",
                    entity_id=operator.id,
                    action="logged_in",
                    details={"address": address},
                )
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        error = "Please fill in both fields."
        status = 400
    return render_template("ui/login.html", form=form, error=error), status


@blueprint.post("/logout")
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("ui.login"))

"""/keys and /audit: API keys (create, shown once; revoke) and the filterable audit log. Admins only."""

from __future__ import annotations

import json
from datetime import date

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from gateway.app.accounts import context as account_context
from gateway.app.accounts import service as accounts
from gateway.app.accounts.sessions import operator_principal
from gateway.app.audit import queries
from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import Actor
from gateway.app.errors import Conflict, ValidationFailed
from gateway.app.extensions import db
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.actions import require_token
from gateway.app.ui.admin_forms import SCOPE_HELP, AuditFilterForm, CreateKeyForm, RevokeKeyForm

FILTER_FIELDS = ("entity_type", "entity_id", "actor", "action", "since", "until")


def _actor() -> Actor:
    return operator_principal(current_user).actor


def _keys_page(
    form: CreateKeyForm, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    # Usage is counted in memory: write this process's share first (after ending the request's
    # transaction, which on SQLite would hold the lock the flush needs) so the page is current.
    db.session.commit()
    account_context.keyring().flush()
    return (
        render_template(
            "ui/keys.html",
            keys=accounts.list_keys(db.session),
            form=form,
            scope_help=SCOPE_HELP,
            error=error,
        ),
        status,
    )


@blueprint.get("/keys")
@ui_access("admin")
def keys() -> ResponseReturnValue:
    return _keys_page(CreateKeyForm())


@blueprint.post("/keys")
@ui_access("admin")
def create_key() -> ResponseReturnValue:
    """Create a key and show its secret on this response only; it is never stored or shown again."""
    form = CreateKeyForm()
    if not form.validate_on_submit():
        return _keys_page(form, 400)
    try:
        new = accounts.create_key(
            db.session,
            form.name.data or "",
            plan=form.plan.data or "",
            scopes=form.scopes.data or [],
            actor=_actor(),
        )
    except ValidationFailed as error:
        db.session.rollback()
        return _keys_page(form, 400, error.message)
    response = make_response(
        render_template("ui/key_created.html", key=new.record, secret=new.secret)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/keys/<prefix>/revoke")
@ui_access("admin")
def confirm_revoke_key(prefix: str) -> str:
    key = accounts.find_key(db.session, prefix)
    return render_template("ui/key_revoke.html", key=key, form=RevokeKeyForm())


@blueprint.post("/keys/<prefix>/revoke")
@ui_access("admin")
def revoke_key(prefix: str) -> Response:
    require_token(RevokeKeyForm())
    try:
        key = accounts.revoke_key(db.session, prefix, _actor())
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(f"Key {key.prefix} ({key.name}) is revoked; programs using it now get 401.", "ok")
    return redirect(url_for("ui.keys"))


def _filters(form: AuditFilterForm) -> queries.AuditFilter:
    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    return queries.AuditFilter(
        entity_type=text(form.entity_type.data),
        entity_id=text(form.entity_id.data),
        actor=text(form.actor.data),
        action=text(form.action.data),
        since=form.since.data,
        until=form.until.data,
    )


def _query_args(filters: queries.AuditFilter) -> dict[str, str]:
    """The active filters as query-string arguments, for the pagination links."""
    found = {}
    for name in FILTER_FIELDS:
        value = getattr(filters, name)
        if value:
            found[name] = value.isoformat() if isinstance(value, date) else value
    return found


def details_items(entry: AuditEntry) -> list[tuple[str, str]]:
    """An entry's details as (key, text) pairs: strings as they are, lists joined, the rest JSON."""

    def text(value: object) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ", ".join(value)
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    return [(key, text(value)) for key, value in sorted((entry.details or {}).items())]


@blueprint.get("/audit")
@ui_access("admin")
def audit() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    status = 200
    if form.validate():
        filters = _filters(form)
        result = queries.page(db.session, filters, before=form.before.data, after=form.after.data)
    else:
        status = 400
        filters = queries.AuditFilter()
        result = queries.AuditPage([], None, None)
    entity_types, actions = queries.known_values(db.session)
    return (
        render_template(
            "ui/audit.html",
            form=form,
            page=result,
            args=_query_args(filters),
            entity_types=entity_types,
            actions=actions,
            details_items=details_items,
        ),
        status,
    )

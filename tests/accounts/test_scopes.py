"""The scope table: every API operation is in it, and `read` never writes."""

from __future__ import annotations

import pytest
from flask import Flask

from gateway.app.accounts import scopes
from gateway.app.security import api_access

WRITE_METHODS = ("post", "put", "patch", "delete")


def _decorated_methods(app: Flask) -> list[tuple[str, str, scopes.Access]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v"):
            continue
        view = app.view_functions[rule.endpoint]
        resource = getattr(view, "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(resource, method.lower(), None)
            access = getattr(handler, "__access__", None)
            if access is not None:
                found.append((rule.rule, method, access))
    return found


def test_every_api_write_needs_a_scope_other_than_read(app: Flask):
    methods = _decorated_methods(app)
    assert len(methods) > 40
    writes = [(path, method, a) for path, method, a in methods if method.lower() in WRITE_METHODS]
    assert writes
    assert all(access.scope != "read" for _, _, access in writes), writes


def test_every_operation_in_the_table_names_a_known_scope_and_tier():
    for operation, access in scopes.OPERATIONS.items():
        assert access.scope in scopes.SCOPES, operation
        assert access.tier in scopes.TIERS, operation


def test_giving_a_writing_method_the_read_scope_fails_at_import():
    def post() -> None: ...

    with pytest.raises(TypeError, match="never changes anything"):
        api_access("images.list")(post)


def test_an_operation_missing_from_the_table_fails_at_import():
    with pytest.raises(LookupError):
        api_access("images.teleport")

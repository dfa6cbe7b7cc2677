"""api.common's idempotent_call: the Idempotency-Key a method honours is the one it documents."""

from __future__ import annotations

from flask_restx import Namespace

from gateway.app.api import common
from gateway.app.api.spec import IDEMPOTENCY_REQUIRED_IN_V2


def _post() -> dict:
    return {}


def test_the_header_is_documented_after_the_methods_own_parameters() -> None:
    ns = Namespace("probe")
    upload = {"file": {"in": "formData", "type": "file"}}
    documented = common.idempotent_call(ns, params=upload)(_post)
    assert list(documented.__apidoc__["params"]) == ["file", "Idempotency-Key"]
    assert documented.__wrapped__ is _post


def test_a_call_v2_requires_a_key_for_is_marked_so() -> None:
    documented = common.idempotent_call(Namespace("probe"), required_in_v2=True)(_post)
    assert documented.__apidoc__["vendor"] == {IDEMPOTENCY_REQUIRED_IN_V2: True}
    assert "Required in v2" in documented.__apidoc__["params"]["Idempotency-Key"]["description"]

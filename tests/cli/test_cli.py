"""The Flask CLI: config check, keys, operators, admin ensure, cleanup."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import update

from gateway.app import create_app
from gateway.app.accounts import service as accounts
from gateway.app.database import utcnow
from gateway.app.extensions import db
from gateway.app.images.models import Image
from tests.conftest import artwork, make_settings

ROOT = Path(__file__).resolve().parents[2]
KEY_LINE = re.compile(r"pod_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def run(runner, *args, **kwargs):
    return runner.invoke(args=list(args), **kwargs)


def other_app(tmp_path, *, migrate=False, **overrides):
    application = create_app({"SETTINGS": make_settings(tmp_path, **overrides)})
    if migrate:
        with application.app_context():
            upgrade()
    return application


# --- config check ------------------------------------------------------------------------------


def test_config_check_passes_with_warnings_for_disabled_integrations(runner):
    result = run(runner, "config", "check")
    assert result.exit_code == 0, result.output
    assert "warning: RunPod: no RUNPOD_API_KEY" in result.output
    assert "warning: ComfyUI: no COMFYUI_URL" in result.output
    assert "warning: Printify: no PRINTIFY_API_TOKEN" in result.output
    assert "configuration ok" in result.output
    assert "error:" not in result.output


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"RUNPOD_API_KEY": "rp-key"}, "RUNPOD_ENDPOINT_ID"),
        ({"GENERATION_BACKEND": "runpod"}, "GENERATION_BACKEND=runpod"),
        ({"GENERATION_BACKEND": "comfyui"}, "GENERATION_BACKEND=comfyui"),
        ({"PRINTIFY_API_TOKEN": "tok"}, "PRINTIFY_SHOP_ID"),
        ({"REJECT_REASONS": "blurry,not ok"}, "REJECT_REASONS"),
    ],
)
def test_config_check_fails_on_errors(tmp_path, overrides, message):
    application = other_app(tmp_path, **overrides)
    result = run(application.test_cli_runner(), "config", "check")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any(message in line for line in errors), result.output
    assert "configuration has errors" in result.output


def test_config_check_through_the_real_entry_point(tmp_path):
    """`flask --app wsgi config check` in a fresh state dir, configured by the environment only."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "GATEWAY_STATE_DIR": str(tmp_path / "state"),
        "RUNPOD_API_KEY": "rp-key",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "config", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error: RunPod: RUNPOD_API_KEY is set but RUNPOD_ENDPOINT_ID is not" in result.stderr
    assert "warning: ComfyUI: no COMFYUI_URL" in result.stdout
    assert f"state dir:  {tmp_path / 'state'}" in result.stdout
    assert (tmp_path / "state" / "secret_key").exists()


def _flask(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real `flask --app wsgi` entry point with only the given environment."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args", [("keys", "list"), ("keys", "create", "x"), ("cleanup",), ("admin", "ensure")]
)
def test_commands_on_a_missing_database_explain_and_create_nothing(tmp_path, args):
    state = tmp_path / "elsewhere"
    result = _flask(tmp_path, *args, GATEWAY_STATE_DIR=str(state))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"no database at {state / 'gateway.db'}" in result.stderr
    assert "GATEWAY_STATE_DIR / DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state / "gateway.db").exists()


def test_commands_on_an_unmigrated_database_say_to_migrate(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "gateway.db").touch()
    result = _flask(tmp_path, "keys", "list", GATEWAY_STATE_DIR=str(state))
    assert result.returncode == 1
    assert "has no schema (it was never migrated)" in result.stderr
    assert "Traceback" not in result.stderr
    assert _flask(tmp_path, "db", "upgrade", GATEWAY_STATE_DIR=str(state)).returncode == 0
    listed = _flask(tmp_path, "keys", "list", GATEWAY_STATE_DIR=str(state))
    assert listed.returncode == 0, listed.stderr


def test_commands_on_an_unreachable_database_explain(tmp_path):
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    result = _flask(
        tmp_path, "keys", "list", DATABASE_URL=unreachable, GATEWAY_STATE_DIR=str(tmp_path)
    )
    assert result.returncode == 1
    assert "cannot open the database postgresql+psycopg://nobody@127.0.0.1:9/none" in result.stderr
    assert "Traceback" not in result.stderr


# --- keys --------------------------------------------------------------------------------------


def test_keys_create_prints_a_working_key_alone_on_its_last_line(runner, client):
    result = run(runner, "keys", "create", "zapier", "--plan", "pro", "--scopes", "read,generate")
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").splitlines()[-1]
    assert KEY_LINE.fullmatch(last)
    assert result.output.count(last) == 1
    me = client.get("/api/v1/me", headers={"X-API-Key": last})
    assert me.status_code == 200
    body = me.get_json()
    assert (body["name"], body["plan"], body["scopes"]) == ("zapier", "pro", ["generate", "read"])
    listed = run(runner, "keys", "list")
    assert last.split("_")[1] in listed.output
    assert last not in listed.output


def test_keys_create_defaults_to_a_free_plan(runner, client):
    key = run(runner, "keys", "create", "script").output.rstrip("\n").splitlines()[-1]
    body = client.get("/api/v1/me", headers={"X-API-Key": key}).get_json()
    assert body["plan"] == "free"
    assert body["scopes"] == ["generate", "read", "review"]


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "x", "--scopes", "read,root"],
        ["keys", "create", "x", "--plan", "gold"],
        ["keys", "create", "<b>x</b>"],
    ],
)
def test_keys_create_refuses_bad_input_and_prints_no_key(runner, args):
    result = run(runner, *args)
    assert result.exit_code != 0
    assert not KEY_LINE.search(result.output)


def test_keys_revoke_disables_the_key(runner, client):
    key = run(runner, "keys", "create", "old").output.rstrip("\n").splitlines()[-1]
    prefix = key.split("_")[1]
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    result = run(runner, "keys", "revoke", prefix)
    assert result.exit_code == 0, result.output
    assert prefix in result.output
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401
    again = run(runner, "keys", "revoke", prefix)
    assert again.exit_code == 1
    assert "already revoked" in again.output
    unknown = run(runner, "keys", "revoke", "ffffffff")
    assert unknown.exit_code == 1


# --- operators and the first admin -------------------------------------------------------------


def test_operators_create_with_a_password_option(app, runner):
    result = run(
        runner, "operators", "create", "rita", "--role", "reviewer", "--password", "s3cret-pass!"
    )
    assert result.exit_code == 0, result.output
    assert "rita" in result.output and "reviewer" in result.output
    assert "s3cret-pass!" not in result.output
    with app.app_context():
        operator = accounts.verify_operator(db.session, "rita", "s3cret-pass!")
        assert operator is not None and operator.role == "reviewer"


def test_operators_create_prompts_for_the_password(app, runner):
    result = run(
        runner,
        "operators",
        "create",
        "vic",
        "--role",
        "viewer",
        input="prompted-pass\nprompted-pass\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.verify_operator(db.session, "vic", "prompted-pass").role == "viewer"


@pytest.mark.parametrize(
    "args",
    [
        ["operators", "create", "rita", "--role", "king", "--password", "long-enough-pw"],
        ["operators", "create", "rita", "--role", "admin", "--password", "short"],
    ],
)
def test_operators_create_refuses_bad_input(app, runner, args):
    assert run(runner, *args).exit_code != 0
    with app.app_context():
        assert not accounts.has_operators(db.session)


def test_admin_ensure_prints_a_generated_password_once(app, runner):
    first = run(runner, "admin", "ensure")
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    password = lines[lines.index("Created operator 'admin'. Its password, shown only now:") + 1]
    with app.app_context():
        assert accounts.verify_operator(db.session, "admin", password).role == "admin"
    second = run(runner, "admin", "ensure")
    assert second.exit_code == 0
    assert second.output == ""


def test_admin_ensure_with_a_configured_password_prints_nothing(tmp_path):
    application = other_app(tmp_path, migrate=True, GATEWAY_ADMIN_PASSWORD="configured-pass")
    result = run(application.test_cli_runner(), "admin", "ensure")
    assert result.exit_code == 0
    assert result.output == ""
    with application.app_context():
        assert accounts.verify_operator(db.session, "admin", "configured-pass") is not None
        db.session.remove()
        db.engine.dispose()
    application.extensions["generation"].engine.dispose()


# --- cleanup -----------------------------------------------------------------------------------


def test_cleanup_removes_old_rejected_images_only(app, runner, client, admin_headers):
    made = {}
    for seed, name in enumerate(
        ("old_rejected", "new_rejected", "old_pending", "old_approved"), start=1
    ):
        response = client.post(
            "/api/v1/images",
            data={"file": (io.BytesIO(artwork(64, 64, seed=seed)), "d.png")},
            headers=admin_headers,
            content_type="multipart/form-data",
        )
        made[name] = response.get_json()
    long_ago = utcnow() - timedelta(days=app.extensions["settings"].retention_rejected_days + 1)
    with app.app_context():
        for name, image in made.items():
            status = name.split("_")[1]
            values = {"status": status}
            if name.startswith("old"):
                values["updated_at"] = long_ago
            db.session.execute(update(Image).where(Image.id == image["id"]).values(**values))
        db.session.commit()
    storage = app.extensions["generation"].storage
    result = run(runner, "cleanup")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["images_deleted"] == 1
    assert report["files_deleted"] >= 2
    assert set(report) >= {"images_deleted", "files_deleted", "jobs_deleted"}
    remaining = {
        item["id"]
        for item in client.get("/api/v1/images", headers=admin_headers).get_json()["items"]
    }
    assert remaining == {
        made[name]["id"] for name in ("new_rejected", "old_pending", "old_approved")
    }
    with app.app_context():
        gone = db.session.get(Image, made["old_rejected"]["id"])
        kept = db.session.get(Image, made["old_pending"]["id"])
        assert gone is None
        assert storage.get(kept.original_key)
    again = json.loads(run(runner, "cleanup").output)
    assert again["images_deleted"] == 0

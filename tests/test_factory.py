"""create_app: test settings, the state dir, the generated secret key, refusing bad settings."""

from __future__ import annotations

import stat

import pytest
from pydantic import ValidationError

from gateway.app import create_app
from tests.conftest import make_settings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No gateway variables from the developer's shell, and no .env in the working directory."""
    for name in ("GATEWAY_SECRET_KEY", "PORT", "LOG_LEVEL", "DATABASE_URL", "STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_create_app_uses_the_given_settings(tmp_path):
    settings = make_settings(tmp_path / "deep" / "state", MAX_UPLOAD_MB=2)
    app = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": True})
    assert app.extensions["settings"] is settings
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "test-secret-key"
    assert app.config["MAX_CONTENT_LENGTH"] > 2 * 1024 * 1024
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{settings.state_dir}/gateway.db"
    assert (tmp_path / "deep" / "state").is_dir()
    assert app.instance_path == str(settings.state_dir)


def test_config_overrides_win_over_settings(tmp_path):
    app = create_app({"SETTINGS": make_settings(tmp_path), "SECRET_KEY": "override"})
    assert app.config["SECRET_KEY"] == "override"


def test_the_health_probe_answers_without_a_database(tmp_path):
    app = create_app({"SETTINGS": make_settings(tmp_path)})
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_the_secret_key_is_generated_once_and_reused(tmp_path):
    settings = make_settings(tmp_path, GATEWAY_SECRET_KEY=None)
    first = create_app({"SETTINGS": settings}).config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = make_settings(tmp_path, GATEWAY_SECRET_KEY=None)
    assert create_app({"SETTINGS": again}).config["SECRET_KEY"] == first
    other = make_settings(tmp_path / "elsewhere", GATEWAY_SECRET_KEY=None)
    assert create_app({"SETTINGS": other}).config["SECRET_KEY"] != first


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
        ("GENERATION_BACKEND", "dalle"),
        ("MAX_UPLOAD_MB", "-1"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_bad_settings_stop_the_start(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv("GATEWAY_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        create_app()
    assert name in str(raised.value)


@pytest.mark.usefixtures("clean_env")
def test_create_app_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GATEWAY_STATE_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.extensions["settings"].state_dir == tmp_path / "from-env"
    assert (tmp_path / "from-env").is_dir()


def test_an_unusable_storage_url_stops_the_start(tmp_path):
    with pytest.raises(ValueError, match="file:// or s3://"):
        create_app({"SETTINGS": make_settings(tmp_path, STORAGE_URL="ftp://files.example/x")})

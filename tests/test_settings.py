"""Settings: defaults, environment and .env, CSV lists, validation, derived values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.app.settings import DEFAULT_REJECT_REASONS, Settings

GATEWAY_VARIABLES = (
    "GATEWAY_STATE_DIR",
    "GATEWAY_SECRET_KEY",
    "GATEWAY_BASE_URL",
    "DATABASE_URL",
    "STORAGE_URL",
    "HOST",
    "PORT",
    "WEBHOOK_ALLOWED_NETWORKS",
    "WEBHOOK_RETRY_SCHEDULE",
    "REJECT_REASONS",
    "CORS_ORIGINS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "GENERATION_BACKEND",
    "RUNPOD_API_KEY",
    "RUNPOD_ENDPOINT_ID",
    "COMFYUI_URL",
    "PRINTIFY_API_TOKEN",
    "PRINTIFY_SHOP_ID",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in GATEWAY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_contract(tmp_path):
    settings = Settings(_env_file=None)
    assert settings.state_dir == tmp_path / "state"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'state' / 'gateway.db'}"
    assert settings.resolved_storage_url == f"file://{tmp_path / 'state' / 'images'}"
    assert settings.resolved_base_url == "http://127.0.0.1:8000"
    assert settings.generation_backend == "local"
    assert settings.runpod_base_url == "https://api.runpod.ai/v2"
    assert settings.printify_base_url == "https://api.printify.com/v1"
    assert settings.webhook_allowed_networks == []
    assert settings.webhook_retry_schedule == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert settings.webhook_disable_after_hours == 120
    assert settings.cors_origins == []
    assert (settings.max_upload_mb, settings.max_image_dimension) == (10, 8192)
    assert settings.max_prompt_length == 500
    assert settings.generation_timeout_seconds == 300
    assert (settings.log_format, settings.log_level) == ("text", "INFO")
    assert settings.reject_reasons == list(DEFAULT_REJECT_REASONS)
    limits = (
        settings.rate_limit_generation,
        settings.rate_limit_publishing,
        settings.rate_limit_approval,
        settings.rate_limit_read,
        settings.rate_limit_pro_multiplier,
        settings.rate_limit_enterprise_multiplier,
    )
    assert limits == (10, 50, 100, 1000, 10, 100)
    assert not (settings.runpod_enabled or settings.comfyui_enabled or settings.printify_enabled)


def test_csv_values_are_parsed_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8, 10.0.0.0/8,,")
    monkeypatch.setenv("REJECT_REASONS", "blurry,off_prompt , other")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "1, 2.5,60")
    settings = Settings(_env_file=None)
    assert settings.webhook_allowed_networks == ["127.0.0.0/8", "10.0.0.0/8"]
    assert settings.reject_reasons == ["blurry", "off_prompt", "other"]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.webhook_retry_schedule == [1, 2.5, 60]


def test_an_empty_csv_value_is_an_empty_list(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "")
    assert Settings(_env_file=None).webhook_allowed_networks == []


def test_a_dot_env_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("PORT=9001\nLOG_LEVEL=debug\nREJECT_REASONS=a,b\n")
    monkeypatch.setenv("PORT", "9002")
    settings = Settings()
    assert settings.port == 9002
    assert settings.log_level == "DEBUG"
    assert settings.reject_reasons == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"),
        ("PORT", "http"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "yaml"),
        ("GENERATION_BACKEND", "midjourney"),
        ("MAX_IMAGE_DIMENSION", "10"),
        ("GENERATION_TIMEOUT_SECONDS", "0"),
        ("WEBHOOK_RETRY_SCHEDULE", "5,soon"),
        ("WEBHOOK_LEASE_SECONDS", "30"),
        ("RATE_LIMIT_GENERATION", "0"),
    ],
)
def test_invalid_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None)
    assert name in str(raised.value)


def test_settings_are_frozen():
    settings = Settings(_env_file=None)
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


def test_derived_values(monkeypatch, tmp_path):
    monkeypatch.setenv("GATEWAY_STATE_DIR", "relative/state")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("MAX_UPLOAD_MB", "1.5")
    monkeypatch.setenv("RUNPOD_API_KEY", "k")
    monkeypatch.setenv("RUNPOD_ENDPOINT_ID", "e")
    settings = Settings(_env_file=None)
    assert settings.state_dir == tmp_path / "relative" / "state"
    assert settings.state_dir.is_absolute()
    assert settings.resolved_base_url == "http://0.0.0.0:8080"
    assert settings.max_upload_bytes == int(1.5 * 1024 * 1024)
    assert settings.runpod_enabled
    trailing = Settings(_env_file=None, GATEWAY_BASE_URL="https://pod.example/")
    assert trailing.resolved_base_url == "https://pod.example"


def test_the_configuration_report(monkeypatch):
    errors, warnings = Settings(_env_file=None).configuration_report()
    assert errors == []
    assert any(w.startswith("RunPod: no RUNPOD_API_KEY") for w in warnings)
    assert any("GATEWAY_SECRET_KEY" in w for w in warnings)
    monkeypatch.setenv("COMFYUI_URL", "http://127.0.0.1:8188")
    monkeypatch.setenv("GENERATION_BACKEND", "comfyui")
    monkeypatch.setenv("PRINTIFY_API_TOKEN", "t")
    errors, warnings = Settings(_env_file=None).configuration_report()
    assert errors == ["Printify: PRINTIFY_API_TOKEN is set but PRINTIFY_SHOP_ID is not"]
    assert not any("ComfyUI" in w for w in warnings)
    monkeypatch.setenv("PRINTIFY_SHOP_ID", "1001")
    monkeypatch.setenv("API_V1_SUNSET_ON", "2026-01-01")
    errors, warnings = Settings(_env_file=None).configuration_report()
    assert errors == ["API_V1_SUNSET_ON must come after API_V1_DEPRECATED_ON"]
    assert any("PRINTIFY_WEBHOOK_SECRET" in w for w in warnings)
    monkeypatch.setenv("PRINTIFY_WEBHOOK_SECRET", "s")
    assert not any("PRINTIFY" in w for w in Settings(_env_file=None).configuration_report()[1])


def test_every_setting_is_documented_in_the_readme_with_its_default():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for field in Settings.model_fields.values():
        name = f"`{field.validation_alias}`"
        row = next((line for line in rows if name in line.split("|")[1]), None)
        assert row is not None, f"{field.validation_alias} has no row in README's settings table"
        assert row.split("|")[2].strip(), f"{field.validation_alias} has no default in README"


def test_ip_risk_settings_default_to_flag_with_the_shipped_terms():
    settings = Settings(_env_file=None)
    assert (settings.ip_risk_policy, settings.ip_risk_terms_file) == ("flag", None)
    assert settings.ip_screen.find("M1ckey") == ["mickey"]


def test_a_terms_file_extends_the_screen_and_a_bad_one_stops_the_start(monkeypatch, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("# ours\nAcme Rockets\n", encoding="utf-8")
    monkeypatch.setenv("IP_RISK_TERMS_FILE", str(terms))
    assert Settings(_env_file=None).ip_screen.find("acme rockets") == ["acme rockets"]
    bad = tmp_path / "bad.txt"
    bad.write_text("fine\n!!!\n", encoding="utf-8")
    monkeypatch.setenv("IP_RISK_TERMS_FILE", str(bad))
    with pytest.raises(ValidationError, match=r"bad\.txt, line 2: '!!!' has no letters"):
        Settings(_env_file=None)
    monkeypatch.setenv("IP_RISK_TERMS_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(ValidationError, match=r"missing\.txt: cannot be read"):
        Settings(_env_file=None)
    monkeypatch.setenv("IP_RISK_POLICY", "warn")
    monkeypatch.delenv("IP_RISK_TERMS_FILE")
    with pytest.raises(ValidationError, match="flag"):
        Settings(_env_file=None)

"""The one typed settings object, read from the environment and an optional `.env`."""

from __future__ import annotations

import secrets
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.app.ip_risk.screen import Screen, screen_for

Backend = Literal["local", "runpod", "comfyui"]
Plan = Literal["free", "pro", "enterprise"]

DEFAULT_REJECT_REASONS = (
    "low_quality",
    "off_prompt",
    "text_artifacts",
    "duplicate",
    "ip_risk",
    "other",
)


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# SigV4 presigned URLs live at most a week (the storage refuses a longer life too).
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


class Settings(BaseSettings):
    """Every setting the gateway reads; README documents each one with its default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    state_dir: Path = Field(Path("state"), validation_alias="GATEWAY_STATE_DIR")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    redis_prefix: str = Field("pod", validation_alias="REDIS_PREFIX")
    storage_url: str | None = Field(None, validation_alias="STORAGE_URL")
    s3_endpoint_url: str | None = Field(None, validation_alias="S3_ENDPOINT_URL")
    s3_public_endpoint_url: str | None = Field(None, validation_alias="S3_PUBLIC_ENDPOINT_URL")
    storage_presign_seconds: int = Field(
        300, validation_alias="STORAGE_PRESIGN_SECONDS", ge=1, le=MAX_PRESIGN_SECONDS
    )
    secret_key: str | None = Field(None, validation_alias="GATEWAY_SECRET_KEY")
    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(8000, validation_alias="PORT", ge=1, le=65535)
    base_url: str | None = Field(None, validation_alias="GATEWAY_BASE_URL")
    admin_password: str | None = Field(None, validation_alias="GATEWAY_ADMIN_PASSWORD")

    generation_backend: Backend = Field("local", validation_alias="GENERATION_BACKEND")
    runpod_api_key: str | None = Field(None, validation_alias="RUNPOD_API_KEY")
    runpod_endpoint_id: str | None = Field(None, validation_alias="RUNPOD_ENDPOINT_ID")
    runpod_base_url: str = Field("https://api.runpod.ai/v2", validation_alias="RUNPOD_BASE_URL")
    runpod_poll_interval_seconds: float = Field(
        1.0, validation_alias="RUNPOD_POLL_INTERVAL_SECONDS", gt=0
    )
    comfyui_url: str | None = Field(None, validation_alias="COMFYUI_URL")
    printify_api_token: str | None = Field(None, validation_alias="PRINTIFY_API_TOKEN")
    printify_shop_id: str | None = Field(None, validation_alias="PRINTIFY_SHOP_ID")
    printify_webhook_secret: str | None = Field(None, validation_alias="PRINTIFY_WEBHOOK_SECRET")
    printify_base_url: str = Field(
        "https://api.printify.com/v1", validation_alias="PRINTIFY_BASE_URL"
    )
    printify_timeout_seconds: float = Field(30, validation_alias="PRINTIFY_TIMEOUT_SECONDS", gt=0)
    printify_upload_timeout_seconds: float = Field(
        120, validation_alias="PRINTIFY_UPLOAD_TIMEOUT_SECONDS", gt=0
    )
    printify_rate_global: str = Field("570/minute", validation_alias="PRINTIFY_RATE_GLOBAL")
    printify_rate_catalog: str = Field("95/minute", validation_alias="PRINTIFY_RATE_CATALOG")
    printify_rate_publish: str = Field("190/30 minutes", validation_alias="PRINTIFY_RATE_PUBLISH")
    printify_upload_mode: Literal["auto", "url", "base64"] = Field(
        "auto", validation_alias="PRINTIFY_UPLOAD_MODE"
    )
    catalog_cache_seconds: float = Field(86400, validation_alias="CATALOG_CACHE_SECONDS", ge=0)
    pricing_country: str = Field(
        "US", validation_alias="PRICING_COUNTRY", pattern=r"^[A-Z]{2}$|^REST_OF_THE_WORLD$"
    )
    publish_max_attempts: int = Field(8, validation_alias="PUBLISH_MAX_ATTEMPTS", ge=1)
    publish_retry_base_seconds: float = Field(
        2, validation_alias="PUBLISH_RETRY_BASE_SECONDS", gt=0
    )
    publish_retry_max_seconds: float = Field(
        300, validation_alias="PUBLISH_RETRY_MAX_SECONDS", gt=0
    )
    publish_lease_seconds: float = Field(30, validation_alias="PUBLISH_LEASE_SECONDS", gt=0)

    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="WEBHOOK_ALLOWED_NETWORKS"
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5, 300, 1800, 7200, 18000, 36000, 36000],
        validation_alias="WEBHOOK_RETRY_SCHEDULE",
    )
    webhook_disable_after_hours: float = Field(
        120, validation_alias="WEBHOOK_DISABLE_AFTER_HOURS", gt=0
    )
    # A claimed delivery's lease must outlast two 15-second answer timeouts (a send and its
    # bookkeeping); a dead worker's deliveries go back in line once it runs out.
    webhook_lease_seconds: float = Field(60, validation_alias="WEBHOOK_LEASE_SECONDS", gt=30)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CORS_ORIGINS"
    )

    max_upload_mb: float = Field(10, validation_alias="MAX_UPLOAD_MB", gt=0)
    max_image_dimension: int = Field(8192, validation_alias="MAX_IMAGE_DIMENSION", ge=64)
    max_prompt_length: int = Field(500, validation_alias="MAX_PROMPT_LENGTH", ge=1)
    generation_timeout_seconds: float = Field(
        300, validation_alias="GENERATION_TIMEOUT_SECONDS", gt=0
    )
    job_lease_seconds: float = Field(30, validation_alias="JOB_LEASE_SECONDS", gt=0)
    reaper_interval_seconds: int = Field(15, validation_alias="REAPER_INTERVAL_SECONDS", ge=1)
    worker_concurrency: int = Field(2, validation_alias="WORKER_CONCURRENCY", ge=1, le=64)
    embedded_worker: bool = Field(True, validation_alias="EMBEDDED_WORKER")
    circuit_fail_max: int = Field(5, validation_alias="CIRCUIT_FAIL_MAX", ge=1)
    circuit_reset_seconds: float = Field(30, validation_alias="CIRCUIT_RESET_SECONDS", gt=0)
    backend_max_attempts: int = Field(4, validation_alias="BACKEND_MAX_ATTEMPTS", ge=1)
    duplicate_max_distance: int = Field(6, validation_alias="DUPLICATE_MAX_DISTANCE", ge=0, le=7)
    print_dpi: int = Field(300, validation_alias="PRINT_DPI", ge=72)
    print_width_inches: float = Field(12, validation_alias="PRINT_WIDTH_INCHES", gt=0)
    default_print_width_inches: float | None = Field(
        None, validation_alias="DEFAULT_PRINT_WIDTH_INCHES", gt=0
    )
    print_dpi_floor: int = Field(150, validation_alias="PRINT_DPI_FLOOR", ge=1)
    print_targets_cache_seconds: float = Field(
        5, validation_alias="PRINT_TARGETS_CACHE_SECONDS", ge=0
    )
    retention_rejected_days: float = Field(30, validation_alias="RETENTION_REJECTED_DAYS", gt=0)
    retention_jobs_days: float = Field(90, validation_alias="RETENTION_JOBS_DAYS", gt=0)
    retention_webhook_days: float = Field(30, validation_alias="RETENTION_WEBHOOK_DAYS", gt=0)
    reject_reasons: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_REJECT_REASONS), validation_alias="REJECT_REASONS"
    )
    ip_risk_policy: Literal["flag", "refuse"] = Field("flag", validation_alias="IP_RISK_POLICY")
    ip_risk_terms_file: Path | None = Field(None, validation_alias="IP_RISK_TERMS_FILE")

    rate_limit_generation: int = Field(10, validation_alias="RATE_LIMIT_GENERATION", ge=1)
    rate_limit_publishing: int = Field(50, validation_alias="RATE_LIMIT_PUBLISHING", ge=1)
    rate_limit_approval: int = Field(100, validation_alias="RATE_LIMIT_APPROVAL", ge=1)
    rate_limit_read: int = Field(1000, validation_alias="RATE_LIMIT_READ", ge=1)
    rate_limit_pro_multiplier: int = Field(10, validation_alias="RATE_LIMIT_PRO_MULTIPLIER", ge=1)
    rate_limit_enterprise_multiplier: int = Field(
        100, validation_alias="RATE_LIMIT_ENTERPRISE_MULTIPLIER", ge=1
    )
    rate_limit_enabled: bool = Field(True, validation_alias="RATE_LIMIT_ENABLED")
    worker_heartbeat_seconds: float = Field(5, validation_alias="WORKER_HEARTBEAT_SECONDS", gt=0)
    worker_stale_seconds: float = Field(30, validation_alias="WORKER_STALE_SECONDS", gt=0)
    idempotency_abandoned_seconds: float = Field(
        150, validation_alias="IDEMPOTENCY_ABANDONED_SECONDS", gt=0
    )
    api_key_cache_seconds: float = Field(5, validation_alias="API_KEY_CACHE_SECONDS", ge=0)
    api_key_usage_flush_seconds: float = Field(
        5, validation_alias="API_KEY_USAGE_FLUSH_SECONDS", gt=0
    )
    quota_free_images: int = Field(300, validation_alias="QUOTA_FREE_IMAGES", ge=0)
    quota_free_products: int = Field(50, validation_alias="QUOTA_FREE_PRODUCTS", ge=0)
    quota_pro_images: int = Field(5000, validation_alias="QUOTA_PRO_IMAGES", ge=0)
    quota_pro_products: int = Field(1000, validation_alias="QUOTA_PRO_PRODUCTS", ge=0)
    quota_enterprise_images: int = Field(0, validation_alias="QUOTA_ENTERPRISE_IMAGES", ge=0)
    quota_enterprise_products: int = Field(0, validation_alias="QUOTA_ENTERPRISE_PRODUCTS", ge=0)

    api_v1_deprecated_on: date = Field(date(2026, 12, 1), validation_alias="API_V1_DEPRECATED_ON")
    api_v1_sunset_on: date = Field(date(2027, 12, 1), validation_alias="API_V1_SUNSET_ON")

    log_format: Literal["text", "json"] = Field("text", validation_alias="LOG_FORMAT")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    testing: bool = Field(False, validation_alias="GATEWAY_TESTING")
    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    sentry_dsn: str | None = Field(None, validation_alias="SENTRY_DSN")

    @field_validator(
        "webhook_allowed_networks",
        "webhook_retry_schedule",
        "cors_origins",
        "reject_reasons",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("printify_rate_global", "printify_rate_catalog", "printify_rate_publish")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a rate like '570/minute': {error}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("storage_url")
    @classmethod
    def _storage_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("file://", "s3://")):
            raise ValueError("STORAGE_URL must start with file:// or s3://")
        return value

    @field_validator("ip_risk_terms_file", mode="before")
    @classmethod
    def _terms_file(cls, value: object) -> object:
        """Read (and cache) the extra protected terms now: a bad file stops the start-up, naming
        the file and line, rather than failing the first screen."""
        if value is None or value == "":
            return None
        path = Path(str(value)).expanduser().resolve()
        screen_for(path)
        return path

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _otlp_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL")
        return value or None

    @model_validator(mode="after")
    def _absolute_state_dir(self) -> Settings:
        object.__setattr__(self, "state_dir", self.state_dir.expanduser().resolve())
        return self

    @cached_property
    def ip_screen(self) -> Screen:
        """The IP-risk screen: the shipped protected terms plus IP_RISK_TERMS_FILE's."""
        return screen_for(self.ip_risk_terms_file)

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'gateway.db'}"

    @cached_property
    def resolved_storage_url(self) -> str:
        return self.storage_url or f"file://{self.state_dir / 'images'}"

    @cached_property
    def resolved_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def runpod_enabled(self) -> bool:
        return bool(self.runpod_api_key and self.runpod_endpoint_id)

    @property
    def comfyui_enabled(self) -> bool:
        return bool(self.comfyui_url)

    @property
    def configured_backends(self) -> list[str]:
        """The generation backends this deployment can run: `local`, and the others once set up."""
        enabled = {"local": True, "runpod": self.runpod_enabled, "comfyui": self.comfyui_enabled}
        return [name for name, on in enabled.items() if on]

    @property
    def printify_enabled(self) -> bool:
        return bool(self.printify_api_token and self.printify_shop_id)

    def quota(self, plan: str, metric: str) -> int:
        """A plan's monthly quota of `metric` (`images`, `products`); 0 is unlimited."""
        return int(getattr(self, f"quota_{plan}_{metric}"))

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept in the state dir."""
        if self.secret_key:
            return self.secret_key
        path = self.state_dir / "secret_key"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()

    def configuration_report(self) -> tuple[list[str], list[str]]:
        """Errors and warnings about this configuration, for `config check` and start-up."""
        errors: list[str] = []
        warnings: list[str] = []
        if not self.runpod_api_key:
            warnings.append("RunPod: no RUNPOD_API_KEY; the runpod backend is disabled")
        elif not self.runpod_endpoint_id:
            errors.append("RunPod: RUNPOD_API_KEY is set but RUNPOD_ENDPOINT_ID is not")
        if not self.comfyui_url:
            warnings.append("ComfyUI: no COMFYUI_URL; the comfyui backend is disabled")
        if not self.printify_api_token:
            warnings.append("Printify: no PRINTIFY_API_TOKEN; publishing runs in dry-run mode")
        elif not self.printify_shop_id:
            errors.append("Printify: PRINTIFY_API_TOKEN is set but PRINTIFY_SHOP_ID is not")
        elif not self.printify_webhook_secret:
            warnings.append(
                "Printify: no PRINTIFY_WEBHOOK_SECRET; products deleted in Printify are not noticed"
            )
        if self.api_v1_sunset_on <= self.api_v1_deprecated_on:
            errors.append("API_V1_SUNSET_ON must come after API_V1_DEPRECATED_ON")
        if self.generation_backend not in self.configured_backends:
            errors.append(
                f"GENERATION_BACKEND={self.generation_backend} but that backend is not configured"
            )
        for reason in self.reject_reasons:
            if not reason.replace("_", "").isalnum():
                errors.append(f"REJECT_REASONS: {reason!r} is not a plain code")
        if not self.secret_key:
            warnings.append("GATEWAY_SECRET_KEY unset; using the key generated in the state dir")
        return errors, warnings

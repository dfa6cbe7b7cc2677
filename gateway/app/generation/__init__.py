"""Generation: jobs, backends, the worker side and the job WebSocket."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import create_engine

from gateway.app.database import sqlite_transactions
from gateway.app.extensions import db
from gateway.app.generation import tasks, websocket
from gateway.app.generation.backends.registry import build_registry
from gateway.app.generation.context import GenerationContext
from gateway.app.imaging.storage import storage_from_settings
from gateway.app.imaging.validation import generated_image_limits
from gateway.app.queue import JobQueue
from gateway.app.settings import Settings


def init_app(app: Flask, settings: Settings, queue: JobQueue) -> None:
    with app.app_context():
        sqlite_transactions(db.engine, immediate=True)
    engine = sqlite_transactions(
        create_engine(settings.resolved_database_url, pool_pre_ping=True), immediate=False
    )
    app.extensions["generation"] = GenerationContext(
        settings=settings,
        engine=engine,
        registry=build_registry(settings, engine),
        storage=storage_from_settings(settings),
        limits=generated_image_limits(settings.max_upload_bytes, settings.max_image_dimension),
    )
    tasks.register(app, queue)
    websocket.init_app(app)

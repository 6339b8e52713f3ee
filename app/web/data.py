"""What the pages read: the current snapshot of the store for this app's settings.

Callbacks call these instead of touching the store, so that every page sees
one consistent, cached version of the data (see :mod:`app.monitoring`).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine

from app import monitoring
from app.config import Settings
from app.store import db


def settings() -> Settings:
    return current_app.config["DISPERSAL_SETTINGS"]


def engine() -> Engine:
    return db.connect(settings().db_url)


def snapshot() -> monitoring.Snapshot:
    return monitoring.snapshot(engine(), settings())

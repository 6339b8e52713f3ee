"""The audit log: who did what, when. Append-only, in the store.

:func:`record` is the only writer; the app offers no way to edit or delete an
entry, and the database refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL)
on the table through triggers made by the migration. ``details`` is a small
JSON object: identifiers (LA, ward and load ids, file names, row counts),
never addresses, names of people or counts below LA level.

Actions (:data:`ACTIONS`) name what happened; ``what`` names the object (a
user name for log-ins, an LA or ward code for views, a file name for uploads).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from app.security import exports
from app.store import db, schema

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_REFUSED = "login_refused"  # locked out or rate limited: the password was not even checked
LOGOUT = "logout"
SESSION_EXPIRED = "session_expired"
ACCESS_DENIED = "access_denied"
UPLOAD = "upload"
UPLOAD_REFUSED = "upload_refused"
LOAD = "load"
UNDO = "undo"
EXPORT = "export"
VIEW_PROPERTIES = "view_properties"
VIEW_RESTRICTED = "view_restricted"  # sector-level or breakdown views of the monthly extract
USER_ADDED = "user_added"
USER_REMOVED = "user_removed"
PASSWORD_SET = "password_set"
ACCOUNT_UNLOCKED = "account_unlocked"
AUDIT_EXPORTED = "audit_exported"
AREA_SETTING_SET = "area_setting_set"  # an LA's agreed limit variation or plan allocation entered
ALERT_RECIPIENT_ADDED = "alert_recipient_added"
ALERT_RECIPIENT_REMOVED = "alert_recipient_removed"
ALERT_SENT = "alert_sent"  # the "what changed" e-mail after a load: LA, month, how many recipients
ALERT_FAILED = "alert_failed"  # the e-mail could not be sent (the load stands); the reason, never figures

ACTIONS = (
    LOGIN,
    LOGIN_FAILED,
    LOGIN_REFUSED,
    LOGOUT,
    SESSION_EXPIRED,
    ACCESS_DENIED,
    UPLOAD,
    UPLOAD_REFUSED,
    LOAD,
    UNDO,
    EXPORT,
    VIEW_PROPERTIES,
    VIEW_RESTRICTED,
    USER_ADDED,
    USER_REMOVED,
    PASSWORD_SET,
    ACCOUNT_UNLOCKED,
    AUDIT_EXPORTED,
    AREA_SETTING_SET,
    ALERT_RECIPIENT_ADDED,
    ALERT_RECIPIENT_REMOVED,
    ALERT_SENT,
    ALERT_FAILED,
)
COLUMNS = ["id", "at", "who", "action", "what", "details", "remote_addr"]
_table = schema.audit_log


def now() -> datetime:
    return datetime.now(UTC)


def record(
    engine: Engine,
    who: str,
    action: str,
    what: str | None = None,
    details: dict | None = None,
    remote_addr: str | None = None,
    conn: sa.Connection | None = None,
) -> None:
    """Append one entry (in ``conn``'s transaction when given, so that it commits with the change it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = {
        "at": now(),
        "who": (who or "anonymous")[:100],
        "action": action,
        "what": None if what is None else str(what)[:400],
        "details": json.dumps(details, sort_keys=True, default=str) if details else None,
        "remote_addr": None if remote_addr is None else str(remote_addr)[:64],
    }
    if conn is not None:
        conn.execute(_table.insert().values(**row))
        return
    with db.writing(engine) as own:
        own.execute(_table.insert().values(**row))


def query(
    engine: Engine,
    *,
    who: str | None = None,
    action: str | Sequence[str] | None = None,
    what: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 1000,
) -> pd.DataFrame:
    """Entries, newest first, filtered by any of the arguments."""
    stmt = sa.select(*[_table.c[name] for name in COLUMNS]).order_by(_table.c.at.desc(), _table.c.id.desc())
    if who is not None:
        stmt = stmt.where(_table.c.who == who)
    if action is not None:
        actions = [action] if isinstance(action, str) else list(action)
        stmt = stmt.where(_table.c.action.in_(actions))
    if what is not None:
        stmt = stmt.where(_table.c.what == what)
    if since is not None:
        stmt = stmt.where(_table.c.at >= since)
    if until is not None:
        stmt = stmt.where(_table.c.at < until)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def count(
    engine: Engine, action: str, *, what: str | None = None, remote_addr: str | None = None, since: datetime
) -> int:
    """How many ``action`` entries since ``since`` (for one object or one address)."""
    stmt = sa.select(sa.func.count()).select_from(_table).where(_table.c.action == action, _table.c.at >= since)
    if what is not None:
        stmt = stmt.where(_table.c.what == what)
    if remote_addr is not None:
        stmt = stmt.where(_table.c.remote_addr == remote_addr)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def latest(engine: Engine, actions: Sequence[str], what: str, remote_addr: str | None = None) -> datetime | None:
    """When the newest of ``actions`` about ``what`` (from ``remote_addr`` when given) happened, or None."""
    stmt = sa.select(sa.func.max(_table.c.at)).where(_table.c.what == what, _table.c.action.in_(list(actions)))
    if remote_addr is not None:
        stmt = stmt.where(_table.c.remote_addr == remote_addr)
    with engine.connect() as conn:
        value = conn.execute(stmt).scalar_one_or_none()
    return _utc(value)


def latest_address(engine: Engine, action: str, what: str, since: datetime) -> str | None:
    """The address of the newest ``action`` about ``what`` since ``since``."""
    stmt = (
        sa.select(_table.c.remote_addr)
        .where(_table.c.what == what, _table.c.action == action, _table.c.at >= since)
        .order_by(_table.c.at.desc(), _table.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one_or_none()


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite keeps no zone: everything written here is UTC
        value = value.replace(tzinfo=UTC)
    return value


def to_csv(frame: pd.DataFrame) -> str:
    """The entries as CSV text, every cell defused against spreadsheet formula injection."""
    out = io.StringIO()
    safe = exports.defuse(frame.assign(at=frame["at"].map(lambda t: t.isoformat() if pd.notna(t) else "")))
    safe.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return out.getvalue()


def window(minutes: float) -> datetime:
    return now() - timedelta(minutes=minutes)

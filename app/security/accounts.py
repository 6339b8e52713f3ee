"""Accounts in the store: add, list, remove, set a password, authenticate.

Only an argon2id hash is kept. Every change that should end existing
sessions (a new password, removal, log-out) bumps ``auth_version``; the web
session holds ``"<id>.<auth_version>"`` and nothing else about the user, so the
role and LA are read from the store on every request and a revoked account is
refused at once. ``sso_subject`` leaves room for single sign-on (OIDC): an
account can be found by its issuer/subject instead of a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from app.security import audit, limits, passwords
from app.security.roles import ROLES, Role
from app.store import db, schema

_users = schema.users
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
_LAD = re.compile(r"^[EWSN]\d{8}$")


class AccountError(ValueError):
    """An account cannot be added or changed; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    lad_code: str | None
    region_code: str | None
    auth_version: int
    #: signs in through single sign-on (``sso_subject`` set)
    sso: bool = False

    @property
    def session_id(self) -> str:
        return f"{self.id}.{self.auth_version}"


def _user(row) -> User:
    return User(
        int(row.id),
        row.username,
        row.role,
        row.lad_code,
        row.region_code,
        int(row.auth_version),
        row.sso_subject is not None,
    )


def _check_area(role: str, lad_code: str | None, region_code: str | None) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role '{role}' (one of {', '.join(ROLES)})")
    for code in (lad_code, region_code):
        if code is not None and not _LAD.match(code):
            raise AccountError(f"'{code}' is not a GSS area code (e.g. E06000002)")
    if role in ("officer", "member") and not (lad_code or region_code):
        raise AccountError(f"{'an' if role == 'officer' else 'a'} {role} account needs an LA (--la CODE)")
    if role == "officer" and not lad_code:
        raise AccountError("an officer account needs an LA, not a region")


def resolve_area(engine: Engine, role: str, code: str | None) -> tuple[str | None, str | None]:
    """An account's ``--la`` as ``(lad_code, region_code)``: an LA for officers and members (a region for a
    member of the whole region), for a regional account an LA (taken as its region) or a region code.

    The one home of this rule (the CLI and the admin page both call it); refuses ward codes and codes that
    are not areas of the store (once a geography is loaded).
    """
    if not code:
        return None, None
    code = code.strip().upper()
    from app.store import queries

    with engine.connect() as conn:
        areas = queries.areas(conn)
    found = areas[areas["area_code"] == code]
    regions = set(areas["region_code"].dropna().astype(str)) if "region_code" in areas else set()
    if found.empty and code in regions:
        found = pd.DataFrame({"area_code": [code], "level": ["region"], "region_code": [code]})
    if found.empty:
        if not areas.empty:
            raise AccountError(f"{code} is not an area in the store")
        return (None, code) if code.startswith("E12") or role == "regional" else (code, None)
    level = found["level"].iloc[0]
    if level == "region":
        if role not in ("regional", "member"):
            raise AccountError(f"{code} is a region: a {role} account needs an LA")
        return None, code
    if level != "lad":
        raise AccountError(f"{code} is a ward: give the LA's code")
    if role == "regional":
        region = found["region_code"].iloc[0]
        return None, None if region is None or region != region else str(region)
    return code, None


def _check_in_store(conn, lad_code: str | None, region_code: str | None) -> None:
    """An account's LA must be an LA of the store and its region a region of it (a ward code would give an
    officer no LA of their own; once a geography is loaded, an unknown code is a mistake)."""
    areas = schema.areas
    known = conn.execute(sa.select(sa.func.count()).select_from(areas)).scalar_one()
    if not known:
        return
    if lad_code is not None:
        level = conn.execute(sa.select(areas.c.level).where(areas.c.area_code == lad_code)).scalar()
        if level is None:
            raise AccountError(f"{lad_code} is not an area in the store")
        if level != "lad":
            raise AccountError(f"{lad_code} is a {level}, not a local authority: give the LA's code")
    if region_code is not None:
        found = conn.execute(
            sa.select(areas.c.area_code)
            .where((areas.c.region_code == region_code) | (areas.c.area_code == region_code))
            .limit(1)
        ).first()
        if found is None:
            raise AccountError(f"{region_code} is not a region in the store")


def add(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    *,
    lad_code: str | None = None,
    region_code: str | None = None,
    created_by: str = "cli",
) -> User:
    name = limits.normalise_username(username)
    if not _NAME.match(name):
        raise AccountError(f"'{username}' is not a usable user name (2-100 of a-z, 0-9, . _ @ -)")
    _check_area(role, lad_code, region_code)
    try:
        passwords.check_strength(password, name)
    except passwords.WeakPassword as weak:
        raise AccountError(str(weak)) from None
    row = {
        "username": name,
        "password_hash": passwords.hash_password(password),
        "role": role,
        "lad_code": lad_code,
        "region_code": region_code,
        "auth_version": 1,
        "created_at": audit.now(),
        "created_by": created_by,
        "password_changed_at": audit.now(),
    }
    with db.writing(engine) as conn:
        if conn.execute(sa.select(_users.c.id).where(_users.c.username == name)).first():
            raise AccountError(f"there is already an account called '{name}'")
        _check_in_store(conn, lad_code, region_code)
        conn.execute(_users.insert().values(**row))
        audit.record(
            engine,
            created_by,
            audit.USER_ADDED,
            name,
            {"role": role, "lad_code": lad_code, "region_code": region_code},
            conn=conn,
        )
    return get(engine, name)


def get(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(_users).where(_users.c.username == limits.normalise_username(username))).first()
    return _user(row) if row else None


def by_session_id(engine: Engine, session_id: str) -> User | None:
    """The user a session belongs to, or None when the account is gone or the session was revoked."""
    try:
        user_id, version = (int(part) for part in str(session_id).split("."))
    except ValueError:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(_users).where(_users.c.id == user_id)).first()
    if row is None or int(row.auth_version) != version:
        return None
    return _user(row)


def listing(engine: Engine) -> pd.DataFrame:
    """Every account (never the hash), with whether log-ins are locked now."""
    columns = [
        "username",
        "role",
        "lad_code",
        "region_code",
        "created_at",
        "created_by",
        "password_changed_at",
        "last_login_at",
    ]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*[_users.c[c] for c in columns]).order_by(_users.c.username)).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["locked"] = [limits.lock_state(engine, name).locked for name in frame["username"]]
    return frame


def remove(engine: Engine, username: str, removed_by: str = "cli") -> None:
    name = limits.normalise_username(username)
    with db.writing(engine) as conn:
        target = conn.execute(sa.select(_users.c.role).where(_users.c.username == name)).first()
        if target is None:
            raise AccountError(f"there is no account called '{name}'")
        if target.role == "admin" and name == limits.normalise_username(removed_by):
            raise AccountError("you cannot remove your own administrator account: ask another administrator")
        if target.role == "admin":
            admins = conn.execute(sa.select(sa.func.count()).where(_users.c.role == "admin")).scalar_one()
            if admins <= 1:
                raise AccountError("this is the last admin account: add another admin first")
        conn.execute(_users.delete().where(_users.c.username == name))
        audit.record(engine, removed_by, audit.USER_REMOVED, name, conn=conn)


def set_password(engine: Engine, username: str, password: str, changed_by: str = "cli") -> None:
    """A new password; every session of the account ends."""
    name = limits.normalise_username(username)
    try:
        passwords.check_strength(password, name)
    except passwords.WeakPassword as weak:
        raise AccountError(str(weak)) from None
    digest = passwords.hash_password(password)
    with db.writing(engine) as conn:
        done = conn.execute(
            _users.update()
            .where(_users.c.username == name)
            .values(password_hash=digest, password_changed_at=audit.now(), auth_version=_users.c.auth_version + 1)
        ).rowcount
        if not done:
            raise AccountError(f"there is no account called '{name}'")
        audit.record(engine, changed_by, audit.PASSWORD_SET, name, conn=conn)


def end_sessions(engine: Engine, user_id: int) -> None:
    """Revoke every session of the account (log-out ends them all: a copied cookie dies with it)."""
    with db.writing(engine) as conn:
        conn.execute(_users.update().where(_users.c.id == user_id).values(auth_version=_users.c.auth_version + 1))


def unlock(engine: Engine, username: str, unlocked_by: str) -> None:
    audit.record(engine, unlocked_by, audit.ACCOUNT_UNLOCKED, limits.normalise_username(username))


@dataclass(frozen=True)
class Outcome:
    user: User | None
    #: "ok", "bad" (unknown name or wrong password: one answer for both) or "locked" (wait until ``until``)
    result: str
    until: datetime | None = None


def authenticate(engine: Engine, username: str, password: str, remote_addr: str | None = None) -> Outcome:
    """Check a log-in and audit it. Unknown names and wrong passwords take the same path and time."""
    name = limits.normalise_username(username)
    remote_addr = remote_addr or "unknown"  # failures without an address still count, as one address
    state = limits.lock_state(engine, name, remote_addr)
    if state.locked:
        audit.record(
            engine,
            name or "anonymous",
            audit.LOGIN_REFUSED,
            name,
            {"reason": "throttled", "failures": state.failures, "wait_s": state.wait_seconds},
            remote_addr,
        )
        return Outcome(None, "locked", state.until)
    with engine.connect() as conn:
        row = conn.execute(sa.select(_users).where(_users.c.username == name)).first() if name else None
    good = passwords.verify(row.password_hash if row is not None else None, password or "")
    if not good or row is None:
        audit.record(engine, name or "anonymous", audit.LOGIN_FAILED, name, None, remote_addr)
        return Outcome(None, "bad")
    updates = {"last_login_at": audit.now()}
    if passwords.needs_rehash(row.password_hash):
        updates["password_hash"] = passwords.hash_password(password)
    with db.writing(engine) as conn:
        conn.execute(_users.update().where(_users.c.id == row.id).values(**updates))
        audit.record(engine, name, audit.LOGIN, name, None, remote_addr, conn=conn)
    return Outcome(_user(row), "ok")

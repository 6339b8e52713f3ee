"""Who receives an LA's "what changed" e-mail after each load, and as which role.

The role decides what the e-mail may say (:mod:`app.views.alerts`): an ``officer`` reads the LA's and its
wards' figures, a ``member`` aggregates only, as members' pages. Writes check the address and the LA, and
are recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address

import pandas as pd
import sqlalchemy as sa

from app.security import audit
from app.store import db, queries, schema

#: The roles of :mod:`app.security.roles` an alert can be read as (admins and regional leads see every LA on
#: the dashboard; an alert is about one LA, so it is read either with the officer's figures or the member's).
ALERT_ROLES = ("officer", "member")
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


class RecipientRefused(ValueError):
    """The recipient cannot be saved or removed; the message says why, in the user's words."""


def check_address(text: str) -> str:
    """The address trimmed, its domain in lower case; :class:`RecipientRefused` unless it is one plain address."""
    address = str(text or "").strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise RecipientRefused(f"'{address[:80]}' is not an e-mail address (name@example.org)")
    try:
        Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        raise RecipientRefused(f"'{address[:80]}' is not an e-mail address (name@example.org)") from None
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_role(role: str) -> str:
    role = str(role or "").strip().lower()
    if role not in ALERT_ROLES:
        raise RecipientRefused(f"an alert is read as {' or '.join(ALERT_ROLES)}, not '{role}'")
    return role


def _check_lad(conn: sa.Connection, lad_code: str) -> str:
    code = str(lad_code or "").strip().upper()
    if not queries.is_local_authority(conn, code):
        raise RecipientRefused(f"{code or 'no code'} is not a local authority in the store")
    return code


def add(engine, lad_code: str, email: str, role: str = "officer", *, who: str) -> dict:
    """Add (or change the role of) a recipient of the LA's alerts; returns the row as saved."""
    email, role = check_address(email), check_role(role)
    table = schema.alert_recipients
    with db.writing(engine) as conn:
        code = _check_lad(conn, lad_code)
        same = (table.c.lad_code == code) & (sa.func.lower(table.c.email) == email.lower())
        before = conn.execute(sa.select(table.c.id, table.c.role).where(same)).first()
        if before is not None:
            conn.execute(table.update().where(table.c.id == before.id).values(role=role))
        else:
            conn.execute(
                table.insert().values(lad_code=code, email=email, role=role, added_at=audit.now(), added_by=who)
            )
        details = {"email": email, "role": role}
        if before is not None:
            details["role_before"] = before.role
        audit.record(engine, who, audit.ALERT_RECIPIENT_ADDED, code, details, conn=conn)
    return {"lad_code": code, "email": email, "role": role}


def remove(engine, lad_code: str, email: str, *, who: str) -> None:
    email = check_address(email)
    table = schema.alert_recipients
    with db.writing(engine) as conn:
        code = _check_lad(conn, lad_code)
        same = (table.c.lad_code == code) & (sa.func.lower(table.c.email) == email.lower())
        if conn.execute(table.delete().where(same)).rowcount == 0:
            raise RecipientRefused(f"{email} does not receive the alerts of {code}")
        audit.record(engine, who, audit.ALERT_RECIPIENT_REMOVED, code, {"email": email}, conn=conn)


def listing(engine, lad_codes=None) -> pd.DataFrame:
    """Recipients (``lad_code``, ``email``, ``role``, ``added_at``, ``added_by``), of ``lad_codes`` when given."""
    with engine.connect() as conn:
        frame = queries.alert_recipients(conn)
    if lad_codes is not None:
        frame = frame[frame["lad_code"].isin(set(lad_codes))]
    return frame.drop(columns=["id"]).reset_index(drop=True)

"""Per-LA agreed settings: the limit variation (residents per supported person) and the dispersal-plan allocation,
standing (``area_settings.allocation``) or per quarter (:func:`set_allocation`, ``plan_allocations``).

Writes go through :func:`set_values`, which checks the LA is in the store, keeps the other setting as it was,
records the change in the audit log in the same transaction and bumps the store version (so every page and
command recomputes the limit column and plan against actual).
"""

from __future__ import annotations

import math

import sqlalchemy as sa

from app.periods import parse_quarter
from app.store import db, loads, queries, schema

#: Bounds an agreed variation must lie in (residents per supported person; the national rule is 200).
MIN_RATIO, MAX_RATIO = 20.0, 5000.0
MAX_BEDSPACES = 100_000


class SettingRefused(ValueError):
    """The value cannot be saved; the message says why, in the user's words."""


def check_ratio(value: float) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not MIN_RATIO <= value <= MAX_RATIO:
        raise SettingRefused(
            f"the limit ratio must be a number of residents per person between {MIN_RATIO:,.0f} "
            f"and {MAX_RATIO:,.0f} (the national limit is 200); got {value}"
        )
    return float(value)


def check_bedspaces(value: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= MAX_BEDSPACES:
        raise SettingRefused(
            f"the allocation must be a whole number of bedspaces from 0 to {MAX_BEDSPACES:,}; got {value}"
        )
    return value


def set_values(
    engine,
    lad_code: str,
    *,
    who: str,
    limit_ratio: float | None = None,
    allocation: int | None = None,
    note: str | None = None,
) -> dict:
    """Save an LA's agreed limit ratio and/or allocation; returns the row as saved."""
    from app.security import audit

    if limit_ratio is not None:
        limit_ratio = check_ratio(limit_ratio)
    if allocation is not None:
        allocation = check_bedspaces(allocation)
    table = schema.area_settings
    with db.writing(engine) as conn:
        if not queries.is_local_authority(conn, lad_code):
            raise SettingRefused(f"{lad_code} is not a local authority in the store")
        before = conn.execute(sa.select(table).where(table.c.area_code == lad_code)).mappings().first()
        row = dict(before) if before else {"area_code": lad_code, "limit_ratio": None, "allocation": None, "note": None}
        if limit_ratio is not None:
            row["limit_ratio"] = limit_ratio
        if allocation is not None:
            row["allocation"] = allocation
        if note is not None:
            row["note"] = note[:500]
        if before:
            conn.execute(table.update().where(table.c.area_code == lad_code).values(**row))
        else:
            conn.execute(table.insert().values(**row))
        loads.bump_version(conn)
        changed = {
            k: {"from": (before or {}).get(k), "to": row[k]}
            for k in ("limit_ratio", "allocation")
            if (before or {}).get(k) != row[k]
        }
        audit.record(engine, who, audit.AREA_SETTING_SET, lad_code, changed, conn=conn)
    return row


def check_quarter(text: str) -> str:
    try:
        return parse_quarter(text)
    except ValueError as wrong:
        raise SettingRefused(str(wrong)) from None


def set_allocation(engine, lad_code: str, quarter: str, bedspaces: int, *, who: str, note: str | None = None) -> dict:
    """Save an LA's allocation for one quarter (``2025-Q2`` or ``2025Q2``); returns the row as saved.

    The quarter's allocation wins over the LA's standing one in plan against actual for that quarter only.
    """
    from app.security import audit

    quarter = check_quarter(quarter)
    bedspaces = check_bedspaces(bedspaces)
    table = schema.plan_allocations
    with db.writing(engine) as conn:
        if not queries.is_local_authority(conn, lad_code):
            raise SettingRefused(f"{lad_code} is not a local authority in the store")
        same = (table.c.lad_code == lad_code) & (table.c.quarter == quarter)
        found = conn.execute(sa.select(table.c.bedspaces, table.c.note).where(same)).first()
        before = None if found is None else found.bedspaces
        kept = None if found is None else found.note
        row = {"lad_code": lad_code, "quarter": quarter, "bedspaces": bedspaces, "note": note[:500] if note else kept}
        if found is None:
            conn.execute(table.insert().values(**row))
        else:
            conn.execute(table.update().where(same).values(bedspaces=bedspaces, note=row["note"]))
        loads.bump_version(conn)
        details = {"quarter": quarter, "allocation": {"from": before, "to": bedspaces}}
        audit.record(engine, who, audit.AREA_SETTING_SET, lad_code, details, conn=conn)
    return row

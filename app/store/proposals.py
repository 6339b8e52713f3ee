"""The property consultation log: proposals a provider sends the LA, and the LA's answer.

Kept beside the property lists (domain.md, "Property consultation"). Each
function takes a connection; writers expect to run inside ``engine.begin()``
and never commit. A proposal is not an input load, so it does not bump the
store version (no cached figure depends on it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from app.geography.postcodes import PostcodeError, normalise_postcode
from app.store import schema
from app.store.queries import _frame

PENDING = "pending"
SUPPORTED = "supported"
OBJECTED = "objected"
NO_RESPONSE = "no response"
WITHDRAWN = "withdrawn"
RESPONSES = (PENDING, SUPPORTED, OBJECTED, NO_RESPONSE, WITHDRAWN)


class ProposalError(ValueError):
    """A proposal that cannot be recorded; the message says which field and why."""


def _date(value: date | str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ProposalError(f"{field}: '{value}' is not a date (use YYYY-MM-DD)") from None


def _response(value: str | None) -> str:
    text = (value or PENDING).strip().lower()
    if text not in RESPONSES:
        raise ProposalError(f"response: '{value}' is not one of {', '.join(RESPONSES)}")
    return text


def add_proposal(
    conn: sa.Connection,
    *,
    postcode: str,
    bedspaces: int,
    is_hmo: bool,
    created_by: str,
    ward_code: str | None = None,
    lad_code: str | None = None,
    provider: str | None = None,
    property_type: str | None = None,
    received_date: date | str | None = None,
    response: str | None = PENDING,
    response_date: date | str | None = None,
    notes: str | None = None,
) -> int:
    """Record one proposal and return its number."""
    try:
        unit = normalise_postcode(postcode)
    except PostcodeError as exc:
        raise ProposalError(f"postcode: {exc}") from None
    if isinstance(bedspaces, bool) or not isinstance(bedspaces, int) or bedspaces < 1:
        raise ProposalError(f"bedspaces: '{bedspaces}' is not a whole number of at least 1")
    values = dict(
        postcode=unit,
        ward_code=ward_code,
        lad_code=lad_code,
        bedspaces=int(bedspaces),
        provider=(provider or None),
        property_type=(property_type or None),
        is_hmo=bool(is_hmo),
        received_date=_date(received_date, "received date"),
        response=_response(response),
        response_date=_date(response_date, "response date"),
        notes=(notes or None),
        created_at=datetime.now(UTC),
        created_by=created_by,
    )
    table = schema.proposals
    return conn.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()


def update_response(
    conn: sa.Connection,
    proposal_id: int,
    response: str,
    response_date: date | str | None = None,
    notes: str | None = None,
) -> None:
    """Record the LA's answer to a proposal (and, when given, a note replacing the previous one)."""
    table = schema.proposals
    values: dict = {"response": _response(response), "response_date": _date(response_date, "response date")}
    if notes is not None:
        values["notes"] = notes or None
    done = conn.execute(sa.update(table).where(table.c.id == int(proposal_id)).values(**values)).rowcount
    if done == 0:
        raise ProposalError(f"there is no proposal number {proposal_id}")


def list_proposals(conn: sa.Connection | sa.Engine, lad_codes: list[str] | None = None) -> pd.DataFrame:
    """The log, newest first; only the given LAs' proposals when a list is passed."""
    table = schema.proposals
    query = sa.select(*table.c).order_by(table.c.id.desc())
    if lad_codes is not None:
        query = query.where(table.c.lad_code.in_(list(lad_codes)))
    frame = _frame(conn, query)
    for column in ("received_date", "response_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date.astype("object").where(frame[column].notna(), None)
    return frame

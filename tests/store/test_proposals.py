"""The property consultation log on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from app.store import db, proposals, queries


def _add(engine, **overrides):
    values = dict(
        postcode="ts1 3ab",
        bedspaces=4,
        is_hmo=True,
        created_by="officer",
        ward_code="E05000001",
        lad_code="E06000002",
        provider="Mears",
        property_type="HMO",
        received_date="2025-03-04",
        notes="near the school",
    )
    values.update(overrides)
    with engine.begin() as conn:
        return proposals.add_proposal(conn, **values)


def test_a_proposal_is_recorded_and_listed(engine):
    first = _add(engine)
    second = _add(
        engine,
        postcode="DL1 1AA",
        bedspaces=2,
        is_hmo=False,
        lad_code="E06000005",
        property_type=None,
        received_date=date(2025, 3, 10),
        notes=None,
    )
    log = proposals.list_proposals(engine)
    assert log["id"].tolist() == [second, first]
    row = log.set_index("id").loc[first]
    assert row["postcode"] == "TS1 3AB"
    assert row["bedspaces"] == 4 and bool(row["is_hmo"]) is True
    assert row["response"] == proposals.PENDING and row["response_date"] is None
    assert row["received_date"] == date(2025, 3, 4)
    assert row["created_by"] == "officer" and row["created_at"].tzinfo is not None
    other = log.set_index("id").loc[second]
    assert bool(other["is_hmo"]) is False and pd.isna(other["property_type"]) and pd.isna(other["notes"])
    assert proposals.list_proposals(engine, ["E06000005"])["id"].tolist() == [second]


def test_the_las_response_is_recorded(engine):
    pid = _add(engine)
    with engine.begin() as conn:
        proposals.update_response(conn, pid, "Objected", "2025-03-20", notes="ward over the limit")
    row = proposals.list_proposals(engine).set_index("id").loc[pid]
    assert row["response"] == proposals.OBJECTED
    assert row["response_date"] == date(2025, 3, 20)
    assert row["notes"] == "ward over the limit"
    with engine.begin() as conn:
        proposals.update_response(conn, pid, "supported", date(2025, 4, 1))
    row = proposals.list_proposals(engine).set_index("id").loc[pid]
    assert row["response"] == "supported" and row["notes"] == "ward over the limit"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"postcode": "TS1"}, "postcode"),
        ({"bedspaces": 0}, "bedspaces"),
        ({"bedspaces": 2.5}, "bedspaces"),
        ({"response": "maybe"}, "response"),
        ({"received_date": "March"}, "received date"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(engine, overrides, field):
    before = queries.snapshot(engine)
    with pytest.raises(proposals.ProposalError, match=field):
        _add(engine, **overrides)
    assert queries.snapshot(engine) == before


def test_updating_a_missing_proposal_says_so(engine):
    with engine.begin() as conn, pytest.raises(proposals.ProposalError, match="no proposal number 99"):
        proposals.update_response(conn, 99, "supported")


def test_the_log_does_not_change_the_store_version(engine):
    version = db.store_version(engine)
    _add(engine)
    assert db.store_version(engine) == version

"""Revision 0008 on a store at 0007: the quarter allocations and alert recipients tables appear, and an LA's
allocation entered before (``area_settings.allocation``) keeps standing for every quarter with none of its own."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from app.store import db, queries
from app.views.plan import allocations_in


def _at_0007_then_head(url: str) -> sa.Engine:
    engine = db.connect(url)
    config = db._alembic_config()
    with db.writing(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
    assert db.current_revision(engine) == "0007"
    tables = set(sa.inspect(engine).get_table_names())
    assert "plan_allocations" not in tables and "alert_recipients" not in tables
    with db.writing(engine) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO area_settings (area_code, limit_ratio, allocation, note) VALUES ('E06000001', 250, 400, 'v1')"
            )
        )
    db.upgrade(engine)
    return engine


def _check(engine: sa.Engine) -> None:
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        standing, per_quarter = queries.area_settings(conn), queries.plan_allocations(conn)
        assert queries.alert_recipients(conn).empty
    assert standing[["area_code", "allocation"]].values.tolist() == [["E06000001", 400]]
    assert per_quarter.empty
    for quarter in ("2024Q4", "2025Q2"):
        found = allocations_in(standing, per_quarter, quarter)
        assert found[["area_code", "allocation", "source"]].values.tolist() == [["E06000001", 400.0, "standing"]]
    entered = pd.DataFrame({"lad_code": ["E06000001"], "quarter": ["2025Q2"], "bedspaces": [420], "note": [None]})
    assert allocations_in(standing, entered, "2025Q2")["allocation"].tolist() == [420.0]
    assert allocations_in(standing, entered, "2025Q1")["allocation"].tolist() == [400.0]
    with db.writing(engine) as conn:
        conn.execute(sa.text("INSERT INTO plan_allocations VALUES ('E06000001', '2025Q2', 420, NULL)"))
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(sa.text("INSERT INTO plan_allocations VALUES ('E06000001', '2025Q2', 1, NULL)"))


def test_upgrade_from_0007_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    try:
        _check(_at_0007_then_head(url))
    finally:
        db.dispose(url)


def test_upgrade_from_0007_on_postgresql(postgres_server):
    postgres_server.admin("CREATE DATABASE from_0007 TEMPLATE template0")
    url = postgres_server.url("from_0007")
    try:
        _check(_at_0007_then_head(url))
    finally:
        db.dispose(url)
        postgres_server.drop_database("from_0007")

"""National scale: 75,000 Home Office records written and read back (times printed, not asserted)."""

from __future__ import annotations

import time

import sqlalchemy as sa

from app.store import loads, queries, schema

ROWS = 75_000


def test_insert_frame_at_national_scale(engine, ho_frame, capsys):
    frame = ho_frame(ROWS, seed=7)
    started = time.perf_counter()
    with engine.begin() as conn:
        load_id = loads.start_load(
            conn,
            kind="home_office",
            file_name="national.csv",
            checksum="n" * 64,
            period="2024-06",
            scope=None,
            provider=None,
            loaded_by="bench",
            rows=ROWS,
            details={},
        )
        loads.cover(conn, load_id=load_id, kind="home_office", period="2024-06", lad_codes=set(frame["lad_code"]))
        assert loads.insert_frame(conn, schema.ho_records, frame, load_id=load_id) == ROWS
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    back = queries.ho_records(engine)
    read_s = time.perf_counter() - started
    assert len(back) == ROWS
    assert back["people"].sum() == frame["people"].sum()
    assert back["suppressed"].sum() == frame["suppressed"].sum()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.ho_records)).scalar() == ROWS
    with capsys.disabled():
        print(
            f"\n[{engine.dialect.name}] insert_frame {ROWS:,} ho_records rows: {insert_s:.2f} s "
            f"(commit included); queries.ho_records read back: {read_s:.2f} s"
        )

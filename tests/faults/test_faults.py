"""Faults during loading, on SQLite and PostgreSQL: a load killed inside its transaction, two loads of the
same month at once, and the database server going away and coming back.

How the kill lands inside the transaction, without any hook in the application: the child process
loads a big file (80,000 rows); the test watches the store from outside and sends SIGKILL the moment
the load's write transaction is open: on SQLite, when a probe's ``BEGIN IMMEDIATE`` finds the write
lock taken (nothing else writes); on PostgreSQL, when ``pg_locks`` shows another backend holding
a row-exclusive lock on ``ho_records`` (taken by the COPY of the rows, released only at commit or
abort). Inserting 80,000 rows keeps that window open for a good part of a second, against a
polling interval of a few milliseconds; the test fails, rather than passing vacuously, if the
child finished before it could be killed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.store import db

BIG_ROWS = 80_000


def _writing(url: str):
    """A probe: True while another connection holds the store's write transaction open on ``ho_records``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database

        def probe() -> bool:
            conn = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError as busy:
                return "locked" in str(busy)
            finally:
                conn.close()

        return probe
    conn = psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database, autocommit=True
    )

    def probe() -> bool:
        return (
            conn.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'ho_records' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            ).fetchone()[0]
            > 0
        )

    probe.close = conn.close
    return probe


def test_load_killed_inside_its_transaction_leaves_the_previous_data(stocked, tools, facts, tmp_path):
    url = stocked
    before = tools.snapshot(url)
    people_before = tools.active_people(url)
    big = tools.month_file(tmp_path / f"HO_big_{tools.month}.csv", facts, BIG_ROWS, seed=1)
    probe = _writing(url)
    child = tools.spawn("ingest", "home-office", "--db", url, big)
    seen = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if probe():
            seen = True
            break
        time.sleep(0.003)
    alive = child.poll() is None
    if alive:
        os.kill(child.pid, signal.SIGKILL)
    out, err = child.communicate(timeout=60)
    getattr(probe, "close", lambda: None)()
    assert seen and alive, f"the load ended before it could be killed inside its transaction: {out}{err}"
    assert child.returncode == -signal.SIGKILL

    assert tools.snapshot(url) == before
    assert tools.active_people(url) == people_before
    small = tools.month_file(tmp_path / f"HO_after_{tools.month}.csv", facts, 500, seed=2)
    assert tools.cli("ingest", "home-office", "--db", url, small) == 0
    assert [row[1] for row in tools.active_loads(url)] == [small.name]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _both_waiting(url: str, children) -> bool:
    """Both children blocked at the store's write lock: PostgreSQL says so; on SQLite, neither uses any CPU
    for a while (each has read its file and sits in SQLite's busy wait)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        with psycopg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database, autocommit=True
        ) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()[0] == len(children)
    before = [_cpu_seconds(c.pid) for c in children]
    time.sleep(0.4)
    return [_cpu_seconds(c.pid) for c in children] == before


class _WriteGate:
    """Holds the store's write lock (SQLite) or the store-version row every load updates (PostgreSQL), so
    that two loads reach their transaction before either can finish it."""

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.conn = sqlite3.connect(parsed.database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = psycopg.connect(
                host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
            )
            self.conn.execute("SELECT value FROM store_meta WHERE key = 'version' FOR UPDATE")

    def open(self) -> None:
        self.conn.rollback() if isinstance(self.conn, psycopg.Connection) else self.conn.execute("ROLLBACK")
        self.conn.close()


def test_two_loads_of_the_same_month_at_once_leave_exactly_one(stocked, tools, facts, tmp_path):
    """Both loads are held at the gate until both are inside their commit, then let go together."""
    url = stocked
    files = [
        tools.month_file(tmp_path / f"HO_{name}_{tools.month}.csv", facts, 20_000, seed=seed)
        for seed, name in enumerate(["north", "south"], start=5)
    ]
    gate = _WriteGate(url)
    try:
        children = [tools.spawn("ingest", "home-office", "--db", url, f) for f in files]
        deadline = time.monotonic() + 25
        while not _both_waiting(url, children):
            assert time.monotonic() < deadline and all(c.poll() is None for c in children), [
                c.communicate() for c in children if c.poll() is not None
            ]
            time.sleep(0.05)
    finally:
        gate.open()
    outcomes = [(c.wait(timeout=180), *c.communicate()) for c in children]
    for code, out, err in outcomes:
        assert code in (0, 1), err
        assert "Traceback" not in err
        if code == 1:
            assert len(err.strip().splitlines()) <= 3 and err.strip(), err
    assert any(code == 0 for code, _, _ in outcomes)
    active = tools.active_loads(url)
    assert len(active) == 1, active
    assert active[0][1] in {f.name for f in files}
    winner = next(f for f in files if f.name == active[0][1])
    import pandas as pd

    assert tools.active_people(url) == float(pd.read_csv(winner)["people"].sum())


@pytest.fixture
def own_postgres(request):
    """A PostgreSQL server of this test's own (stopping it must not disturb the session's server)."""
    import inspect

    session = request.getfixturevalue("postgres_server")
    helpers = inspect.getmodule(type(session))
    server = helpers._start_postgres(session.bindir)
    try:
        yield server, helpers
    finally:
        helpers._stop_postgres(server)


def _pg_ctl(server, *args: str):
    command = [str(server.bindir / "pg_ctl"), "-D", str(server.data), *args]
    if server.as_user and server.as_user[0] == "su":
        return server.run(" ".join(f"'{a}'" for a in command))
    return server.run(*command)


def test_database_going_away_gives_a_one_line_error_and_recovers(own_postgres, region, facts, tools, tmp_path):
    server, _ = own_postgres
    server.admin("CREATE DATABASE faults")
    url = server.url("faults")
    assert tools.cli("init", "--db", url) == 0
    assert tools.cli(*region.geography_load(url)) == 0
    db.dispose(url)
    first = tools.month_file(tmp_path / f"HO_first_{tools.month}.csv", facts, 200, seed=7)
    stopped = _pg_ctl(server, "-m", "fast", "-w", "stop")
    assert stopped.returncode == 0, stopped.stderr
    try:
        child = tools.spawn("ingest", "home-office", "--db", url, first)
        out, err = child.communicate(timeout=120)
        assert child.returncode == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: cannot open the store at"), err
        assert "Traceback" not in err and str(server.port) in err
    finally:
        options = (
            f"-p {server.port} -k {server.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        started = _pg_ctl(server, "-l", str(server.root / "server.log"), "-o", options, "-w", "-t", "60", "start")
        assert started.returncode == 0, started.stderr
    child = tools.spawn("ingest", "home-office", "--db", url, first)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert [row[1] for row in tools.active_loads(url)] == [first.name]
    db.dispose(url)
    assert sys.executable

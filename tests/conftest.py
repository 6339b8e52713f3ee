"""Shared fixtures: a fresh, migrated store on SQLite and on a real PostgreSQL server.

Fixtures
- ``db_url``: parametrised ``sqlite`` / ``postgresql``. A fresh, migrated, empty store per test:
  a SQLite file in ``tmp_path``, or a new PostgreSQL database copied from a migrated template.
- ``engine``: ``app.store.db.connect(db_url)``, disposed after the test.
- ``sqlite_url``: a fresh, migrated SQLite store only, for tests that do not need both backends.
- ``smtp_inbox``: a real SMTP server (aiosmtpd) on a free port of 127.0.0.1 for the test; ``.host``, ``.port``,
  ``.messages``: (envelope recipients, parsed :class:`email.message.EmailMessage`) as they arrive. The
  ``DISPERSAL_SMTP_*`` variables of the environment are cleared for the test.
- ``postgres_server`` (session): a throw-away PostgreSQL cluster started for this test session
  (``initdb`` + ``pg_ctl`` on a free port on 127.0.0.1, trust auth, no fsync), stopped and
  deleted at the end. Started only when a test asks for PostgreSQL. As root, it runs as the
  ``postgres`` system user. Without the Debian ``postgresql`` binaries the PostgreSQL cases are
  skipped, except on CI (``CI=true``) where they fail: ``make test`` installs them.
- ``demo_template`` / ``north_east_template`` (session): a :class:`tests.stores.Template`, a store built once per
  test session (the synthetic demo region with the published table; the real North East geography with 12
  synthetic months). ``.url`` is read-only; ``.copy(path)`` gives a folder a store of its own. Both builds start
  in child processes as soon as collection shows a test that needs them, so they use the core the tests leave idle.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.store import db
from tests.stores import Template, Templates

TEMPLATE_DB = "template_dispersal"


def _postgres_bin() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()],
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    as_user: list[str]
    counter: itertools.count

    @property
    def data(self) -> Path:
        return self.root / "data"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, *args], cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as c:
            c.execute(sql)

    def new_database(self) -> str:
        name = f"t{next(self.counter)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DB}')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_postgres(bindir: Path) -> PostgresServer:
    root = Path(tempfile.mkdtemp(prefix="dispersal-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        runuser = shutil.which("runuser")
        as_user = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
    server = PostgresServer(bindir, root, 0, as_user, itertools.count(1))

    def run(*args: str) -> subprocess.CompletedProcess:
        if as_user and as_user[0] == "su":
            return server.run(" ".join(f"'{a}'" for a in args))
        return server.run(*args)

    init = run(
        str(bindir / "initdb"),
        "-D",
        str(server.data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    for _attempt in range(5):
        server.port = _free_port()
        options = (
            f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=100"
        )
        start = run(
            str(bindir / "pg_ctl"),
            "-D",
            str(server.data),
            "-l",
            str(root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if start.returncode == 0:
            return server
    log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{log}")


def _stop_postgres(server: PostgresServer) -> None:
    args = [str(server.bindir / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "-w", "stop"]
    if server.as_user and server.as_user[0] == "su":
        server.run(" ".join(f"'{a}'" for a in args))
    else:
        server.run(*args)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    bindir = _postgres_bin()
    if bindir is None or not (bindir / "initdb").exists():
        reason = "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: install postgresql (make test does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = _start_postgres(bindir)
    try:
        server.admin(f"CREATE DATABASE {TEMPLATE_DB}")
        template_url = server.url(TEMPLATE_DB)
        db.upgrade(db.connect(template_url))
        db.dispose(template_url)
        yield server
    finally:
        _stop_postgres(server)


def _migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    db.upgrade(db.connect(url))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = _migrated_sqlite(tmp_path)
        yield url
        db.dispose(url)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.new_database()
    url = server.url(name)
    yield url
    db.dispose(url)
    server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path):
    url = _migrated_sqlite(tmp_path)
    yield url
    db.dispose(url)


@pytest.fixture
def engine(db_url):
    engine = db.connect(db_url)
    yield engine
    db.dispose(db_url)


@pytest.fixture
def smtp_inbox(monkeypatch):
    from email import message_from_bytes
    from email.policy import default
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller

    for name in ("HOST", "PORT", "FROM", "USER", "PASSWORD", "STARTTLS", "TIMEOUT"):
        monkeypatch.delenv(f"DISPERSAL_SMTP_{name}", raising=False)

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default)))
            return "250 Message accepted for delivery"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SimpleNamespace(host="127.0.0.1", port=controller.port, messages=handler.messages)
    finally:
        controller.stop()


@pytest.fixture
def ho_frame():
    """Factory for Home Office records in the canonical shape, with every awkward value a reader can produce."""
    import numpy as np
    import pandas as pd

    from app.cluster.records import HOME_OFFICE_COLUMNS, conform

    def make(n: int, month: str = "2024-06", seed: int = 0, lad_codes: tuple[str, ...] = ("E06000001", "E06000002")):
        rng = np.random.default_rng(seed)
        suppressed = rng.random(n) < 0.2
        people = np.where(suppressed, 2.5, rng.integers(1, 40, n).astype(float))
        frame = pd.DataFrame(
            {
                "month": month,
                "local_authority": rng.choice(["Hartlepool", "Middlesbrough", None], n),
                "lad_code": rng.choice(list(lad_codes), n),
                "postcode_sector": [f"TS{a} {b}" for a, b in zip(rng.integers(1, 30, n), rng.integers(0, 10, n))],
                "people": people,
                "suppressed": suppressed,
                "people_as_written": np.where(suppressed, "<5", None),
                "support_type": rng.choice(["Section 95", "Section 4", "Section 98"], n),
                "accommodation_type": rng.choice(["dispersal", "initial", "contingency", None], n),
                "nationality": rng.choice(["Eritrea", "Sudan", "Côte d'Ivoire", None], n),
                "age_band": rng.choice(["0-17", "18-29", "30-49", "50+"], n),
                "gender": rng.choice(["Female", "Male", None], n),
                "household_type": rng.choice(["Single", "Family", None], n),
                "uasc": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
                "source_row": np.arange(2, n + 2),
                "sheet": "Data",
            }
        )
        lad = frame["lad_code"].astype("string")
        out = conform(frame, HOME_OFFICE_COLUMNS)
        out["lad_code"] = lad
        return out

    return make


# ------------------------------------------------------------------ markers (registered in pyproject.toml)

#: Directories and files whose tests take long (stores built from generated files, fuzzing, PDFs, timing).
SLOW = (
    "tests/fuzz/",
    "tests/faults/",
    "tests/integration/",
    "tests/report/",
    "tests/benchmarks/",
    "tests/unit/test_notebook.py",
    "tests/store/test_insert_speed.py",
    "tests/security/test_concurrent_writes.py",
)
#: Tests that drive headless Chromium.
BROWSER = ("tests/e2e/", "tests/security/test_csp_browser.py")


def pytest_collection_modifyitems(config, items):
    """Mark by where a test lives and what it asks for, so that ``-m "not slow and not browser and not
    postgres"`` (``make test-fast``) leaves out exactly those."""
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.path)).resolve()
        where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        if where.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
        if where.startswith(BROWSER):
            item.add_marker(pytest.mark.browser)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_server" in getattr(item, "fixturenames", ()) or params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
    _templates_last(items)


def _templates_last(items: list) -> None:
    """Files whose tests need a session store run after the rest, so the store builds (child processes started
    when collection ends) overlap the tests that need none instead of keeping the suite waiting. Whole files
    move, in their order, so a module's fixtures are still set up once."""
    needs = {item.path for item in items if set(getattr(item, "fixturenames", ())) & TEMPLATE_FIXTURES.keys()}
    items.sort(key=lambda item: item.path in needs)


# ------------------------------------------------------------------ stores built once per session

#: Fixture name -> kind of :data:`tests.stores.BUILD_SCRIPTS` it needs.
TEMPLATE_FIXTURES = {"demo_template": "demo", "north_east_template": "north_east"}
_TEMPLATES: list[Templates] = []


def _templates() -> Templates:
    if not _TEMPLATES:
        _TEMPLATES.append(Templates())
    return _TEMPLATES[0]


def pytest_collection_finish(session):
    wanted = {
        kind
        for item in session.items
        for name, kind in TEMPLATE_FIXTURES.items()
        if name in getattr(item, "fixturenames", ())
    }
    if wanted and not session.config.option.collectonly:
        for kind in sorted(wanted):
            _templates().start(kind)


def pytest_sessionfinish(session, exitstatus):
    if _TEMPLATES:
        _TEMPLATES.pop().close()


def _template(kind: str) -> Template:
    try:
        return _templates().get(kind)
    except (RuntimeError, subprocess.TimeoutExpired) as failed:
        pytest.fail(str(failed), pytrace=False)


@pytest.fixture(scope="session")
def demo_template() -> Template:
    return _template("demo")


@pytest.fixture(scope="session")
def north_east_template() -> Template:
    return _template("north_east")

"""Browser fixtures: real stores, the real app in a child process, one headless Chromium, axe-core.

Fixtures
- ``demo_server`` (session): the app over the synthetic demo store (region "Northmoor", 120 wards, 24 months,
  property lists, published statistics), built once per session in a temporary folder.
- ``ne_server`` (session): the app over the real North East geography (12 LAs, 343 wards) with 12 synthetic months.
  Both are copies of the session's ``demo_template`` / ``north_east_template`` (``tests/conftest.py``).
- ``driver`` (session): headless Debian Chromium through Debian's chromedriver. Without them the tests are
  skipped, except on CI (``CI=true``) where they fail: ``make test`` installs them.
- ``demo_browser`` / ``ne_browser``: a :class:`harness.Browser` on that server, with the network and console
  logs cleared at the start of the test. Each server gets an admin account made with ``python -m app users
  add`` (when the store has accounts); ``Browser.open`` signs in through the log-in form when sent there.
- ``demo_facts`` (session): what the demo store holds, read with SQL (LA and ward names, latest month and
  quarter, listed properties, a postcode with its ward and LA, the number of loads).
- ``axe_check``: ``axe_check(browser, page)`` runs axe-core with the WCAG 2.0-2.2 A/AA tags and fails on any
  serious or critical violation; lesser ones are listed at the end of the run.

Shared code lives in ``tests/e2e/harness.py`` (also used by ``python -m tests.e2e.screenshots`` and the
browser benchmarks); tests reach it through the ``harness`` fixture, not by importing each other.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import harness as _harness  # noqa: E402

_MINOR_FINDINGS: list[str] = []
_ALL_FINDINGS: list[str] = []


def _require_browser() -> None:
    missing = _harness.browser_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)


@pytest.fixture(scope="session")
def harness():
    return _harness


@pytest.fixture(scope="session")
def e2e_work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def demo_store(demo_template, e2e_work) -> str:
    return demo_template.copy(e2e_work / "demo" / "demo.sqlite")


@pytest.fixture(scope="session")
def ne_store(north_east_template, e2e_work) -> str:
    return north_east_template.copy(e2e_work / "north_east" / "north_east.sqlite")


@pytest.fixture(scope="session")
def demo_facts(demo_store) -> dict:
    engine = sa.create_engine(demo_store)
    with engine.connect() as conn:
        areas = pd.read_sql(sa.text("SELECT area_code, area_name, level, lad_code FROM areas"), conn)
        latest = conn.execute(sa.text("SELECT MAX(month) FROM ho_records")).scalar_one()
        quarter = conn.execute(sa.text("SELECT MAX(quarter) FROM properties")).scalar_one()
        listed, located = conn.execute(
            sa.text(
                "SELECT COUNT(*), SUM(lat IS NOT NULL AND lon IS NOT NULL) FROM properties "
                "WHERE quarter = :q AND status IN ('in use', 'void')"
            ),
            {"q": quarter},
        ).one()
        postcode = conn.execute(
            sa.text(
                "SELECT p.postcode, w.area_name, l.area_name FROM postcodes p "
                "JOIN areas w ON w.area_code = p.ward_code JOIN areas l ON l.area_code = p.lad_code "
                "ORDER BY p.postcode LIMIT 1 OFFSET 100"
            )
        ).one()
        loads = conn.execute(sa.text("SELECT COUNT(*) FROM loads")).scalar_one()
    engine.dispose()
    return {
        "las": areas[areas["level"] == "lad"].set_index("area_code")["area_name"].to_dict(),
        "wards": areas[areas["level"] == "ward"].set_index("area_code")["area_name"].to_dict(),
        "latest": latest,
        "quarter": quarter,
        "listed": listed,
        "located": located,
        "postcode": postcode,
        "loads": loads,
    }


@pytest.fixture(scope="session")
def demo_server(demo_store, e2e_work):
    with _harness.serve(demo_store, e2e_work / "logs") as server:
        yield server


@pytest.fixture(scope="session")
def ne_server(ne_store, e2e_work):
    with _harness.serve(ne_store, e2e_work / "logs") as server:
        yield server


@pytest.fixture(scope="session")
def driver(e2e_work):
    _require_browser()
    browser = _harness.chrome(e2e_work / "chromium-profile")
    yield browser
    _harness.quit_chrome(browser)


def _browser(driver, server) -> _harness.Browser:
    browser = _harness.Browser(driver, server)
    browser.reset_logs()
    return browser


@pytest.fixture
def demo_browser(driver, demo_server) -> _harness.Browser:
    return _browser(driver, demo_server)


@pytest.fixture
def ne_browser(driver, ne_server) -> _harness.Browser:
    return _browser(driver, ne_server)


@pytest.fixture(scope="session")
def axe_check():
    def check(browser: _harness.Browser, page: str) -> list[str]:
        severe, minor = _harness.axe_report(browser.axe(), page)
        _MINOR_FINDINGS.extend(minor)
        _ALL_FINDINGS.extend(severe + minor)
        for line in minor:
            print(f"axe (minor): {line}")
        assert not severe, "axe-core found serious or critical WCAG 2.2 AA violations:\n" + "\n".join(severe)
        return minor

    return check


def pytest_terminal_summary(terminalreporter) -> None:
    if _ALL_FINDINGS:
        _harness.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (_harness.SCREENSHOTS / "axe-findings.txt").write_text("\n".join(_ALL_FINDINGS) + "\n", encoding="utf-8")
    if _MINOR_FINDINGS:
        terminalreporter.section("axe-core: moderate and minor findings")
        for line in sorted(set(_MINOR_FINDINGS)):
            terminalreporter.write_line(line)

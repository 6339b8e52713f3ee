"""The ward table's filters in a real browser: numeric columns compare as numbers, for every role.

Expected rows come from the store's monitoring table (app.monitoring over the same store), not from the page.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import subprocess
import sys

import pytest
from selenium.webdriver.common.keys import Keys

from app import monitoring
from app.config import load_settings
from app.store import db

TABLE = "#wards-table"


@pytest.fixture(scope="module")
def latest_wards(demo_store):
    snap = monitoring.snapshot(db.connect(demo_store), load_settings(demo_store))
    table = snap.table
    return table[(table["level"] == "ward") & (table["month"] == snap.months[-1])]


def _filter(browser, column: str, text: str) -> None:
    box = browser.find(f'{TABLE} th.dash-filter[data-dash-column="{column}"] input')
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text + Keys.ENTER)
    browser.wait_idle()


def _column(browser, column: str) -> list[str]:
    return [cell.text for cell in browser.find_all(f'{TABLE} td[data-dash-column="{column}"]')]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_share_over_100_keeps_only_wards_over_the_limit(demo_browser, latest_wards):
    demo_browser.open("/wards", until=f'{TABLE} td[data-dash-column="share_of_limit"]')
    _filter(demo_browser, "share_of_limit", "> 100")
    shares = [_number(t) for t in _column(demo_browser, "share_of_limit")]
    over = latest_wards[latest_wards["share_of_limit"] * 100 > 100]
    assert len(over) > 0
    assert shares and all(s > 100 for s in shares), shares
    assert len(shares) == min(len(over), 25)
    statuses = set(_column(demo_browser, "status"))
    assert all("over" in s.lower() for s in statuses), statuses
    _filter(demo_browser, "share_of_limit", "")
    _filter(demo_browser, "people", "> 30")
    people = [_number(t) for t in _column(demo_browser, "people")]
    assert people and all(p > 30 for p in people), people
    assert len(people) == min(int((latest_wards["people"].round(1) > 30).sum()), 25)
    assert all(t == f"{_number(t):,.0f}" for t in _column(demo_browser, "people"))  # whole people
    _filter(demo_browser, "people", "")
    _filter(demo_browser, "area_name", latest_wards["area_name"].iloc[0].lower())  # text stays case-insensitive
    assert latest_wards["area_name"].iloc[0] in _column(demo_browser, "area_name")
    assert not demo_browser.dash_problems()


@pytest.fixture
def member_browser(demo_browser, demo_server, harness, demo_facts):
    lad = sorted(demo_facts["las"])[0]
    account = harness.Account(f"e2e-member-{secrets.token_hex(3)}", secrets.token_urlsafe(18))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "users",
            "add",
            account.username,
            "--role",
            "member",
            "--la",
            lad,
            "--password-stdin",
            "--db",
            demo_server.db_url,
        ],
        input=account.password + "\n",
        text=True,
        capture_output=True,
        cwd=harness.ROOT,
        env=harness.child_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    demo_browser.driver.get(demo_server.url("/logout"))
    demo_browser.driver.delete_all_cookies()
    member = harness.Browser(demo_browser.driver, dataclasses.replace(demo_server, account=account))
    member.reset_logs()
    yield member
    demo_browser.driver.get(demo_server.url("/logout"))
    demo_browser.driver.delete_all_cookies()
    harness.remove_account(demo_server.db_url, account)


def test_member_can_filter_the_withheld_column_without_errors(member_browser):
    member_browser.open("/wards", until=f'{TABLE} td[data-dash-column="people"]')
    for text in ("> 30", "< 5", "fewer", "withheld", "= 10"):
        _filter(member_browser, "people", text)
        for cell in _column(member_browser, "people"):
            if text == "> 30" and cell.replace(",", "").isdigit():
                assert _number(cell) > 30
    _filter(member_browser, "people", "")
    assert not member_browser.dash_problems()


def test_overview_la_table_shows_the_status_at_1366_px(demo_browser):
    size = demo_browser.driver.get_window_size()
    demo_browser.driver.set_window_size(1366, 900)
    try:
        demo_browser.open("/", until='#overview-table td[data-dash-column="status"]')
        right = demo_browser.js(
            "var c = document.querySelector('#overview-table td[data-dash-column=\"status\"]');"
            "var r = c.getBoundingClientRect(); return [r.right, r.width, window.innerWidth];"
        )
        assert right[1] > 40 and right[0] <= right[2], right
        people = [c.text for c in demo_browser.find_all('#overview-table td[data-dash-column="people"]')]
        assert people and all(re.fullmatch(r"\d{1,3}(,\d{3})*", p) for p in people), people
    finally:
        demo_browser.driver.set_window_size(size["width"], size["height"])

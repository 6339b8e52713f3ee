"""The Properties list in a real browser: a numeric filter typed in the table, then the next page, from the server.

Expected rows come from the store's property rows (app.monitoring over the same store), not from the page.
"""

from __future__ import annotations

import math
import re

import pytest
from selenium.webdriver.common.keys import Keys

from app import monitoring
from app.config import load_settings
from app.store import db

TABLE = "#properties-list"


@pytest.fixture(scope="module")
def latest_list(demo_store):
    props = monitoring.snapshot(db.connect(demo_store), load_settings(demo_store)).properties
    quarter = sorted(props["quarter"].unique())[-1]
    return props[(props["quarter"] == quarter) & props["status"].isin(["in use", "void"])]


def _cells(browser, column: str) -> list[str]:
    return [cell.text for cell in browser.find_all(f'{TABLE} td[data-dash-column="{column}"]')]


def test_typing_a_numeric_filter_and_paging(demo_browser, latest_list):
    demo_browser.open("/properties", until=f'{TABLE} td[data-dash-column="bedspaces"]')
    assert len(_cells(demo_browser, "address")) == 25
    box = demo_browser.find(f'{TABLE} th.dash-filter[data-dash-column="bedspaces"] input')
    box.click()
    box.send_keys("> 3" + Keys.ENTER)
    demo_browser.wait_idle()
    expected = latest_list[latest_list["bedspaces"] > 3]
    assert len(expected) > 25
    pages = math.ceil(len(expected) / 25)
    first = _cells(demo_browser, "bedspaces")
    assert len(first) == 25 and all(int(b.replace(",", "")) > 3 for b in first), first
    assert f"of {len(expected):,} (page 1 of {pages})" in demo_browser.text("#properties-list-count")
    addresses = _cells(demo_browser, "address")
    demo_browser.find(f"{TABLE} button.next-page").click()
    demo_browser.wait_idle()
    second = _cells(demo_browser, "bedspaces")
    assert f"(page 2 of {pages})" in demo_browser.text("#properties-list-count")
    assert second and all(int(b.replace(",", "")) > 3 for b in second), second
    assert not set(_cells(demo_browser, "address")) & set(addresses), "the second page shows other properties"
    table = demo_browser.text(TABLE)
    assert not re.search(r"\bnan\b", table, re.I), "no raw nan in the list"
    dates = [d for d in _cells(demo_browser, "date_in_use") if d]
    assert dates and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", d) for d in dates), dates
    assert not demo_browser.dash_problems()

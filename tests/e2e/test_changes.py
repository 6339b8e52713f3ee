"""What changed, in a real browser: the overview of a month in which a ward went over the limit names it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import monitoring
from app.cluster.changes import previous_month
from app.config import load_settings


@pytest.fixture(scope="module")
def newly_breached(demo_store) -> tuple[str, str, str]:
    """(month, ward name, its LA's name) for the latest month in which a ward crossed the limit, from the table."""
    engine = sa.create_engine(demo_store)
    try:
        snap = monitoring.snapshot(engine, load_settings(demo_store))
        table = snap.table
        wards = table[table["level"] == "ward"].set_index(["month", "area_code"])
        for month in snap.months[::-1]:
            before = previous_month(month)
            if before not in snap.months:
                continue
            now, then = wards.loc[month], wards.loc[before]
            crossed = now[(now["status"] == "breach") & (then.reindex(now.index)["status"] != "breach")]
            if len(crossed):
                ward = crossed.iloc[0]
                return (
                    month,
                    str(ward["area_name"]),
                    str(snap.areas.set_index("area_code").loc[ward["lad_code"], "area_name"]),
                )
    finally:
        engine.dispose()
    pytest.fail("the demo store has no month in which a ward newly went over the limit")


def test_the_overview_of_a_month_lists_the_ward_that_newly_went_over(demo_browser, newly_breached):
    month, ward, la = newly_breached
    demo_browser.open(f"/?month={month}", until="#overview-changes-box")
    demo_browser.wait_until(
        "return document.querySelector('#overview-changes-box').innerText.includes(arguments[0])",
        30,
        ward,
        message=f"{ward} is not in what changed for {month}",
    )
    panel = demo_browser.text("#overview-changes-box")
    assert "Newly over the limit" in panel and la in panel, panel[:800]
    assert not demo_browser.dash_problems()

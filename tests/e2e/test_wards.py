"""The ward map in a real browser, over the real North East geography (12 LAs, 343 wards).

Expected figures come from the store's own tables (SQL), never from the page's code.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

MAP = "wards-map"


@pytest.fixture(scope="module")
def ne_facts(ne_store) -> dict:
    engine = sa.create_engine(ne_store)
    with engine.connect() as conn:
        wards = {
            r[0]: r[1] for r in conn.execute(sa.text("SELECT area_code, area_name FROM areas WHERE level = 'ward'"))
        }
        las = {r[0]: r[1] for r in conn.execute(sa.text("SELECT area_code, area_name FROM areas WHERE level = 'lad'"))}
        people = pd.read_sql(
            sa.text(
                "SELECT month, lad_code, SUM(people) AS people FROM ho_records "
                "WHERE accommodation_type = 'dispersal' GROUP BY month, lad_code"
            ),
            conn,
        )
        population = dict(
            conn.execute(sa.text("SELECT area_code, population FROM population WHERE level = 'lad'")).all()
        )
    engine.dispose()
    people["share"] = people["people"] / people["lad_code"].map(population) * 200
    return {"wards": wards, "las": las, "people": people, "months": sorted(people["month"].unique())}


def month_words(month: str) -> str:
    return pd.Period(month, freq="M").strftime("%B %Y")


@pytest.fixture
def ne(ne_browser, harness):
    def open_map(path: str = "/wards") -> dict:
        ne_browser.open(path, until=f"#{MAP} .choroplethlayer path.choroplethlocation")
        return harness.map_state(ne_browser, MAP)

    ne_browser.open_map = open_map
    return ne_browser


def test_ward_map_draws_one_feature_per_ward(ne, ne_facts):
    state = ne.open_map()
    assert ne.text("h1") == "Ward map"
    wards = state["layers"][0]
    assert wards["paths"] == len(ne_facts["wards"]) == 343
    assert set(wards["locations"]) == set(ne_facts["wards"])
    assert all(fill and fill != "none" for fill in wards["fills"])
    assert len(set(wards["fills"])) > 1, "a map of one colour says nothing"
    outlines = state["layers"][1]
    assert set(outlines["locations"]) == set(ne_facts["las"]) and outlines["paths"] == 12
    assert f"{month_words(ne_facts['months'][-1])}" in ne.text("#wards-month-label")
    assert not ne.dash_problems()
    assert not ne.outside_requests()
    ne.screenshot("wards-north-east")


def test_month_slider_changes_colours_and_sends_no_geometry(ne, ne_facts, harness):
    before = ne.open_map()["layers"][0]
    first = ne_facts["months"][0]
    harness.watch_redraw(ne, MAP)
    harness.forget_dash_responses(ne)
    ActionChains(ne.driver).click(ne.find_all("#wards-month .rc-slider-mark-text")[0]).perform()
    seconds = harness.redraw_seconds(ne)
    ne.wait_until(f"return document.getElementById('wards-month-label').textContent.includes({month_words(first)!r})")
    ne.wait_idle()
    after = harness.map_state(ne, MAP)["layers"][0]
    assert after["locations"] == before["locations"], "the same wards, in the same order"
    changed = sum(a != b for a, b in zip(before["fills"], after["fills"]))
    assert changed > 0
    print(f"month change redrew {changed} of {len(after['fills'])} wards in {seconds:.2f} s")

    updates = harness.dash_responses(ne)
    assert updates and all(r["status"] == 200 for r in updates)
    assert not any(r["geometry"] for r in updates), "a month change must send values, never geometry"
    map_update = [r for r in updates if f"{MAP}" in r["outputs"]]
    assert len(map_update) == 1 and map_update[0]["bytes"] < 50_000, updates

    shown = ne.text("#wards-la-status")
    facts = ne_facts["people"][ne_facts["people"]["month"] == first]
    for row in facts.itertuples():
        assert f"{ne_facts['las'][row.lad_code]}:" in shown
        assert f"{row.share:.0%} of the limit" in shown, (ne_facts["las"][row.lad_code], row.share)
    assert not ne.dash_problems()


def test_clicking_a_ward_opens_its_panel(ne, ne_facts, harness):
    ne.open_map()
    point = harness.point_inside_largest(ne, MAP)
    assert point and point["location"] in ne_facts["wards"]
    harness.click_at(ne, point["x"], point["y"])
    title = ne.wait_for("#wards-panel-title")
    ne.wait_idle()
    assert title.text == ne_facts["wards"][point["location"]]
    panel = ne.text("#wards-panel")
    assert point["location"] in panel
    for section in ("Trend over all months", "By accommodation type", "Data quality"):
        assert section in panel
    assert ne.find_all("#wards-panel-trend .js-plotly-plot")
    assert not ne.dash_problems()
    ne.screenshot("wards-panel")


def test_choosing_an_la_shows_only_its_wards(ne, ne_facts, harness):
    engine = sa.create_engine(ne.server.db_url)
    with engine.connect() as conn:
        code, name = conn.execute(
            sa.text("SELECT area_code, area_name FROM areas WHERE level = 'lad' ORDER BY area_name LIMIT 1 OFFSET 5")
        ).one()
        in_la = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT area_code FROM areas WHERE level = 'ward' AND lad_code = :la"), {"la": code}
            )
        }
    engine.dispose()
    n = len(in_la)
    ne.open_map()
    box = ne.find("#wards-la input")
    box.send_keys(name)
    box.send_keys(Keys.ENTER)
    ne.wait_until(f"return document.getElementById('wards-summary').textContent.includes({name!r})")
    ne.wait_idle()
    state = harness.map_state(ne, MAP)
    assert set(state["layers"][0]["locations"]) == in_la and state["layers"][0]["paths"] == n
    assert f"of {n} wards" in ne.text("#wards-summary")
    assert not ne.dash_problems()


def test_keyboard_reaches_skip_link_and_month_slider(ne, ne_facts, harness):
    ne.open_map()
    ne.js("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    ActionChains(ne.driver).send_keys(Keys.TAB).perform()
    first = ne.js("return document.activeElement")
    assert first.text == "Skip to main content" and first.get_attribute("href").endswith("#main")

    before = harness.map_state(ne, MAP)["layers"][0]["fills"]
    for _ in range(40):
        ActionChains(ne.driver).send_keys(Keys.TAB).perform()
        if ne.js(
            "return document.activeElement.getAttribute('role') === 'slider'"
            " && !!document.activeElement.closest('#wards-month')"
        ):
            break
    else:
        pytest.fail("40 presses of Tab never reached the month slider")
    ActionChains(ne.driver).send_keys(Keys.ARROW_LEFT).perform()
    previous = month_words(ne_facts["months"][-2])
    ne.wait_until(
        f"return document.getElementById('wards-month-label').textContent.includes({previous!r})",
        5,
        message=f"one press of the left arrow on the month slider should show {previous}; the label "
        f"still says {ne.text('#wards-month-label')!r}",
    )
    ne.wait_idle()
    after = harness.map_state(ne, MAP)["layers"][0]["fills"]
    assert after != before, "one press of the left arrow shows the previous month on the map"

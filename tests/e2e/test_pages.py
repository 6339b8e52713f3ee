"""Every page of the dashboard renders with real data in a real browser, offline, without a Dash error.

The demo store (synthetic region "Northmoor": 6 LAs, 120 wards, 24 months,
property lists, published statistics) is built by the ordinary ingest
commands; what each page should show is read from the store with SQL.
"""

from __future__ import annotations

import pytest

#: path, heading (start of the h1), element that shows the page's data once it is drawn.
PAGES = [
    ("/", "Region overview", "#overview-map .choroplethlayer path.choroplethlocation"),
    ("/wards", "Ward map", "#wards-map .choroplethlayer path.choroplethlocation"),
    ("/properties", "Properties", "#properties-map .js-plotly-plot"),
    ("/profiles", "Profiles", "#profiles-table"),
    ("/check", "Property check", "#check-run"),
    ("/data", "Data", "#data-history table"),
]


@pytest.mark.parametrize("path,heading,ready", PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_offline_without_errors(demo_browser, path, heading, ready):
    demo_browser.open(path, until=ready)
    assert demo_browser.text("h1").startswith(heading)
    assert len(demo_browser.find_all("h1")) == 1
    assert demo_browser.find_all("nav a[href='/wards']"), "the navigation is on every page"
    assert not demo_browser.dash_problems()
    assert not demo_browser.outside_requests(), "every request stays on 127.0.0.1"
    demo_browser.screenshot(f"page-{path.strip('/') or 'overview'}")


def test_overview_shows_every_la(demo_browser, demo_facts, harness):
    demo_browser.open("/", until=PAGES[0][2])
    state = harness.map_state(demo_browser, "overview-map")
    assert set(state["layers"][0]["locations"]) == set(demo_facts["las"])
    table = demo_browser.text("#overview-table")
    for name in demo_facts["las"].values():
        assert name in table
    headlines = demo_browser.text("#overview-headlines")
    assert headlines.strip(), "headline figures are shown"


def test_ward_map_of_the_demo_has_every_ward(demo_browser, demo_facts, harness):
    demo_browser.open("/wards", until=PAGES[1][2])
    state = harness.map_state(demo_browser, "wards-map")
    assert state["layers"][0]["paths"] == len(demo_facts["wards"]) == 120
    assert set(state["layers"][0]["locations"]) == set(demo_facts["wards"])


def test_properties_page_shows_the_latest_list(demo_browser, demo_facts):
    demo_browser.open("/properties", until=PAGES[2][2])
    points = demo_browser.js(
        "var gd = document.querySelector('#properties-map .js-plotly-plot');"
        "return gd._fullData.filter(function (t) { return (t.name || '').indexOf('Properties') === 0; })"
        ".map(function (t) { return t.lon.length; });"
    )
    listed, located = demo_facts["listed"], demo_facts["located"]
    assert points == [located], "one point per located property in use or void in the latest quarter"
    assert f"{listed} properties in {demo_facts['quarter']}" in demo_browser.text("#properties-summary")


def test_profiles_page_suppresses_nothing_it_should_show(demo_browser):
    demo_browser.open("/profiles", until=PAGES[3][2])
    table = demo_browser.find("#profiles-table")
    assert table.find_elements("css selector", "th"), "the profile has a table with headings"
    assert not demo_browser.dash_problems()


def test_property_check_gives_a_verdict_for_a_real_postcode(demo_browser, demo_facts):
    postcode, ward, la = demo_facts["postcode"]
    demo_browser.open("/check", until="#check-run")
    box = demo_browser.find("#check-postcode")
    box.clear()
    box.send_keys(postcode)
    bedspaces = demo_browser.find("#check-bedspaces")
    bedspaces.clear()
    bedspaces.send_keys("6")
    demo_browser.find("#check-run").click()
    demo_browser.wait_until(
        f"return document.getElementById('check-result').textContent.includes({ward!r})",
        30,
        message=f"the check of {postcode} should name its ward {ward}",
    )
    demo_browser.wait_idle()
    result = demo_browser.text("#check-result")
    assert la in result
    assert demo_browser.find("#check-verdict").text.strip()
    assert not demo_browser.dash_problems()
    demo_browser.screenshot("check-result")

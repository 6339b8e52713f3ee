"""WCAG 2.2 AA in a real browser: axe-core on every page, table alternatives, status in words, the skip link.

axe-core (vendored from the npm registry, ``tests/e2e/vendor/axe-core``) runs with the tags wcag2a,
wcag2aa, wcag21a, wcag21aa and wcag22aa; serious and critical violations fail, lesser ones are listed
at the end of the run. axe covers part of WCAG only, hence the checks after it.
"""

from __future__ import annotations

import pytest

PAGES = [
    ("/", "#overview-map .choroplethlayer path.choroplethlocation"),
    ("/wards", "#wards-map .choroplethlayer path.choroplethlocation"),
    ("/properties", "#properties-map .js-plotly-plot"),
    ("/profiles", "#profiles-table"),
    ("/check", "#check-run"),
    ("/data", "#data-history table"),
]


@pytest.mark.parametrize("path,ready", PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_serious_violation(demo_browser, axe_check, path, ready):
    demo_browser.open(path, until=ready)
    axe_check(demo_browser, path)


def test_ward_panel_passes_axe(demo_browser, axe_check, harness):
    demo_browser.open("/wards", until=PAGES[1][1])
    point = harness.point_inside_largest(demo_browser, "wards-map")
    harness.click_at(demo_browser, point["x"], point["y"])
    demo_browser.wait_for("#wards-panel-title")
    demo_browser.wait_idle()
    axe_check(demo_browser, "/wards with a ward panel open")


@pytest.mark.parametrize(
    "path,map_id,table_id", [("/", "overview-map", "overview-table"), ("/wards", "wards-map", "wards-table")]
)
def test_every_map_has_a_table_with_status_in_words(demo_browser, demo_facts, harness, path, map_id, table_id):
    demo_browser.open(path, until=f"#{map_id} .choroplethlayer path.choroplethlocation")
    state = harness.map_state(demo_browser, map_id)
    table = demo_browser.find(f"#{table_id}")
    headers = [h.text for h in table.find_elements("css selector", "th")]
    assert any("Status" in h for h in headers), headers
    cells = demo_browser.js(
        "return Array.prototype.map.call(document.querySelectorAll(arguments[0] + ' td'),"
        " function (td) { return td.textContent; });",
        f"#{table_id}",
    )
    names = {**demo_facts["las"], **demo_facts["wards"]}
    on_map = {names[code] for code in state["layers"][0]["locations"]}
    assert on_map & set(cells), "the table names the same areas as the map"
    words = " ".join(cells).lower()
    assert any(w in words for w in ("within", "over", "approaching", "limit")), "status is written, not only coloured"


def test_first_tab_reaches_the_skip_link_on_every_page(demo_browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for path, ready in PAGES:
        demo_browser.open(path, until=ready)
        demo_browser.js("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
        ActionChains(demo_browser.driver).send_keys(Keys.TAB).perform()
        active = demo_browser.js("return document.activeElement")
        assert active.text == "Skip to main content", path
        ActionChains(demo_browser.driver).send_keys(Keys.ENTER).perform()
        assert demo_browser.js("return document.activeElement.id") == "main", path


def test_sign_in_page_passes_axe(demo_browser, axe_check):
    if demo_browser.server.account is None:
        pytest.skip("this version has no accounts, hence no sign-in page")
    demo_browser.driver.get(demo_browser.server.url("/logout"))  # a GET only offers the button (CSRF)
    for button in demo_browser.find_all("#sign-out"):  # absent when not signed in (redirected to /login)
        button.click()
        demo_browser.wait_for("#username")
    demo_browser.driver.get(demo_browser.server.url("/login"))
    demo_browser.wait_for("#username")
    assert demo_browser.text("h1") == "Sign in"
    axe_check(demo_browser, "/login")
    demo_browser.sign_in()
    assert not demo_browser.outside_requests()

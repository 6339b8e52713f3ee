"""The ward map centres on what the user chose, over the real North East boundaries (12 LAs, 343 wards).

Expected areas come from the store (SQL), never from the page's code.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.keys import Keys

MAP = "wards-map"
MIDDLESBROUGH = "E06000002"

#: The screen box of the drawn paths of the given locations (layer 0) and of the map's plot area.
BOXES_JS = """
var g = document.getElementById(arguments[0]);
var gd = g.querySelector('.js-plotly-plot');
var wanted = arguments[1];
var layer = gd.querySelector('.choroplethlayer > .trace');
var box = null;
layer.querySelectorAll('path.choroplethlocation').forEach(function (p) {
  if (wanted.indexOf(p.__data__ && p.__data__.loc) < 0) return;
  var r = p.getBoundingClientRect();
  if (!r.width && !r.height) return;
  box = box ? {l: Math.min(box.l, r.left), t: Math.min(box.t, r.top), r: Math.max(box.r, r.right),
               b: Math.max(box.b, r.bottom)} : {l: r.left, t: r.top, r: r.right, b: r.bottom};
});
var frame = gd.querySelector('.geo .bglayer, .geo').getBoundingClientRect();
return {area: box, frame: {l: frame.left, t: frame.top, r: frame.right, b: frame.bottom}};
"""


@pytest.fixture(scope="module")
def ne_areas(ne_store) -> dict:
    engine = sa.create_engine(ne_store)
    with engine.connect() as conn:
        wards = conn.execute(sa.text("SELECT area_code, area_name, lad_code FROM areas WHERE level = 'ward'")).all()
        las = dict(conn.execute(sa.text("SELECT area_code, area_name FROM areas WHERE level = 'lad'")).all())
        postcode = conn.execute(
            sa.text(
                "SELECT postcode, ward_code FROM postcodes WHERE lad_code = :la AND ward_code IS NOT NULL "
                "ORDER BY postcode LIMIT 1 OFFSET 50"
            ),
            {"la": MIDDLESBROUGH},
        ).one()
    engine.dispose()
    return {"wards": {c: (n, la) for c, n, la in wards}, "las": las, "postcode": postcode}


def _wards_of(areas: dict, la: str) -> list[str]:
    return [c for c, (_, lad) in areas["wards"].items() if lad == la]


def _boxes(browser, codes: list[str]) -> dict:
    return browser.js(BOXES_JS, MAP, codes)


def _fills_frame(boxes: dict) -> float:
    """How much of the map's width or height the areas take (the larger of the two)."""
    area, frame = boxes["area"], boxes["frame"]
    return max((area["r"] - area["l"]) / (frame["r"] - frame["l"]), (area["b"] - area["t"]) / (frame["b"] - frame["t"]))


def _query(browser) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(browser.driver.current_url).query).items()}


def test_map_fits_middlesbrough_and_names_its_wards(ne_browser, ne_areas, harness):
    ne_browser.open(f"/wards?la={MIDDLESBROUGH}", until=f"#{MAP} .choroplethlayer path.choroplethlocation")
    codes = _wards_of(ne_areas, MIDDLESBROUGH)
    state = harness.map_state(ne_browser, MAP)
    assert set(state["layers"][0]["locations"]) == set(codes) and len(codes) == 20
    boxes = _boxes(ne_browser, codes)
    assert _fills_frame(boxes) > 0.6, boxes  # was about 20 x 35 px with the whole region framed
    labels = ne_browser.find_all(f"#{MAP} .scattergeo text, #{MAP} .textpoint text")
    shown = {t.text for t in labels}
    assert {ne_areas["wards"][c][0] for c in codes} <= shown
    assert _query(ne_browser)["la"] == MIDDLESBROUGH
    assert not ne_browser.dash_problems()


def test_choosing_another_la_refits_and_back_restores(ne_browser, ne_areas):
    ne_browser.open(f"/wards?la={MIDDLESBROUGH}", until=f"#{MAP} .choroplethlayer path.choroplethlocation")
    other = next(c for c, n in sorted(ne_areas["las"].items(), key=lambda i: i[1]) if c != MIDDLESBROUGH)
    box = ne_browser.find("#wards-la input")
    box.send_keys(ne_areas["las"][other])
    box.send_keys(Keys.ENTER)
    ne_browser.wait_until(
        "return window.location.search.indexOf(arguments[0]) >= 0", 30, other, message="the address bar follows the LA"
    )
    ne_browser.wait_idle()
    codes = _wards_of(ne_areas, other)
    ne_browser.wait_until(
        "var p = document.querySelectorAll('#wards-map .choroplethlayer > .trace')[0]"
        ".querySelectorAll('path.choroplethlocation'); return p.length === arguments[0];",
        30,
        len(codes),
    )
    assert _fills_frame(_boxes(ne_browser, codes)) > 0.6
    ne_browser.driver.back()
    ne_browser.wait_until("return window.location.search.indexOf(arguments[0]) >= 0", 30, MIDDLESBROUGH)
    ne_browser.wait_for(f"#{MAP} .choroplethlayer path.choroplethlocation")
    ne_browser.wait_idle()
    ne_browser.wait_until(
        "return document.querySelector('#wards-la').innerText.indexOf(arguments[0]) >= 0",
        30,
        ne_areas["las"][MIDDLESBROUGH],
        message="back restores the LA",
    )


def _search(browser, text: str) -> None:
    box = browser.find("#wards-search")
    box.clear()
    box.send_keys(text)
    browser.find("#wards-search-go").click()
    browser.wait_idle()


def test_search_finds_a_ward_by_name_and_by_postcode(ne_browser, ne_areas, harness):
    ne_browser.open("/wards", until=f"#{MAP} .choroplethlayer path.choroplethlocation")
    code = sorted(_wards_of(ne_areas, MIDDLESBROUGH))[3]
    name = ne_areas["wards"][code][0]
    _search(ne_browser, name.upper())
    ne_browser.wait_until(
        "var t = document.getElementById('wards-panel-title'); return t && t.innerText === arguments[0];",
        30,
        name,
        message="the panel opens on the ward found",
    )
    state = harness.map_state(ne_browser, MAP)
    outline = [t for t in state["traces"] if t["name"] == "Found"][0]
    assert outline["locations"] == [code]
    assert _query(ne_browser).get("ward") == code and _query(ne_browser).get("la") == MIDDLESBROUGH
    postcode, ward = ne_areas["postcode"]
    _search(ne_browser, postcode.replace(" ", "").lower())
    ward_name = ne_areas["wards"][ward][0]
    ne_browser.wait_until(
        "var t = document.getElementById('wards-panel-title'); return t && t.innerText === arguments[0];",
        30,
        ward_name,
        message="a postcode opens its ward",
    )
    assert ward_name in ne_browser.text("#wards-search-result")
    _search(ne_browser, "no such place anywhere")
    assert "Nothing found" in ne_browser.text("#wards-search-result")
    assert not ne_browser.dash_problems()


def test_clicking_an_overview_la_opens_its_wards(ne_browser, ne_areas, harness):
    ne_browser.open("/", until="#overview-map .choroplethlayer path.choroplethlocation")
    point = harness.point_inside_largest(ne_browser, "overview-map")
    harness.click_at(ne_browser, point["x"], point["y"])
    ne_browser.wait_until("return window.location.pathname === '/wards'", 30, message="the ward map opens")
    ne_browser.wait_for(f"#{MAP} .choroplethlayer path.choroplethlocation")
    ne_browser.wait_idle()
    la = point["location"]
    assert _query(ne_browser)["la"] == la
    state = harness.map_state(ne_browser, MAP)
    assert set(state["layers"][0]["locations"]) == set(_wards_of(ne_areas, la))
    assert not ne_browser.dash_problems()

"""Region overview and every page route, through the Flask test client on real stores."""

from __future__ import annotations

import dash
import pytest

from app.cluster.fair_share import fair_share


@pytest.fixture(scope="module")
def page(dash_call):
    return dash_call.render("/")


def _las(snapshot, month: str):
    table = snapshot.table
    return table[(table["level"] == "la") & (table["month"] == month)].set_index("area_code")


def test_every_page_route_answers_and_renders(client, dash_call, web_app):
    paths = sorted(p["relative_path"] for p in dash.page_registry.values())
    assert {"/", "/wards"} <= set(paths)
    for path in paths:
        assert client.get(path).status_code == 200, path
        layout = dash_call.render(path)
        assert dash_call.text(layout).strip(), path


def test_la_map_values_and_headlines(page, dash_call, snapshot):
    month = snapshot.months[-1]
    las = _las(snapshot, month)
    figure = dash_call.find(page, "overview-map")["props"]["figure"]
    assert len(figure["data"][0]["geojson"]["features"]) == len(las) == 6
    z = dict(zip(figure["data"][0]["locations"], figure["data"][0]["z"]))
    assert z == pytest.approx(las["share_of_limit"].round(3).to_dict())
    assert "official flag" in figure["data"][0]["hovertemplate"]
    cards = dash_call.text(dash_call.find(page, "overview-headlines"))
    assert f"{las['people'].sum():,.0f}" in cards
    assert f"{int((las['status'] == 'breach').sum())} of 6" in cards
    previous = _las(snapshot, snapshot.months[-2])["people"].sum()
    delta = las["people"].sum() - previous
    assert f"{abs(delta):,.0f} since" in cards


def test_month_change_patches_values_and_redraws_fair_share(dash_call, snapshot):
    month = snapshot.months[2]
    response = dash_call("overview-map.figure", {("overview-month", "value"): month})
    assert response.status_code == 200
    assert b"geojson" not in response.get_data()
    body = response.get_json()["response"]
    ops = {tuple(op["location"]): op["params"]["value"] for op in body["overview-map"]["figure"]["operations"]}
    las = _las(snapshot, month)
    locations = sorted(las.index, key=lambda c: las.loc[c, "area_name"])
    assert ops[("data", 0, "z")] == pytest.approx(las.loc[locations, "share_of_limit"].round(3).tolist())
    shares = fair_share(snapshot.table, snapshot.areas, month).set_index("area_name")
    bars = body["overview-fair-share"]["figure"]["data"][0]
    assert dict(zip(bars["y"], bars["x"])) == pytest.approx(shares["share_of_people"].round(4).to_dict())
    table = {r["area_code"]: r for r in body["overview-table"]["data"]}
    assert {c: r["people"] for c, r in table.items()} == pytest.approx(las["people"].round(1).to_dict())


def test_trends_and_accommodation_mix(page, dash_call, snapshot):
    trends = dash_call.find(page, "overview-trends")["props"]["figure"]
    assert len(trends["data"]) == 6
    assert all(len(line["x"]) == len(snapshot.months) for line in trends["data"])
    mix = dash_call.find(page, "overview-mix")["props"]["figure"]
    records = snapshot.records
    totals = records.groupby("accommodation_type")["people"].sum()
    shown = {t["name"].lower(): sum(t["y"]) for t in mix["data"]}
    assert shown == pytest.approx(totals.to_dict(), rel=1e-3)


def test_plan_vs_actual_says_when_no_allocations(page, dash_call):
    plan = dash_call.find(page, "overview-plan")["props"]["figure"]
    assert plan["data"] == [] and "allocation" in plan["layout"]["annotations"][0]["text"].lower()


def test_national_context_highlights_the_north_east(dash_call, use_store, ne_store):
    with use_store(ne_store):
        page = dash_call.render("/")
    figure = dash_call.find(page, "overview-national")["props"]["figure"]
    others, region = figure["data"]
    assert region["name"] == "North East"
    assert len(region["text"]) == 12 and "Middlesbrough" in region["text"]
    assert len(others["text"]) > 250
    table = dash_call.find(page, "overview-national-table")["props"]["data"]
    assert {r["local_authority"] for r in table} == set(region["text"])
    assert all(r["per_1000"] > 0 for r in table)

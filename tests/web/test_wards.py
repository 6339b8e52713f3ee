"""The ward map page through the Flask test client, on a real synthetic store and the real North East."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

MAP = "wards-map.figure"


@pytest.fixture(scope="module")
def months(snapshot) -> list[str]:
    return list(snapshot.months)


@pytest.fixture(scope="module")
def page(dash_call):
    return dash_call.render("/wards")


def _month_table(snapshot, month: str, lad: str | None = None) -> pd.DataFrame:
    table = snapshot.table
    rows = table[(table["level"] == "ward") & (table["month"] == month)]
    if lad:
        rows = rows[rows["lad_code"] == lad]
    return rows.set_index("area_code")


def _operations(response) -> dict[tuple, object]:
    patch = response.get_json()["response"]["wards-map"]["figure"]
    assert patch["__dash_patch_update"] == "__dash_patch_update"
    return {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}


def test_route_answers(client):
    assert client.get("/wards").status_code == 200


def test_initial_map_has_one_feature_per_ward(page, dash_call, snapshot, months):
    figure = dash_call.find(page, "wards-map")["props"]["figure"]
    wards = snapshot.areas[snapshot.areas["level"] == "ward"]["area_code"]
    features = figure["data"][0]["geojson"]["features"]
    assert len(features) == len(wards) == 120
    assert {f["id"] for f in features} == set(wards)
    assert sorted(figure["data"][0]["locations"]) == sorted(wards)
    expected = _month_table(snapshot, months[-1])
    z = dict(zip(figure["data"][0]["locations"], figure["data"][0]["z"]))
    assert all(z[c] == pytest.approx(expected.loc[c, "share_of_limit"], abs=5e-4) for c in expected.index)
    lad_features = figure["data"][1]["geojson"]["features"]
    assert len(lad_features) == 6


def test_graph_uses_local_topojson(page, dash_call):
    graph = dash_call.find(page, "wards-map")
    assert graph["props"]["config"]["topojsonURL"] == "/assets/topojson/"


def test_vendored_topojson_is_served(client):
    response = client.get("/assets/topojson/world_110m.json")
    assert response.status_code == 200
    assert json.loads(response.get_data())["type"] == "Topology"


def test_month_change_sends_values_only(dash_call, snapshot, months, page):
    index = 3
    response = dash_call(
        MAP, {("wards-month", "value"): index, ("wards-la", "value"): "all"}, changed=["wards-month.value"]
    )
    assert response.status_code == 200
    assert b"geojson" not in response.get_data()
    ops = _operations(response)
    assert ("data", 0, "locations") not in ops
    locations = dash_call.find(page, "wards-map")["props"]["figure"]["data"][0]["locations"]
    expected = _month_table(snapshot, months[index]).reindex(locations)
    assert ops[("data", 0, "z")] == pytest.approx(expected["share_of_limit"].round(3).tolist())
    assert [c[0] for c in ops[("data", 0, "customdata")]] == [f"{p:,.1f}" for p in expected["people"]]
    assert len(ops[("data", 2, "lon")]) == int((expected["status"] == "breach").sum())
    assert len(ops[("data", 3, "lon")]) == int((expected["status"] == "approaching").sum())
    body = response.get_json()["response"]
    assert body["wards-month-label"]["children"] == pd.Period(months[index], freq="M").strftime("%B %Y")


def test_la_change_patches_locations_not_geometry(dash_call, snapshot, months):
    lad = sorted(snapshot.areas.loc[snapshot.areas["level"] == "lad", "area_code"])[1]
    response = dash_call(
        MAP, {("wards-month", "value"): len(months) - 1, ("wards-la", "value"): lad}, changed=["wards-la.value"]
    )
    assert b"geojson" not in response.get_data()
    ops = _operations(response)
    expected = _month_table(snapshot, months[-1], lad)
    assert sorted(ops[("data", 0, "locations")]) == sorted(expected.index)
    assert ops[("layout", "uirevision")] == lad


def test_ward_click_opens_panel_with_its_trend(dash_call, snapshot, months):
    table = snapshot.table
    ward = table[(table["level"] == "ward") & (table["status"] == "breach")]["area_code"].iloc[0]
    response = dash_call(
        "wards-panel.children",
        {("wards-map", "clickData"): {"points": [{"location": ward, "curveNumber": 0}]}},
        {("wards-month", "value"): len(months) - 1},
        changed=["wards-map.clickData"],
    )
    assert response.status_code == 200
    panel = response.get_json()["response"]["wards-panel"]["children"]
    trend = [c for c in panel if c.get("props", {}).get("id") == "wards-panel-trend"][0]["props"]["figure"]
    history = table[(table["area_code"] == ward)].sort_values("month")
    assert trend["data"][0]["x"] == history["month"].tolist()
    assert trend["data"][0]["y"] == pytest.approx(history["people"].round(1).tolist())
    assert panel[0]["props"]["children"] == history["area_name"].iloc[0]


def test_table_row_opens_the_same_panel(dash_call, snapshot, months):
    rows = [{"area_code": "E05990007"}, {"area_code": "E05990042"}]
    response = dash_call(
        "wards-panel.children",
        {("wards-table", "active_cell"): {"row": 1, "column": 0}},
        {("wards-table", "derived_viewport_data"): rows, ("wards-month", "value"): 0},
        changed=["wards-table.active_cell"],
    )
    panel = response.get_json()["response"]["wards-panel"]["children"]
    name = snapshot.areas.set_index("area_code").loc["E05990042", "area_name"]
    assert panel[0]["props"]["children"] == name


def test_panel_shows_properties_with_addresses_in_a_separate_section(dash_call, snapshot, months):
    props = snapshot.properties
    ward = props["ward_code"].dropna().value_counts().index[0]
    response = dash_call(
        "wards-panel.children",
        {("wards-map", "clickData"): {"points": [{"location": ward}]}},
        {("wards-month", "value"): len(months) - 1},
        changed=["wards-map.clickData"],
    )
    panel = response.get_json()["response"]["wards-panel"]["children"]
    section = dash_call.find(panel, "wards-panel-properties")
    addresses = dash_call.find(panel, "wards-panel-addresses")
    assert addresses is not None and "restricted" in dash_call.text(addresses).lower()
    summary_table = section["props"]["children"][0]
    assert "Provider" in dash_call.text(summary_table) and "," not in dash_call.text(summary_table).split("Occupied")[0]
    quality = dash_call.text(dash_call.find(panel, "wards-panel-quality"))
    assert "postcode sector" in quality


def test_table_rows_equal_monitoring_table(page, dash_call, snapshot, months):
    data = dash_call.find(page, "wards-table")["props"]["data"]
    expected = _month_table(snapshot, months[-1])
    assert len(data) == len(expected) == 120
    for row in data:
        truth = expected.loc[row["area_code"]]
        assert row["people"] == pytest.approx(truth["people"], abs=0.051)
        assert row["population"] == pytest.approx(truth["population"])
        assert row["share_of_limit"] == pytest.approx(truth["share_of_limit"] * 100, abs=0.051)
    response = dash_call(
        "wards-table.data", {("wards-month", "value"): 0, ("wards-la", "value"): "all"}, changed=["wards-month.value"]
    )
    first = {r["area_code"]: r for r in response.get_json()["response"]["wards-table"]["data"]}
    early = _month_table(snapshot, months[0])
    assert {c: r["people"] for c, r in first.items()} == pytest.approx(early["people"].round(1).to_dict())


def test_breach_wards_carry_status_in_words(page, dash_call, snapshot, months):
    expected = _month_table(snapshot, months[-1])
    breach = set(expected.index[expected["status"] == "breach"])
    assert breach, "the synthetic region has wards over the limit"
    data = dash_call.find(page, "wards-table")["props"]["data"]
    worded = {r["area_code"] for r in data if r["status"] == "Over the limit — local indicator"}
    assert worded == breach
    figure = dash_call.find(page, "wards-map")["props"]["figure"]
    areas = figure["data"][0]
    hover = {code: cd[2] for code, cd in zip(areas["locations"], areas["customdata"])}
    assert {c for c, words in hover.items() if words == "Over the limit"} == breach
    assert "local indicator" in areas["hovertemplate"]
    assert f"{len(breach)} of 120 wards over the limit" in dash_call.text(dash_call.find(page, "wards-summary"))
    assert "official flag" in dash_call.text(dash_call.find(page, "wards-la-status"))


def test_csv_download(dash_call, snapshot, months):
    lad = sorted(snapshot.areas.loc[snapshot.areas["level"] == "lad", "area_code"])[0]
    response = dash_call(
        "wards-csv.data", {("wards-download", "n_clicks"): 1}, {("wards-month", "value"): 2, ("wards-la", "value"): lad}
    )
    sent = response.get_json()["response"]["wards-csv"]["data"]
    assert sent["filename"] == f"wards_{lad}_{months[2]}.csv"
    frame = pd.read_csv(io.StringIO(sent["content"]))
    expected = _month_table(snapshot, months[2], lad)
    assert sorted(frame["Ward code"]) == sorted(expected.index)
    assert set(frame["month"]) == {months[2]}
    people = frame.set_index("Ward code")["People supported"]
    assert people.to_dict() == pytest.approx(expected["people"].round(1).to_dict())


def test_play_button_and_player(dash_call, months):
    started = dash_call("wards-player.disabled", {("wards-play", "n_clicks"): 1}, {("wards-player", "disabled"): True})
    body = started.get_json()["response"]
    assert body["wards-player"]["disabled"] is False and body["wards-play"]["children"] == "Pause"
    step = dash_call(
        "wards-month.value",
        {("wards-player", "n_intervals"): 1},
        {("wards-month", "value"): 4, ("wards-month", "max"): len(months) - 1},
    )
    assert step.get_json()["response"]["wards-month"]["value"] == 5
    end = dash_call(
        "wards-month.value",
        {("wards-player", "n_intervals"): 2},
        {("wards-month", "value"): len(months) - 2, ("wards-month", "max"): len(months) - 1},
    )
    assert end.get_json()["response"]["wards-player"]["disabled"] is True


def test_query_string_opens_an_la_and_month(dash_call, snapshot, months):
    lad = sorted(snapshot.areas.loc[snapshot.areas["level"] == "lad", "area_code"])[2]
    page = dash_call.render("/wards", f"?la={lad}&month={months[1]}")
    figure = dash_call.find(page, "wards-map")["props"]["figure"]
    assert sorted(figure["data"][0]["locations"]) == sorted(_month_table(snapshot, months[1], lad).index)
    assert dash_call.find(page, "wards-month")["props"]["value"] == 1


def test_real_north_east_map_has_343_wards(dash_call, use_store, ne_store):
    with use_store(ne_store):
        page = dash_call.render("/wards")
    figure = dash_call.find(page, "wards-map")["props"]["figure"]
    assert len(figure["data"][0]["geojson"]["features"]) == 343
    assert len(figure["data"][0]["locations"]) == 343
    assert len(figure["data"][1]["geojson"]["features"]) == 12

"""The Properties page over the synthetic demo store: filters, changes, clusters, reconciliation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app import ingest
from app.cluster.apportion import previous_quarter
from app.cluster.property_changes import diff_quarters
from app.cluster.reconcile import sector_reconciliation
from app.figures import properties as figures
from app.store import db
from tests.stores import copy_store

STATUS_ALL = ["handed back", "in use", "proposed", "void"]


def table_rows(tree, caption: str) -> list[list[str]]:
    """Cell texts (in column order) of the rendered table whose caption contains ``caption``."""
    found = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            props = node.get("props", {})
            children = props.get("children")
            if isinstance(children, list):
                cap = next((c for c in children if isinstance(c, dict) and c.get("type") == "P"), None)
                grid = next((c for c in children if isinstance(c, dict) and c.get("type") == "DataTable"), None)
                if cap and grid and caption in str(cap["props"]["children"]):
                    columns = [c["id"] for c in grid["props"]["columns"]]
                    found.append(
                        [
                            ["" if row.get(c) is None else str(row.get(c)) for c in columns]
                            for row in grid["props"]["data"]
                        ]
                    )
                    return
            for value in props.values():
                walk(value)

    walk(tree)
    assert found, f"no table captioned {caption!r}"
    return found[0]


def controls(dash_call):
    response = dash_call("properties-quarter.options", {("properties-quarter", "id"): "properties-quarter"})
    assert response.status_code == 200
    return response.get_json()["response"]


def update_map(dash_call, quarter, provider, status, figure=None):
    response = dash_call(
        "properties-map.figure",
        {
            ("properties-quarter", "value"): quarter,
            ("properties-provider", "value"): provider,
            ("properties-status", "value"): status,
        },
        state={("properties-map", "figure"): figure},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def update_tables(dash_call, quarter, provider="all", status=None):
    response = dash_call(
        "properties-changes.children",
        {
            ("properties-quarter", "value"): quarter,
            ("properties-provider", "value"): provider,
            ("properties-status", "value"): status or STATUS_ALL,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def test_the_page_answers_and_offers_every_quarter_and_provider(client, dash_call, snapshot):
    assert client.get("/properties").status_code == 200
    layout = dash_call.render("/properties")
    assert dash_call.find(layout, "properties-map") is not None
    out = controls(dash_call)
    quarters = sorted(snapshot.properties["quarter"].unique())
    assert [o["value"] for o in out["properties-quarter"]["options"]] == quarters[::-1]
    assert out["properties-quarter"]["value"] == quarters[-1]
    providers = {o["value"] for o in out["properties-provider"]["options"]}
    assert providers == {"all", *snapshot.properties["provider"].unique()}
    assert set(out["properties-status"]["value"]) == {"in use", "void"}


def test_filters_change_the_points(dash_call, snapshot):
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-2]
    first = update_map(dash_call, quarter, "all", ["in use"])
    figure = first["properties-map"]["figure"]
    points = figure["data"][figures.POINTS]
    expected = props[(props["quarter"] == quarter) & (props["status"] == "in use") & props["lat"].notna()]
    assert len(points["lon"]) == len(expected) > 0
    assert sorted(points["lat"]) == pytest.approx(sorted(expected["lat"].round(5)))
    # the ward choropleth is drawn once, with every ward
    assert len(figure["data"][0]["locations"]) == (snapshot.areas["level"] == "ward").sum()

    patched = update_map(dash_call, quarter, "Mears", ["in use", "void"], figure=figure)
    patch = patched["properties-map"]["figure"]
    assert patch.get("__dash_patch_update") == "__dash_patch_update"
    ops = {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}
    mears = props[
        (props["quarter"] == quarter)
        & (props["provider"] == "Mears")
        & props["status"].isin(["in use", "void"])
        & props["lat"].notna()
    ]
    assert len(ops[("data", figures.POINTS, "lon")]) == len(mears) != len(expected)
    assert not any("geojson" in location for location in ops), "a filter change must not resend geometry"
    assert "properties-table" not in patched, "the list is its own paged table (test_properties_list.py)"
    summary = patched["properties-summary"]["children"]
    mears_all = props[
        (props["quarter"] == quarter) & (props["provider"] == "Mears") & props["status"].isin(["in use", "void"])
    ]
    assert summary.startswith(f"{len(mears_all)} properties in {quarter}")


def test_a_list_too_long_to_draw_is_one_circle_per_la_with_its_count(dash_call, snapshot, monkeypatch):
    """A national list (35,000 properties in the page benchmark) is drawn per LA: at most one marker per LA,
    each saying how many properties, bedspaces and occupied places it stands for, and the key says so."""
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-1]
    shown = props[(props["quarter"] == quarter) & props["status"].isin(["in use", "void"])]
    located = shown[shown["lat"].notna() & shown["lon"].notna()]
    monkeypatch.setattr(figures, "POINT_LIMIT", len(located) - 1)
    out = update_map(dash_call, quarter, "all", ["in use", "void"])
    figure = out["properties-map"]["figure"]
    circles = figure["data"][figures.POINTS]
    las = snapshot.areas[snapshot.areas["level"] == "lad"].set_index("area_code")["area_name"]
    expected = located.groupby("lad_code").agg(n=("lat", "size"), beds=("bedspaces", "sum"))
    assert circles["name"] == figures.COUNTS_NAME
    assert len(circles["lon"]) == len(circles["lat"]) == len(circles["text"]) == len(expected) <= len(las)
    for code, row in expected.iterrows():
        text = next(t for t in circles["text"] if t.startswith(f"<b>{las[code]}</b>"))
        assert f"{row['n']:,} properties on the map" in text and f"{row['beds']:,.0f} bedspaces" in text
    assert len(circles["marker"]["size"]) == len(expected)
    key = dash_call.text(out["properties-key"]["children"])
    assert f"{len(located):,} properties in {len(expected)} local authorities" in key
    assert out["properties-summary"]["children"].startswith(f"{len(shown)} properties in {quarter}")

    # a narrower filter under the limit patches the same trace back to one marker per property
    mears = located[located["provider"] == "Mears"]
    monkeypatch.setattr(figures, "POINT_LIMIT", len(mears))
    patched = update_map(dash_call, quarter, "Mears", ["in use", "void"], figure=figure)
    ops = {tuple(op["location"]): op["params"]["value"] for op in patched["properties-map"]["figure"]["operations"]}
    assert ops[("data", figures.POINTS, "name")] == figures.POINTS_NAME
    assert len(ops[("data", figures.POINTS, "lon")]) == len(mears)
    assert ops[("data", figures.POINTS, "marker", "size")] == 7
    assert "Symbols" in dash_call.text(patched["properties-key"]["children"])


def test_the_change_table_matches_diff_quarters(dash_call, snapshot):
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-1]
    expected = diff_quarters(props[props["quarter"] == previous_quarter(quarter)], props[props["quarter"] == quarter])
    assert len(expected) > 0
    out = update_tables(dash_call, quarter)
    rows = table_rows(out["properties-changes"]["children"], "Changes from")
    assert len(rows) == len(expected)
    assert sorted((r[0], r[3]) for r in rows) == sorted(zip(expected["change"], expected["postcode"].astype(str)))
    counts = expected["change"].value_counts()
    text = str(out["properties-changes"]["children"])
    assert f"{counts.get('new', 0)} new" in text and f"{counts.get('left', 0)} left" in text


def test_postcodes_and_streets_with_several_properties(dash_call, snapshot):
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-1]
    out = update_tables(dash_call, quarter)
    current = props[props["quarter"] == quarter]
    per_postcode = current.groupby("postcode").size()
    rows = table_rows(out["properties-several"]["children"], "Postcodes with two or more")
    assert {r[0] for r in rows} == set(per_postcode[per_postcode >= 2].index)
    assert {int(r[2]) for r in rows} <= set(per_postcode[per_postcode >= 2].to_list())


def test_street_of_reads_the_numbered_part():
    addresses = pd.Series(
        ["Flat 7, 30 Church Way, Wrenhurst", "12a  church way., Wrenhurst", "The Lodge, Mill Lane", None]
    )
    assert figures.street_of(addresses).tolist()[:3] == ["CHURCH WAY", "CHURCH WAY", "THE LODGE"]
    assert pd.isna(figures.street_of(addresses).iloc[3])


def test_the_reconciliation_flags_the_sector_whose_counts_disagree(
    dash_call, demo_store, use_store, snapshot, tmp_path
):
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-1]
    month = f"{quarter[:4]}-{3 * int(quarter[-1]):02d}"
    before = sector_reconciliation(snapshot.records, props, month)
    out = update_tables(dash_call, quarter)
    rows = table_rows(out["properties-reconciliation"]["children"], "Home Office count against")
    assert len(rows) == len(before)
    assert sum(r[0] == "Mismatch" for r in rows) == int(before["mismatch"].sum())

    # Add 12 people in one sector to that month's file: exactly that sector must be flagged.
    url = copy_store(demo_store, tmp_path / "store.sqlite")
    activity = Path(demo_store.removeprefix("sqlite:///")).parent / "inputs" / "activity"
    manifest = pd.read_csv(activity / "manifest.csv", dtype=str)
    plain = manifest[(manifest["month"] == month) & (manifest["layout"] == "long_csv")]
    assert len(plain), "the generated month should include a file in the plain long layout"
    source = activity / plain["path"].iloc[0]
    frame = pd.read_csv(source, dtype=str)
    ours = before[~before["mismatch"] & (before["home_office"] > 0) & (before["lad_code"] == plain["la_code"].iloc[0])]
    agreed = ours[ours["postcode_sector"].isin(frame["postcode_sector"])].iloc[0]
    hit = frame.index[
        (frame["postcode_sector"] == agreed["postcode_sector"]) & frame["accommodation_type"].str.contains("ispersal")
    ][0]
    frame.loc[hit, "people"] = str(int(frame.loc[hit, "people"]) + 12)
    changed = tmp_path / source.name
    frame.to_csv(changed, index=False)
    try:
        ingest.ingest_home_office(db.connect(url), changed)
        with use_store(url):
            out = update_tables(dash_call, quarter)
        rows = table_rows(out["properties-reconciliation"]["children"], "Home Office count against")
        flagged = {(r[1], r[2]) for r in rows if r[0] == "Mismatch"}
        names = snapshot.areas.set_index("area_code")["area_name"]
        was = {(names[a], s) for a, s in before.loc[before["mismatch"], ["lad_code", "postcode_sector"]].to_numpy()}
        assert flagged - was == {(names[agreed["lad_code"]], agreed["postcode_sector"])}
    finally:
        db.dispose(url)

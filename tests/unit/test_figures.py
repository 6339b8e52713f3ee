"""Figure builders: plain dicts, stepped colour scale, status carried by symbols and words, values-only updates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import box, mapping

from app.figures import charts, maps

ROOT = Path(__file__).resolve().parents[2]


def _geometry() -> maps.MapGeometry:
    """A 3x2 grid of square 'wards' (an L-shaped one included) in two LAs."""
    shapes = {
        "W1": box(0, 50, 1, 51),
        "W2": box(1, 50, 2, 51),
        "W3": box(2, 50, 3, 51),
        "W4": box(0, 51, 1, 52),
        "W5": box(1, 51, 3, 52).difference(box(1.5, 51, 3, 51.5)),
    }
    frame = pd.DataFrame({"area_code": list(shapes), "geojson": [json.dumps(mapping(s)) for s in shapes.values()]})
    return maps.map_geometry(frame)


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": ["W1", "W2", "W3", "W4", "W5"],
            "area_name": ["One", "Two", "Three", "Four", "Five"],
            "la_name": ["Alpha", "Alpha", "Alpha", "Beta", "Beta"],
            "lad_code": ["L1", "L1", "L1", "L2", "L2"],
            "people": [10.0, 45.0, 60.0, 0.0, 3.0],
            "population": [10_000.0, 10_000.0, 10_000.0, 5_000.0, float("nan")],
            "share_of_limit": [0.2, 0.9, 1.2, 0.0, float("nan")],
            "headroom": [40.0, 5.0, -10.0, 25.0, float("nan")],
            "status": ["ok", "approaching", "breach", "ok", "unknown"],
        }
    )


def test_colour_scale_breaks_at_approaching_and_limit():
    assert maps.step_colour(0.79) != maps.step_colour(0.80)
    assert maps.step_colour(0.99) != maps.step_colour(1.0)
    assert maps.step_colour(0.80) == maps.step_colour(0.99)
    assert maps.step_colour(3.0) == maps.step_colour(maps.SCALE_MAX)
    assert maps.step_colour(float("nan")) is None
    stops = maps.colour_scale()
    positions = [p for p, _ in stops]
    assert positions[0] == 0 and positions[-1] == 1 and positions == sorted(positions)
    # the stops sit exactly on the thresholds, on the scale's [NO_DATA_Z, SCALE_MAX] range (no data below zero)
    span = maps.SCALE_MAX - maps.NO_DATA_Z
    assert round((maps.APPROACHING - maps.NO_DATA_Z) / span, 6) in positions
    assert round((maps.LIMIT - maps.NO_DATA_Z) / span, 6) in positions
    assert round(-maps.NO_DATA_Z / span, 6) in positions and stops[0][1] == maps.NO_DATA_COLOUR
    # another threshold from the settings moves the break, and only that break
    strict = [p for p, _ in maps.colour_scale(0.9)]
    assert round((0.9 - maps.NO_DATA_Z) / span, 6) in strict and round((0.8 - maps.NO_DATA_Z) / span, 6) not in strict
    assert maps.step_colour(0.85, 0.9) == maps.step_colour(0.5, 0.9) != maps.step_colour(0.85)


def test_colour_steps_get_darker_so_order_reads_without_hue():
    def lightness(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [lightness(colour) for _, _, colour in maps.STEPS]
    assert values == sorted(values, reverse=True)


def test_map_geometry_features_and_points_inside():
    geometry = _geometry()
    assert [f["id"] for f in geometry.features["features"]] == ["W1", "W2", "W3", "W4", "W5"]
    assert geometry.codes == ["W1", "W2", "W3", "W4", "W5"]
    for feature in geometry.features["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        point = geometry.points.loc[feature["id"]]
        assert shape.buffer(1e-4).contains(shapely.Point(point["lon"], point["lat"]))


def test_exteriors_are_wound_clockwise_for_d3():
    ccw = box(0, 50, 1, 51, ccw=True)
    frame = pd.DataFrame({"area_code": ["A"], "geojson": [json.dumps(mapping(ccw))]})
    ring = maps.map_geometry(frame).features["features"][0]["geometry"]["coordinates"][0]
    assert not shapely.is_ccw(shapely.LinearRing(ring))
    assert shapely.Polygon(ring).equals(ccw)


def test_choropleth_traces_hover_and_marks():
    geometry = _geometry()
    figure = maps.choropleth(_rows(), geometry, level="ward", outlines=geometry)
    json.dumps(figure)  # a plain, serialisable dict
    areas = figure["data"][maps.AREAS]
    assert areas["type"] == "choropleth" and areas["featureidkey"] == "id"
    assert areas["geojson"] is geometry.features
    assert areas["locations"] == ["W1", "W2", "W3", "W4", "W5"]
    assert areas["z"] == [0.2, 0.9, 1.2, 0.0, None]
    assert figure["layout"]["geo"]["fitbounds"] == "locations" and figure["layout"]["geo"]["visible"] is False
    assert "local indicator" in areas["hovertemplate"]
    assert areas["customdata"][2] == ["60.0", "1 in 166 residents", "Over the limit", "120%"]
    assert areas["customdata"][3][1] == "nobody supported"
    assert areas["customdata"][4][1:] == ["population not known", "No population figure", "not known"]
    assert "Alpha" in areas["text"][0] and "10,000" in areas["text"][0]
    breach, approaching = figure["data"][maps.BREACH_MARKS], figure["data"][maps.APPROACHING_MARKS]
    assert (breach["lon"], breach["lat"]) == ([geometry.points.loc["W3", "lon"]], [geometry.points.loc["W3", "lat"]])
    assert approaching["lon"] == [geometry.points.loc["W2", "lon"]]
    assert breach["marker"]["symbol"] != approaching["marker"]["symbol"]
    outline = figure["data"][maps.BOUNDARIES]
    assert outline["hoverinfo"] == "skip" and outline["locations"] == geometry.codes


def test_la_level_hover_says_official_flag_and_no_outlines_keeps_trace_indices():
    rows = _rows().drop(columns="la_name")
    figure = maps.choropleth(rows, _geometry(), level="la")
    assert "official flag" in figure["data"][maps.AREAS]["hovertemplate"]
    assert figure["data"][maps.BOUNDARIES]["locations"] == []
    assert len(figure["data"]) == 7 and maps.HIGHLIGHT == 6  # names and the search outline come last


def test_fit_frames_the_chosen_areas_and_names_them():
    geometry = _geometry()
    rows = _rows()
    two = rows[rows["lad_code"] == "L2"]
    figure = maps.choropleth(two, geometry, fit=two["area_code"].tolist())
    geo = figure["layout"]["geo"]
    box = geometry.bounds.loc[["W4", "W5"]]
    assert geo["fitbounds"] is False
    low, high = geo["lonaxis"]["range"]
    assert low < box["minx"].min() < box["maxx"].max() < high
    assert high - low < (box["maxx"].max() - box["minx"].min()) * 1.2 + 0.011
    low, high = geo["lataxis"]["range"]
    assert low < box["miny"].min() < box["maxy"].max() < high
    assert figure["data"][maps.LABELS]["text"] == two["area_name"].tolist()
    assert maps.labels(pd.concat([rows] * 9), geometry)["text"] == []  # 45 areas: no room for names
    outline = maps.highlight(geometry, "W4")
    assert outline["locations"] == ["W4"] and outline["geojson"]["features"][0]["id"] == "W4"


def test_areas_with_no_data_are_grey_marked_and_say_so_never_zero():
    rows = _rows()
    rows.loc[3, ["people", "share_of_limit", "headroom"]] = float("nan")
    rows.loc[3, "status"] = "no_data"
    geometry = _geometry()
    figure = maps.choropleth(rows, geometry, level="ward")
    areas = figure["data"][maps.AREAS]
    assert areas["z"][3] == maps.NO_DATA_Z < 0 and areas["zmin"] == maps.NO_DATA_Z
    assert areas["customdata"][3] == [
        "no data",
        "no file loaded for this month",
        maps.STATUS_WORDS["no_data"],
        "no data",
    ]
    assert areas["colorscale"][0][1] == areas["colorscale"][1][1] == maps.NO_DATA_COLOUR
    assert maps.NO_DATA_COLOUR not in {c for _, c in areas["colorscale"][2:]}
    assert "no data" in areas["colorbar"]["ticktext"]
    marks = figure["data"][maps.NO_DATA_MARKS]
    assert marks["lon"] == [geometry.points.loc["W4", "lon"]] and "No data" in marks["name"]
    assert areas["z"][0] == 0.2  # areas with data keep their share


def test_filtered_rows_draw_only_those_areas():
    rows = _rows()
    figure = maps.choropleth(rows[rows["lad_code"] == "L2"], _geometry())
    assert figure["data"][maps.AREAS]["locations"] == ["W4", "W5"]
    assert figure["data"][maps.BREACH_MARKS]["lon"] == []


def test_value_updates_carry_no_geometry_and_follow_the_map_order():
    geometry = _geometry()
    rows = _rows()
    shuffled = rows.iloc[[4, 2, 0, 3, 1]].assign(
        share_of_limit=[0.5, 1.5, 0.1, 0.3, 0.85], status=["ok", "breach", "ok", "ok", "approaching"]
    )
    updates = maps.value_updates(shuffled, geometry, locations=["W1", "W2", "W3", "W4", "W5"])
    assert "geojson" not in json.dumps(updates)
    assert set(updates[maps.AREAS]) == {"z", "customdata"}
    assert updates[maps.AREAS]["z"] == [0.1, 0.85, 1.5, 0.3, 0.5]
    assert updates[maps.BREACH_MARKS]["lon"] == [geometry.points.loc["W3", "lon"]]
    figure = maps.apply_updates(maps.choropleth(rows, geometry), updates)
    assert figure["data"][maps.AREAS]["z"] == [0.1, 0.85, 1.5, 0.3, 0.5]
    assert figure["data"][maps.AREAS]["geojson"] is geometry.features
    first_draw = maps.value_updates(rows, geometry)
    assert first_draw[maps.AREAS]["locations"] == ["W1", "W2", "W3", "W4", "W5"]


def test_tile_url_switches_to_map_traces_with_a_raster_layer():
    url = "https://tiles.example/{z}/{x}/{y}.png"
    figure = maps.choropleth(_rows(), _geometry(), tile_url=url)
    assert [t["type"] for t in figure["data"]] == [
        "choroplethmap",
        "choroplethmap",
        "scattermap",
        "scattermap",
        "scattermap",
        "scattermap",
        "choroplethmap",
    ]
    assert figure["layout"]["map"]["layers"][0]["source"] == [url]
    assert "geo" not in figure["layout"]


@pytest.mark.parametrize(
    ("people", "population", "words"),
    [
        (1.0, 200.0, "1 in 200 residents"),
        (3.0, 10_000.0, "1 in 3,333 residents"),
        (0.0, 500.0, "nobody supported"),
        (2.0, float("nan"), "population not known"),
    ],
)
def test_one_in(people, population, words):
    assert maps.one_in(people, population) == words


def test_table_rows_label_ward_status_as_local_indicator():
    records = maps.table_rows(_rows(), "ward")
    assert records[2]["status"] == "Over the limit — local indicator"
    assert records[2]["share_of_limit"] == 120.0
    assert maps.table_rows(_rows(), "la")[1]["status"] == "Approaching the limit — official flag"


def test_fair_share_chart_values():
    shares = pd.DataFrame(
        {
            "area_name": ["A", "B"],
            "share_of_people": [0.6, 0.4],
            "share_of_residents": [0.25, 0.75],
            "ratio": [2.4, 0.5333],
        }
    )
    figure = charts.fair_share(shares)
    people, residents = figure["data"]
    assert people["y"] == ["B", "A"] and people["x"] == [0.4, 0.6]
    assert residents["x"] == [0.75, 0.25]
    assert people["customdata"] == [0.53, 2.4]


def test_trends_one_line_per_area_with_limit_line():
    rows = pd.DataFrame(
        {"area_name": ["A", "A", "B", "B"], "month": ["2025-01", "2025-02"] * 2, "share_of_limit": [0.5, 0.6, 1.1, 1.2]}
    )
    figure = charts.trends(rows)
    assert [t["name"] for t in figure["data"]] == ["A", "B"]
    assert figure["data"][1]["y"] == [1.1, 1.2]
    assert {s["y0"] for s in figure["layout"]["shapes"]} == {maps.LIMIT, maps.APPROACHING}


def test_trends_of_many_areas_are_one_trace_with_every_value_and_its_name():
    names = [f"LA {i:03d}" for i in range(charts.MANY_LINES + 1)]
    months = ["2025-01", "2025-02", "2025-03"]
    rows = pd.DataFrame(
        [(n, m, round(0.01 * i + 0.1 * j, 3)) for i, n in enumerate(names) for j, m in enumerate(months)],
        columns=["area_name", "month", "share_of_limit"],
    )
    figure = charts.trends(rows, highlight=["LA 003"])
    every, chosen = figure["data"]
    assert str(len(names)) in every["name"] and str(len(names)) in figure["layout"]["title"]["text"]
    values = [(t, x, y) for t, x, y in zip(every["text"], every["x"], every["y"]) if x is not None]
    assert sorted(values) == sorted(rows[["area_name", "month", "share_of_limit"]].itertuples(index=False, name=None))
    assert every["x"].count(None) == len(names)  # a gap after each area: no line joins two areas
    assert chosen["name"] == "LA 003" and chosen["y"] == [0.03, 0.13, 0.23]


def test_accommodation_mix_stacks_by_type():
    mix = pd.DataFrame(
        {
            "month": ["2025-01", "2025-01", "2025-02"],
            "accommodation_type": ["dispersal", "contingency", "dispersal"],
            "people": [10.0, 4.0, 12.0],
        }
    )
    figure = charts.accommodation_mix(mix)
    assert figure["layout"]["barmode"] == "stack"
    by_name = {t["name"]: t["y"] for t in figure["data"]}
    assert by_name == {"Dispersal": [10.0, 12.0], "Contingency": [4.0, 0.0]}


def test_national_context_highlights_the_region():
    rates = pd.DataFrame(
        {"local_authority": ["X", "Y", "Z"], "people": [100, 300, 200], "in_region": [False, True, False]}
    )
    figure = charts.national_context(rates, "North East")
    others, region = figure["data"]
    assert region["name"] == "North East" and region["text"] == ["Y"] and region["x"] == [0]
    assert others["text"] == ["Z", "X"]


def test_plan_vs_actual_and_empty_messages():
    frame = pd.DataFrame({"area_name": ["A"], "allocation": [120], "occupied": [98.0]})
    figure = charts.plan_vs_actual(frame)
    assert figure["data"][0]["y"] == [120] and figure["data"][1]["y"] == [98.0]
    empty = charts.plan_vs_actual(pd.DataFrame())
    assert empty["data"] == [] and "allocation" in empty["layout"]["annotations"][0]["text"].lower()


def test_figure_modules_do_not_import_dash():
    code = "import sys, app.figures.maps, app.figures.charts; print('dash' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

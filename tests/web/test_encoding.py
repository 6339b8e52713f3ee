"""Dash responses encoded in one orjson pass (app.web.encoding) say exactly what plotly's encoder says."""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import plotly.io.json as plotly_json
from dash import Patch, dash_table, dcc, html
from plotly.io import _json as plotly_engine

from app.web import encoding


def both(value) -> tuple[str, str]:
    return encoding.to_json_plotly(value), plotly_engine.to_json_plotly(value)


def test_a_layout_with_a_figure_and_a_table_is_encoded_as_plotly_encodes_it():
    figure = {
        "data": [
            {
                "type": "choropleth",
                "geojson": {"type": "FeatureCollection", "features": [{"id": "E1", "geometry": [[[0.5, 1.25]]]}]},
                "z": np.array([0.5, np.nan]),
                "text": ["<b>Ward</b> & co", "a/b \u2028"],
            }
        ],
        "layout": {"height": 560, "title": {"text": "x < y"}},
    }
    layout = html.Div(
        [
            html.H1("Ward map"),
            dcc.Graph(id="map", figure=figure),
            dash_table.DataTable(id="t", data=[{"a": np.int64(3), "b": 2.5, "c": None, "d": float("nan")}]),
            html.P(["Signed in as ", html.Strong("ann")]),
        ]
    )
    fast, plain = both({"response": {"_pages_content": {"children": layout}}, "multi": True})
    assert fast == plain


def test_values_orjson_cannot_take_go_to_plotly():
    patch = Patch()
    patch["data"][0]["z"] = [1, 2]
    for value in (
        {"x": pd.NA},
        {"x": decimal.Decimal("1.5")},
        {"x": pd.Timestamp("2025-01-31")},
        {"x": datetime.date(2025, 1, 31)},
        {"x": np.arange(6).reshape(2, 3)[:, 1]},
        {"x": patch},
    ):
        fast, plain = both(value)
        assert fast == plain, value


def test_dash_encodes_through_it_once_the_app_is_made(web_app):
    assert plotly_json.to_json_plotly is encoding.to_json_plotly

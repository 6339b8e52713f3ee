"""Choropleth maps of position against the cluster limit, as plain plotly figure dicts.

No Dash and no plotly validation here (validation doubles build time); the
web pages and other figure modules call these functions.

API (stable; the Properties and Property check pages reuse it for small maps)::

    from app.figures import maps

    geometry = maps.map_geometry(queries.display_geometry(conn, "coarse", "ward"))  # build once, cache it
    outlines = maps.map_geometry(queries.display_geometry(conn, "coarse", "lad"))   # optional LA boundaries
    figure = maps.choropleth(rows, geometry, level="ward", outlines=outlines)
    updates = maps.value_updates(rows, geometry, level="ward")   # {trace index: {property: values}}

``rows``: monitoring-table rows (:attr:`app.monitoring.Snapshot.table`) of
ONE month, with ``area_code``, ``area_name``, ``people``, ``population``,
``share_of_limit`` and ``status``; optional ``la_name`` (shown in the hover
of wards). Only the areas in ``rows`` are drawn, so filter ``rows`` to one
LA to draw one LA: ``fitbounds="locations"`` zooms to them.

Figure shape (trace indices are constants so that callers can patch):
- :data:`AREAS` (0): ``choropleth`` of the areas, ``z`` = share of the limit on a stepped,
  colour-blind-safe scale with breaks at :data:`APPROACHING` (0.8) and the limit (1.0);
  hover from ``text`` (name, LA, population) and ``customdata`` (people, "1 in N", status in words).
- :data:`BOUNDARIES` (1): LA outlines over the wards (transparent fill, dark line), only when
  ``outlines`` is given; otherwise an empty placeholder trace so that indices never move.
- :data:`BREACH_MARKS` (2), :data:`APPROACHING_MARKS` (3): ``scattergeo`` symbols at the
  representative points of areas over / near the limit, so that status never relies on colour.

``value_updates`` returns what changes with the month or the LA filter (never geometry):
``locations``, ``z``, ``customdata`` and ``text`` of :data:`AREAS`, ``lon``/``lat`` of the
marker traces. ``apply_updates`` applies them to a figure dict (tests; a ``dash.Patch`` is
filled the same way). With ``tile_url`` the same traces become ``choroplethmap`` /
``scattermap`` over a raster tile layer (``DISPERSAL_TILE_URL``); the default is offline.

Offline: a ``choropleth`` (geo) trace makes plotly.js fetch a world topojson even when the
base map is hidden, so every ``dcc.Graph`` showing these figures must pass :data:`GRAPH_CONFIG`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from app.figures.markup import inert_series

AREAS, BOUNDARIES, BREACH_MARKS, APPROACHING_MARKS = 0, 1, 2, 3
APPROACHING = 0.8
LIMIT = 1.0
#: Colours stop here; larger shares take the darkest colour (the hover gives the true figure).
SCALE_MAX = 1.5

#: ColorBrewer YlOrBr steps: lightness falls monotonically, so the order reads without colour vision.
STEPS: tuple[tuple[float, float, str], ...] = (
    (0.0, 0.4, "#fff7bc"),
    (0.4, APPROACHING, "#fec44f"),
    (APPROACHING, LIMIT, "#ec7014"),
    (LIMIT, 1.2, "#993404"),
    (1.2, SCALE_MAX, "#4d1a02"),
)
INK = "#0b0c0c"
BOUNDARY_COLOUR = "#0b0c0c"

#: ``config`` for every dcc.Graph holding a geo map: the vendored topojson, no mode bar clutter.
GRAPH_CONFIG = {
    "topojsonURL": "/assets/topojson/",
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": False,
}

STATUS_WORDS = {
    "breach": "Over the limit",
    "approaching": "Approaching the limit",
    "ok": "Within the limit",
    "unknown": "No population figure",
}
FLAG_WORDS = {"ward": "local indicator", "la": "official flag", "region": "regional total"}


def status_words(status: str, level: str) -> str:
    """A status in words with what kind of flag it is, e.g. "Over the limit — local indicator"."""
    return f"{STATUS_WORDS.get(status, STATUS_WORDS['unknown'])} — {FLAG_WORDS.get(level, level)}"


def colour_scale() -> list[list]:
    """The stepped colour scale on ``[0, SCALE_MAX]`` as plotly stops (each step's colour twice)."""
    stops: list[list] = []
    for low, high, colour in STEPS:
        stops += [[round(low / SCALE_MAX, 6), colour], [round(high / SCALE_MAX, 6), colour]]
    return stops


def step_colour(share: float) -> str | None:
    """The colour the map gives a share of the limit (None when unknown)."""
    if share is None or share != share:
        return None
    for low, high, colour in STEPS:
        if share < high:
            return colour
    return STEPS[-1][2]


@dataclass(frozen=True)
class MapGeometry:
    """Display geometry of one level and detail, ready to send once.

    ``features``: a GeoJSON FeatureCollection whose features carry ``id`` = area code;
    ``points``: a representative point inside each area (``lon``, ``lat``), indexed by area code.
    """

    features: dict
    points: pd.DataFrame

    @property
    def codes(self) -> list[str]:
        return list(self.points.index)


def map_geometry(frame: pd.DataFrame) -> MapGeometry:
    """From :func:`app.store.queries.display_geometry` (``area_code``, ``geojson`` text)."""
    codes = frame["area_code"].astype(str).tolist()
    texts = frame["geojson"].astype(str).tolist()
    shapes = shapely.from_geojson(np.array(texts, dtype=object)) if texts else np.array([], dtype=object)
    # plotly's geo traces draw with d3-geo, which reads a counter-clockwise exterior (the RFC 7946 order) as
    # "the whole globe except this shape": wind exteriors clockwise or such an area floods the map.
    wound = shapely.orient_polygons(shapes, exterior_cw=True) if len(codes) else shapes
    features = [
        {"type": "Feature", "id": code, "properties": {}, "geometry": json.loads(text)}
        for code, text in zip(codes, shapely.to_geojson(wound).tolist() if len(codes) else [])
    ]
    inside = shapely.point_on_surface(shapes) if len(codes) else shapes
    points = pd.DataFrame(
        {"lon": np.round(shapely.get_x(inside), 4), "lat": np.round(shapely.get_y(inside), 4)},
        index=pd.Index(codes, name="area_code"),
    )
    return MapGeometry({"type": "FeatureCollection", "features": features}, points)


def one_in(people: float, population: float) -> str:
    """"1 in N residents" in words."""
    if population is None or population != population or population <= 0:
        return "population not known"
    if not people or people != people or people <= 0:
        return "nobody supported"
    return f"1 in {math.floor(population / people):,} residents"


def _rounded(values: pd.Series, digits: int) -> list:
    return [None if v != v else round(float(v), digits) for v in values.to_numpy(dtype=float)]


def _area_text(rows: pd.DataFrame, level: str) -> list[str]:
    names = inert_series(rows["area_name"]).fillna(inert_series(rows["area_code"]))
    text = "<b>" + names + "</b>"
    if level == "ward" and "la_name" in rows:
        text = text + ", " + inert_series(rows["la_name"]).fillna("")
    population = rows["population"].map(lambda p: "not known" if p != p else f"{p:,.0f}")
    return (text + "<br>Residents: " + population).tolist()


def _customdata(rows: pd.DataFrame) -> list[list]:
    people = rows["people"].to_numpy(dtype=float)
    population = rows["population"].to_numpy(dtype=float)
    words = [STATUS_WORDS.get(s, STATUS_WORDS["unknown"]) for s in rows["status"].astype(str)]
    return [[round(float(p), 1), one_in(p, n), w] for p, n, w in zip(people, population, words)]


def hover_template(level: str) -> str:
    """Ward/LA, residents, people, "1 in N residents", share of the limit, status in words and kind of flag."""
    return (
        "%{text}<br>People supported: %{customdata[0]:,}<br>%{customdata[1]}"
        f"<br>Share of the limit: %{{z:.0%}}<br>%{{customdata[2]}} — {FLAG_WORDS.get(level, level)}<extra></extra>"
    )


def _marks(rows: pd.DataFrame, geometry: MapGeometry, status: str) -> dict:
    codes = rows.loc[rows["status"].astype(str) == status, "area_code"].astype(str)
    points = geometry.points.reindex(codes).dropna()
    return {"lon": points["lon"].tolist(), "lat": points["lat"].tolist()}


def value_updates(
    rows: pd.DataFrame, geometry: MapGeometry, level: str = "ward", locations: list[str] | None = None
) -> dict[int, dict]:
    """What a month or LA change alters, per trace index (never geometry).

    With ``locations`` (the areas already on the map, in order: a month change) only the values
    are sent, in that order; without (first draw or another LA), also ``locations`` and ``text``.
    """
    codes = rows["area_code"].astype(str)
    if locations is not None:
        rows = rows.drop(columns="area_code").set_axis(codes.to_numpy()).reindex(locations)
        rows = rows.rename_axis("area_code").reset_index()
    else:
        rows = rows[codes.isin(geometry.points.index).to_numpy()]
    areas = {"z": _rounded(rows["share_of_limit"], 3), "customdata": _customdata(rows)}
    if locations is None:
        areas = {"locations": rows["area_code"].astype(str).tolist(), "text": _area_text(rows, level), **areas}
    return {
        AREAS: areas,
        BREACH_MARKS: _marks(rows, geometry, "breach"),
        APPROACHING_MARKS: _marks(rows, geometry, "approaching"),
    }


def apply_updates(figure: dict, updates: dict[int, dict]) -> dict:
    """Apply :func:`value_updates` to a figure dict in place (what a ``dash.Patch`` does in the browser)."""
    for index, values in updates.items():
        figure["data"][index].update(values)
    return figure


def _marker_trace(kind: str, name: str, symbol: str, size: int, tiles: bool) -> dict:
    trace = {
        "type": "scattermap" if tiles else "scattergeo",
        "mode": "markers",
        "name": name,
        "lon": [],
        "lat": [],
        "hoverinfo": "skip",
        "showlegend": True,
        "marker": {"symbol": symbol, "size": size, "color": INK if not tiles else "#0b0c0c"},
    }
    if not tiles:
        trace["marker"]["line"] = {"color": "#ffffff", "width": 1}
    else:
        trace["marker"]["symbol"] = "circle"
    trace["meta"] = kind
    return trace


def choropleth(
    rows: pd.DataFrame,
    geometry: MapGeometry,
    level: str = "ward",
    outlines: MapGeometry | None = None,
    title: str | None = None,
    tile_url: str | None = None,
    height: int = 560,
    uirevision: str | None = None,
) -> dict:
    """A full map figure: areas coloured by share of the limit, LA outlines, status symbols."""
    tiles = bool(tile_url)
    kind = "choroplethmap" if tiles else "choropleth"
    flag = FLAG_WORDS.get(level, level)
    areas = {
        "type": kind,
        "name": "Share of the limit",
        "geojson": geometry.features,
        "featureidkey": "id",
        "zmin": 0,
        "zmax": SCALE_MAX,
        "colorscale": colour_scale(),
        "marker": {"line": {"color": "#ffffff" if level == "ward" else "#505a5f", "width": 0.5}},
        "hovertemplate": hover_template(level),
        "showlegend": False,
        "colorbar": {
            "title": {"text": f"Share of the limit<br>({flag})", "side": "top"},
            "tickvals": [0, 0.4, APPROACHING, LIMIT, 1.2, SCALE_MAX],
            "ticktext": ["0%", "40%", "80% approaching", "100% limit", "120%", "150% or more"],
            "thickness": 14,
            "len": 0.75,
            "x": 1.0,
        },
    }
    if tiles:
        areas["marker"]["opacity"] = 0.75
    boundaries: dict = {"type": kind, "geojson": {"type": "FeatureCollection", "features": []},
                        "featureidkey": "id", "locations": [], "z": [], "hoverinfo": "skip",
                        "showscale": False, "showlegend": False, "name": "LA boundaries"}
    if outlines is not None:
        boundaries.update(
            geojson=outlines.features,
            locations=outlines.codes,
            z=[0] * len(outlines.codes),
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            marker={"line": {"color": BOUNDARY_COLOUR, "width": 1.8}},
        )
    figure = {
        "data": [
            areas,
            boundaries,
            _marker_trace("breach", "Over the limit", "triangle-up", 11, tiles),
            _marker_trace("approaching", "Approaching the limit", "circle-open", 9, tiles),
        ],
        "layout": {
            "margin": {"l": 0, "r": 0, "t": 36 if title else 4, "b": 0},
            "height": height,
            "font": {"family": "Arial, Helvetica, sans-serif", "size": 14, "color": INK},
            "legend": {"orientation": "h", "x": 0, "y": 0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)"},
            "uirevision": uirevision or "map",
            "paper_bgcolor": "#ffffff",
        },
    }
    if title:
        figure["layout"]["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}
    if tiles:
        points = geometry.points
        centre = {"lon": float(points["lon"].mean()), "lat": float(points["lat"].mean())} if len(points) else {}
        figure["layout"]["map"] = {
            "style": "white-bg",
            "center": centre,
            "zoom": 8,
            "layers": [{"sourcetype": "raster", "source": [tile_url], "below": "traces"}],
        }
    else:
        figure["layout"]["geo"] = {
            "fitbounds": "locations",
            "visible": False,
            "showframe": False,
            "projection": {"type": "mercator"},
            "bgcolor": "rgba(0,0,0,0)",
        }
    return apply_updates(figure, value_updates(rows, geometry, level))


def table_rows(rows: pd.DataFrame, level: str = "ward") -> list[dict]:
    """The same figures as the map, as records for a table (the map's accessible alternative)."""
    out = pd.DataFrame(
        {
            "area_code": rows["area_code"].astype(str),
            "area_name": rows["area_name"].astype("string").fillna(""),
            "la_name": rows["la_name"].astype("string").fillna("") if "la_name" in rows else "",
            "people": rows["people"].round(1),
            "population": rows["population"],
            "one_in": [one_in(p, n) for p, n in zip(rows["people"], rows["population"])],
            "share_of_limit": (rows["share_of_limit"] * 100).round(1),
            "headroom": rows["headroom"].round(1) if "headroom" in rows else np.nan,
            "status": [status_words(s, level) for s in rows["status"].astype(str)],
        }
    )
    return json.loads(out.to_json(orient="records"))

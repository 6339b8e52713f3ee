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
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from app.figures import palette
from app.figures.markup import inert_series

#: Ward names are written on the map when no more areas than this are drawn (there is room to read them).
MAX_LABELS = 40
#: Margin around the areas a map is fitted to, as a share of their extent.
FIT_PAD = 0.06

AREAS, BOUNDARIES, BREACH_MARKS, APPROACHING_MARKS, NO_DATA_MARKS, LABELS, HIGHLIGHT = 0, 1, 2, 3, 4, 5, 6
#: The default threshold; every figure takes ``approaching`` from the settings (:mod:`app.figures.palette`).
APPROACHING = palette.DEFAULT_APPROACHING
LIMIT, SCALE_MAX, INK = palette.LIMIT, palette.SCALE_MAX, palette.INK
NO_DATA_Z, NO_DATA_COLOUR = palette.NO_DATA_Z, palette.NO_DATA_COLOUR
STEPS = palette.steps(APPROACHING)
BOUNDARY_COLOUR = "#0b0c0c"

#: The vendored world topojson plotly's geo traces ask for (served at ``/assets/topojson/``, inlined in packs).
TOPOJSON_DIR = Path(__file__).resolve().parent / "assets" / "topojson"

#: ``config`` for every dcc.Graph holding a geo map: the vendored topojson, no mode bar clutter.
GRAPH_CONFIG = {
    "topojsonURL": "/assets/topojson/",
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": True,
}

STATUS_WORDS = palette.STATUS_WORDS
FLAG_WORDS = palette.FLAG_WORDS
status_words = palette.status_words
colour_scale = palette.colour_scale
step_colour = palette.step_colour


@dataclass(frozen=True)
class MapGeometry:
    """Display geometry of one level and detail, ready to send once.

    ``features``: a GeoJSON FeatureCollection whose features carry ``id`` = area code;
    ``points``: a representative point inside each area (``lon``, ``lat``), indexed by area code.
    """

    features: dict
    points: pd.DataFrame
    #: each area's extent (``minx``, ``miny``, ``maxx``, ``maxy`` in degrees), indexed by area code
    bounds: pd.DataFrame | None = None

    @property
    def codes(self) -> list[str]:
        return list(self.points.index)

    def feature(self, code: str) -> dict | None:
        return next((f for f in self.features["features"] if f["id"] == code), None)


def fitted_view(geometry: MapGeometry, codes: list[str]) -> dict | None:
    """The ``layout.geo`` axis ranges that frame these areas (with a margin), or None when none is known."""
    if geometry.bounds is None:
        return None
    box = geometry.bounds.reindex([str(c) for c in codes]).dropna()
    if box.empty:
        return None
    minx, miny, maxx, maxy = box["minx"].min(), box["miny"].min(), box["maxx"].max(), box["maxy"].max()
    padx, pady = max((maxx - minx) * FIT_PAD, 0.005), max((maxy - miny) * FIT_PAD, 0.005)
    return {
        "lonaxis": {"range": [round(minx - padx, 4), round(maxx + padx, 4)]},
        "lataxis": {"range": [round(miny - pady, 4), round(maxy + pady, 4)]},
    }


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
    index = pd.Index(codes, name="area_code")
    points = pd.DataFrame(
        {"lon": np.round(shapely.get_x(inside), 4), "lat": np.round(shapely.get_y(inside), 4)},
        index=index,
    )
    extents = shapely.bounds(shapes) if len(codes) else np.empty((0, 4))
    bounds = pd.DataFrame(extents, columns=["minx", "miny", "maxx", "maxy"], index=index)
    return MapGeometry({"type": "FeatureCollection", "features": features}, points, bounds)


def one_in(people: float, population: float) -> str:
    """ "1 in N residents" in words."""
    if population is None or population != population or population <= 0:
        return "population not known"
    if people is None or people != people:
        return "not known"  # no data, or a count the user may not see: never "nobody"
    if people <= 0:
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
    """Per area: people, "1 in N", status words, share of the limit, all as text ("no data" where there is none)."""
    people = rows["people"].to_numpy(dtype=float)
    population = rows["population"].to_numpy(dtype=float)
    shares = rows["share_of_limit"].to_numpy(dtype=float)
    words = [STATUS_WORDS.get(s, STATUS_WORDS["unknown"]) for s in rows["status"].astype(str)]
    statuses = rows["status"].astype(str).tolist()
    shown = rows["people_text"].tolist() if "people_text" in rows else [None] * len(rows)
    rates = rows["one_in_text"].tolist() if "one_in_text" in rows else [None] * len(rows)
    return [
        ["no data", "no file loaded for this month", w, "no data"]
        if s == "no_data" or (p != p and t is None)
        else [
            t if t is not None else f"{p:,.1f}",
            r if r is not None else one_in(p, n),
            w,
            "not known" if z != z else f"{z:.0%}",
        ]
        for p, n, w, z, s, t, r in zip(people, population, words, shares, statuses, shown, rates)
    ]


#: Members' hover: the count as they may read it, "1 in N" said from the status band, the status.
MEMBER_HOVER = (
    "%{text}<br>People supported (rounded to 5): %{customdata[0]}<br>%{customdata[1]}<br>"
    "%{customdata[2]} — local indicator<extra></extra>"
)


def _z(rows: pd.DataFrame) -> list:
    """Share of the limit for the colour; areas with no data get the grey step below zero."""
    values = _rounded(rows["share_of_limit"], 3)
    missing = (
        rows["status"].astype(str).eq("no_data").to_numpy()
        if "people_text" in rows
        else rows["people"].isna().to_numpy()
    )
    return [NO_DATA_Z if gone else v for v, gone in zip(values, missing)]


def hover_template(level: str) -> str:
    """Ward/LA, residents, people, "1 in N residents", share of the limit, status in words and kind of flag."""
    return (
        "%{text}<br>People supported: %{customdata[0]}<br>%{customdata[1]}"
        f"<br>Share of the limit: %{{customdata[3]}}<br>%{{customdata[2]}} — {FLAG_WORDS.get(level, level)}"
        "<extra></extra>"
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
    areas = {"z": _z(rows), "customdata": _customdata(rows)}
    updates = {
        AREAS: areas,
        BREACH_MARKS: _marks(rows, geometry, "breach"),
        APPROACHING_MARKS: _marks(rows, geometry, "approaching"),
        NO_DATA_MARKS: _marks(rows, geometry, "no_data"),
    }
    if locations is None:
        areas.update(locations=rows["area_code"].astype(str).tolist(), text=_area_text(rows, level))
        updates = {AREAS: areas, **{k: v for k, v in updates.items() if k != AREAS}, LABELS: labels(rows, geometry)}
    return updates


def labels(rows: pd.DataFrame, geometry: MapGeometry) -> dict:
    """Area names written at their points when there is room (at most :data:`MAX_LABELS` areas), else none."""
    if len(rows) > MAX_LABELS:
        return {"lon": [], "lat": [], "text": []}
    points = geometry.points.reindex(rows["area_code"].astype(str))
    keep = points["lon"].notna().to_numpy()
    names = rows["area_name"].astype("string").fillna("").to_numpy()[keep]
    return {"lon": points["lon"][keep].tolist(), "lat": points["lat"][keep].tolist(), "text": list(names)}


def highlight(geometry: MapGeometry, code: str | None) -> dict:
    """The outline trace's values for one area (a search result), or empty."""
    feature = geometry.feature(code) if code else None
    if feature is None:
        return {"geojson": {"type": "FeatureCollection", "features": []}, "locations": [], "z": []}
    return {"geojson": {"type": "FeatureCollection", "features": [feature]}, "locations": [code], "z": [0]}


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
    approaching: float = APPROACHING,
    bands: bool = False,
    fit: list[str] | None = None,
) -> dict:
    """A full map figure: areas coloured by share of the limit, LA outlines, status symbols, names.

    ``approaching``: the settings' threshold (the colour breaks and legend follow it). ``bands``: the legend
    names the status bands, not a % scale (members, whose rows carry a share inside each band).
    ``fit``: area codes of ``geometry`` to frame (e.g. the chosen LA's wards); otherwise the map fits every
    location drawn, outlines included.
    """
    tiles = bool(tile_url)
    kind = "choroplethmap" if tiles else "choropleth"
    flag = FLAG_WORDS.get(level, level)
    areas = {
        "type": kind,
        "name": "Share of the limit",
        "geojson": geometry.features,
        "featureidkey": "id",
        "zmin": NO_DATA_Z,
        "zmax": SCALE_MAX,
        "colorscale": colour_scale(approaching),
        "marker": {"line": {"color": "#ffffff" if level == "ward" else "#505a5f", "width": 0.5}},
        "hovertemplate": hover_template(level),
        "showlegend": False,
        "colorbar": palette.colour_bar(flag, approaching, bands=bands),
    }
    if tiles:
        areas["marker"]["opacity"] = 0.75
    boundaries: dict = {
        "type": kind,
        "geojson": {"type": "FeatureCollection", "features": []},
        "featureidkey": "id",
        "locations": [],
        "z": [],
        "hoverinfo": "skip",
        "showscale": False,
        "showlegend": False,
        "name": "LA boundaries",
    }
    if outlines is not None:
        boundaries.update(
            geojson=outlines.features,
            locations=outlines.codes,
            z=[0] * len(outlines.codes),
            colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            marker={"line": {"color": BOUNDARY_COLOUR, "width": 1.8}},
        )
    names = {
        "type": "scattermap" if tiles else "scattergeo",
        "mode": "text",
        "name": "Ward names",
        "lon": [],
        "lat": [],
        "text": [],
        "hoverinfo": "skip",
        "showlegend": False,
        "textfont": {"size": 11, "color": INK, "family": "Arial, Helvetica, sans-serif"},
    }
    outline = {
        "type": kind,
        "name": "Found",
        "featureidkey": "id",
        "hoverinfo": "skip",
        "showscale": False,
        "showlegend": False,
        "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        "marker": {"line": {"color": "#1d70b8", "width": 4}},
        **highlight(geometry, None),
    }
    figure = {
        "data": [
            areas,
            boundaries,
            _marker_trace("breach", "Over the limit", "triangle-up", 11, tiles),
            _marker_trace("approaching", "Approaching the limit", "circle-open", 9, tiles),
            _marker_trace("no_data", "No data (no file this month)", "x-thin-open", 8, tiles),
            names,
            outline,
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
        view = fitted_view(geometry, fit) if fit is not None else None
        if view:
            figure["layout"]["geo"].update(fitbounds=False, **view)
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
            "one_in": (
                rows["one_in_text"].tolist()
                if "one_in_text" in rows
                else [one_in(p, n) for p, n in zip(rows["people"], rows["population"])]
            ),
            "share_of_limit": (rows["share_of_limit"] * 100).round(1),
            "headroom": rows["headroom"].round(1) if "headroom" in rows else np.nan,
            "status": [status_words(s, level) for s in rows["status"].astype(str)],
        }
    )
    return json.loads(out.to_json(orient="records"))

"""Provider properties over the ward map, and the tables that go with it; plain dicts, no Dash.

The ward choropleth comes from :mod:`app.figures.maps`; properties are one
extra ``scattergeo`` trace (:data:`POINTS`) so that a filter change patches
that trace and never resends geometry. Occupancy is carried by the marker
symbol as well as its colour, and spelled out in the hover and the table.

A national list (tens of thousands of properties over many LAs) is too many markers to draw or read: above
:data:`POINT_LIMIT` located properties in more than one LA the trace holds one circle per LA instead, sized by
its number of properties, and the hover and the key say so (the paged list below still has every property).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.figures import maps
from app.figures.markup import inert_series

POINTS = maps.HIGHLIGHT + 1  # after every trace of the ward map
#: Most located properties drawn one marker each when they lie in more than one LA (one LA: always each).
POINT_LIMIT = 2_000
COUNT_COLOUR = "#0072B2"
COUNT_SIZES = (8, 40)  # diameter in px of the smallest and the largest LA circle
POINTS_NAME = "Properties (symbol = occupancy)"
COUNTS_NAME = "Properties per local authority (bigger circle = more)"
#: (label, symbol, colour): Okabe-Ito colours, and a different symbol for each, so colour is not needed.
OCCUPANCY = {
    "empty": ("Empty", "circle-open", "#0072B2"),
    "part": ("Partly occupied", "diamond", "#009E73"),
    "full": ("Full", "circle", "#D55E00"),
    "over": ("More people than bedspaces", "x", "#000000"),
    "unknown": ("Occupancy not given", "square-open", "#505a5f"),
}


def occupancy_band(occupied: pd.Series, bedspaces: pd.Series) -> pd.Series:
    """empty / part / full / over / unknown from occupied and bedspaces."""
    occ = pd.to_numeric(occupied, errors="coerce").astype("float64")
    beds = pd.to_numeric(bedspaces, errors="coerce").astype("float64")
    band = np.select(
        [occ.isna() | beds.isna() | (beds <= 0), occ <= 0, occ < beds, occ == beds],
        ["unknown", "empty", "part", "full"],
        "over",
    )
    return pd.Series(band, index=occupied.index)


def located(props: pd.DataFrame) -> pd.DataFrame:
    return props[props["lat"].notna() & props["lon"].notna()]


def drawn_per_la(props: pd.DataFrame, limit: int | None = None) -> bool:
    """Whether the map shows one circle per LA rather than each property (more than ``limit``, default
    :data:`POINT_LIMIT`, over several LAs)."""
    places = located(props)
    return len(places) > (POINT_LIMIT if limit is None else limit) and places["lad_code"].nunique() > 1


def la_counts(props: pd.DataFrame, la_names: pd.Series, la_points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Located properties per LA: ``lad_code``, ``la``, ``properties``, ``bedspaces``, ``occupied``, and where
    its circle goes (``lon``, ``lat``: the LA's point in ``la_points``, else the mean of its properties), the
    largest first."""
    places = located(props)
    frame = pd.DataFrame(
        {
            "lad_code": places["lad_code"].astype("string").fillna("not found"),
            "bedspaces": pd.to_numeric(places["bedspaces"], errors="coerce"),
            "occupied": pd.to_numeric(places["occupied"], errors="coerce"),
            "lon": places["lon"].astype("float64"),
            "lat": places["lat"].astype("float64"),
        }
    )
    counts = frame.groupby("lad_code", as_index=False).agg(
        properties=("lat", "size"),
        bedspaces=("bedspaces", "sum"),
        occupied=("occupied", "sum"),
        lon=("lon", "mean"),
        lat=("lat", "mean"),
    )
    counts["la"] = counts["lad_code"].map(la_names).astype("string").fillna(counts["lad_code"])
    if la_points is not None:
        at = la_points.reindex(counts["lad_code"].astype(str)).set_index(counts.index)
        counts["lon"] = at["lon"].astype("float64").fillna(counts["lon"])
        counts["lat"] = at["lat"].astype("float64").fillna(counts["lat"])
    return counts.sort_values(["properties", "la"], ascending=[False, True]).reset_index(drop=True)


def counts_update(props: pd.DataFrame, la_names: pd.Series, la_points: pd.DataFrame | None = None) -> dict:
    """The properties trace as one circle per LA, its diameter growing with the square root of its number of
    properties (so its area with the number)."""
    counts = la_counts(props, la_names, la_points)
    smallest, largest = COUNT_SIZES
    scale = (
        np.sqrt(counts["properties"] / max(int(counts["properties"].max()), 1)) if len(counts) else counts["properties"]
    )
    text = [
        f"<b>{la}</b><br>{n:,} properties on the map<br>{b:,.0f} bedspaces, {o:,.0f} occupied"
        for la, n, b, o in zip(
            inert_series(counts["la"]),
            counts["properties"],
            counts["bedspaces"].fillna(0),
            counts["occupied"].fillna(0),
        )
    ]
    return {
        "name": COUNTS_NAME,
        "lon": counts["lon"].round(5).tolist(),
        "lat": counts["lat"].round(5).tolist(),
        "text": text,
        "marker.symbol": "circle",
        "marker.color": COUNT_COLOUR,
        "marker.size": [round(smallest + (largest - smallest) * float(v), 1) for v in scale],
        "marker.opacity": 0.75,
    }


def trace_update(
    props: pd.DataFrame, la_names: pd.Series, la_points: pd.DataFrame | None = None, limit: int | None = None
) -> dict:
    """Every value of the properties trace for a filtered list, each property or per LA (what a filter
    change patches, so that it can switch between the two)."""
    if drawn_per_la(props, limit):
        return counts_update(props, la_names, la_points)
    return {"name": POINTS_NAME, **points_update(props), "marker.size": 7, "marker.opacity": 1}


def points_update(props: pd.DataFrame) -> dict:
    """The values of the properties trace drawing each property of a filtered list."""
    located_props = located(props)
    band = occupancy_band(located_props["occupied"], located_props["bedspaces"])
    occ = pd.to_numeric(located_props["occupied"], errors="coerce")
    text = [
        f"{a}<br>{p} · {prov}<br>{o if o == o else 'occupancy not given'} of {b} bedspaces occupied"
        f"<br>{OCCUPANCY[k][0]} · status: {s}"
        for a, p, prov, o, b, k, s in zip(
            inert_series(located_props["address"]).fillna(""),
            inert_series(located_props["postcode"]).fillna(""),
            inert_series(located_props["provider"]).fillna(""),
            occ.round(1).tolist(),
            inert_series(located_props["bedspaces"]).fillna("?"),
            band,
            inert_series(located_props["status"]).fillna(""),
        )
    ]
    return {
        "lon": located_props["lon"].round(5).tolist(),
        "lat": located_props["lat"].round(5).tolist(),
        "text": text,
        "marker.symbol": [OCCUPANCY[k][1] for k in band],
        "marker.color": [OCCUPANCY[k][2] for k in band],
    }


def _points_trace(props: pd.DataFrame, la_names: pd.Series, la_points: pd.DataFrame | None, limit: int | None) -> dict:
    values = trace_update(props, la_names, la_points, limit)
    marker = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("marker.")}
    return {
        "type": "scattergeo",
        "mode": "markers",
        "name": values["name"],
        "lon": values["lon"],
        "lat": values["lat"],
        "text": values["text"],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {**marker, "line": {"width": 1, "color": "#ffffff"}},
        "showlegend": True,
    }


def property_map(
    rows: pd.DataFrame,
    geometry: maps.MapGeometry,
    props: pd.DataFrame,
    outlines: maps.MapGeometry | None = None,
    height: int = 560,
    approaching: float = maps.APPROACHING,
    la_names: pd.Series | None = None,
    limit: int | None = None,
) -> dict:
    """Wards coloured by share of the limit (local indicator) with the properties on top (each, or per LA:
    :func:`trace_update`)."""
    figure = maps.choropleth(
        rows, geometry, level="ward", outlines=outlines, height=height, uirevision="properties", approaching=approaching
    )
    names = la_names if la_names is not None else pd.Series(dtype="string")
    la_points = outlines.points if outlines is not None else None
    figure["data"].append(_points_trace(props, names, la_points, limit))
    return figure


def counts_key(props: pd.DataFrame) -> str:
    """What a circle means when the map draws one per LA (the page's key says it in words)."""
    places = located(props)
    return (
        f"Circles: the number of properties in each local authority (a bigger circle holds more; "
        f"{len(places):,} properties in {places['lad_code'].nunique():,} local authorities are too many to draw "
        "one by one). Hover over a circle for its count; the list below has every property."
    )


def occupancy_key() -> list[tuple[str, str, str]]:
    """(label, symbol, colour) for a legend written on the page."""
    return list(OCCUPANCY.values())


# ------------------------------------------------------------------ tables


def street_of(addresses: pd.Series) -> pd.Series:
    """The street of each address, normalised ("Flat 7, 30 Church Way, Wrenhurst" -> "CHURCH WAY").

    The first comma-separated part that starts with a house number gives the
    street; without one, the first part that is not a flat or unit.
    """
    parts = addresses.astype("string").fillna("").str.upper().str.split(",")
    exploded = parts.explode().str.strip()
    numbered = exploded.str.extract(r"^\d+[A-Z]?(?:\s*-\s*\d+[A-Z]?)?\s+(.+)$")[0]
    named = exploded.where(~exploded.str.match(r"^(FLAT|UNIT|APARTMENT|ROOM|APT)\b") & exploded.ne(""))
    street = numbered.groupby(level=0).first().fillna(named.groupby(level=0).first())
    street = street.str.replace(r"[^A-Z0-9 ]", "", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    return street.reindex(addresses.index).astype("string")


def several_at(props: pd.DataFrame, minimum: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Postcodes and streets holding ``minimum`` or more properties: (by postcode, by street).

    Streets are keyed with the postcode district so that two Church Roads in
    different towns stay apart.
    """
    frame = props.assign(
        street=street_of(props["address"]),
        district=props["postcode"].astype("string").str.split(" ").str[0],
        bedspaces=pd.to_numeric(props["bedspaces"], errors="coerce"),
        occupied=pd.to_numeric(props["occupied"], errors="coerce"),
    )

    def grouped(keys: list[str]) -> pd.DataFrame:
        usable = frame.dropna(subset=keys)
        usable = usable[usable.groupby(keys)["property_key"].transform("size") >= minimum]
        out = usable.groupby(keys, as_index=False).agg(
            properties=("property_key", "size"),
            bedspaces=("bedspaces", "sum"),
            occupied=("occupied", "sum"),
            ward_code=("ward_code", "first"),
        )
        # One join per group over distinct, sorted names (a Python function per group took seconds).
        names = usable.dropna(subset=["provider"]).drop_duplicates([*keys, "provider"]).sort_values("provider")
        providers = names.groupby(keys)["provider"].agg(", ".join).rename("providers").reset_index()
        out = out.merge(providers, on=keys, how="left").assign(providers=lambda f: f["providers"].fillna(""))
        out = out[[*keys, "properties", "bedspaces", "occupied", "providers", "ward_code"]]
        return out.sort_values(["properties", "bedspaces"], ascending=False).reset_index(drop=True)

    return grouped(["postcode"]), grouped(["street", "district"])


def reconciliation_rows(table: pd.DataFrame, la_names: pd.Series) -> list[dict]:
    """Sector reconciliation as table records; the mismatch is a word, not only a colour."""
    out = pd.DataFrame(
        {
            "la_name": table["lad_code"].map(la_names).astype("string").fillna(table["lad_code"].astype("string")),
            "postcode_sector": table["postcode_sector"].astype("string"),
            "home_office": table["home_office"].round(1),
            "provider": table["provider"].round(1),
            "difference": table["difference"].round(1),
            "check": np.where(table["mismatch"], "Mismatch", "Agrees"),
        }
    )
    out = out.sort_values(["check", "la_name", "postcode_sector"], ascending=[False, True, True])
    return out.to_dict("records")

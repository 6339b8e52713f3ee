"""Provider properties over the ward map, and the tables that go with it; plain dicts, no Dash.

The ward choropleth comes from :mod:`app.figures.maps`; properties are one
extra ``scattergeo`` trace (:data:`POINTS`) so that a filter change patches
that trace and never resends geometry. Occupancy is carried by the marker
symbol as well as its colour, and spelled out in the hover and the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.figures import maps
from app.figures.markup import inert_series

POINTS = maps.HIGHLIGHT + 1  # after every trace of the ward map
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


def points_update(props: pd.DataFrame) -> dict:
    """The values of the properties trace for a filtered list (what a filter change patches)."""
    located = props[props["lat"].notna() & props["lon"].notna()]
    band = occupancy_band(located["occupied"], located["bedspaces"])
    occ = pd.to_numeric(located["occupied"], errors="coerce")
    text = [
        f"{a}<br>{p} · {prov}<br>{o if o == o else 'occupancy not given'} of {b} bedspaces occupied"
        f"<br>{OCCUPANCY[k][0]} · status: {s}"
        for a, p, prov, o, b, k, s in zip(
            inert_series(located["address"]).fillna(""),
            inert_series(located["postcode"]).fillna(""),
            inert_series(located["provider"]).fillna(""),
            occ.round(1).tolist(),
            inert_series(located["bedspaces"]).fillna("?"),
            band,
            inert_series(located["status"]).fillna(""),
        )
    ]
    return {
        "lon": located["lon"].round(5).tolist(),
        "lat": located["lat"].round(5).tolist(),
        "text": text,
        "marker.symbol": [OCCUPANCY[k][1] for k in band],
        "marker.color": [OCCUPANCY[k][2] for k in band],
    }


def _points_trace(props: pd.DataFrame) -> dict:
    values = points_update(props)
    return {
        "type": "scattergeo",
        "mode": "markers",
        "name": "Properties (symbol = occupancy)",
        "lon": values["lon"],
        "lat": values["lat"],
        "text": values["text"],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {
            "size": 7,
            "symbol": values["marker.symbol"],
            "color": values["marker.color"],
            "line": {"width": 1, "color": "#ffffff"},
        },
        "showlegend": True,
    }


def property_map(
    rows: pd.DataFrame,
    geometry: maps.MapGeometry,
    props: pd.DataFrame,
    outlines: maps.MapGeometry | None = None,
    height: int = 560,
    approaching: float = maps.APPROACHING,
) -> dict:
    """Wards coloured by share of the limit (local indicator) with the properties on top."""
    figure = maps.choropleth(
        rows, geometry, level="ward", outlines=outlines, height=height, uirevision="properties", approaching=approaching
    )
    figure["data"].append(_points_trace(props))
    return figure


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

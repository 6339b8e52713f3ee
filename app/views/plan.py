"""Plan against actual: the full-dispersal-plan allocation of each LA against its occupied dispersal bedspaces.

One rule for the overview chart and the meeting pack: occupied bedspaces are those of properties in use
and placed in a ward (:func:`app.cluster.apportion.property_occupancy`), of dispersal accommodation, in the
quarter's provider lists. Void, proposed and handed-back properties house nobody, so they never count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.cluster import disclosure
from app.cluster.apportion import property_occupancy
from app.config import DISPERSAL


def latest_quarter(properties: pd.DataFrame) -> str | None:
    quarters = properties["quarter"].dropna().astype(str) if len(properties) else pd.Series(dtype=str)
    return str(quarters.max()) if len(quarters) else None


def allocations_in(standing: pd.DataFrame, per_quarter: pd.DataFrame, quarter: str | None) -> pd.DataFrame:
    """Each LA's allocation for ``quarter`` (``area_code``, ``allocation``, ``source``): the quarter's own entry
    (``plan_allocations``) where there is one, else the LA's standing allocation (``area_settings``)."""
    rows = {}
    if len(standing) and "allocation" in standing:
        for code, value in standing.dropna(subset=["allocation"])[["area_code", "allocation"]].itertuples(index=False):
            rows[str(code)] = (float(value), "standing")
    if quarter is not None and len(per_quarter):
        now = per_quarter[per_quarter["quarter"].astype(str) == quarter]
        for code, value in now[["lad_code", "bedspaces"]].itertuples(index=False):
            rows[str(code)] = (float(value), quarter)
    codes = sorted(rows)
    return pd.DataFrame(
        {
            "area_code": pd.Series(codes, dtype=object),
            "allocation": pd.Series([rows[c][0] for c in codes], dtype=float),
            "source": pd.Series([rows[c][1] for c in codes], dtype=object),
        }
    )


def occupied_dispersal(properties: pd.DataFrame, quarter: str | None, lads: list[str]) -> pd.Series:
    """Occupied dispersal bedspaces per LA in ``quarter`` (0 for an LA with none), indexed by ``lads``."""
    occupancy = property_occupancy(properties)
    now = occupancy[(occupancy["quarter"] == quarter) & (occupancy["accommodation_type"] == DISPERSAL)]
    return now.groupby("lad_code")["occupied"].sum().reindex(lads, fill_value=0.0).astype(float)


def plan_rows(
    properties: pd.DataFrame, allocations: pd.DataFrame, quarter: str | None, lads: list[str], suppress: bool
) -> pd.DataFrame:
    """One row per LA of ``lads``: ``lad_code``, ``allocation`` (NaN: not entered), ``occupied`` (NaN: no list
    for the quarter, or a count under 5 a member may not see), ``occupied_text``, ``difference``, ``share``."""
    have_list = quarter is not None and quarter in set(properties["quarter"].astype(str))
    alloc = (
        pd.to_numeric(allocations.set_index("area_code")["allocation"], errors="coerce")
        if len(allocations)
        else pd.Series(dtype=float)
    )
    alloc = alloc[~alloc.index.duplicated()].reindex(lads)
    occupied = occupied_dispersal(properties, quarter, lads) if have_list else pd.Series(np.nan, index=lads)
    text = occupied.round(0).map(lambda v: "no list" if v != v else f"{v:,.0f}")
    if suppress and have_list:
        whole = disclosure.whole_counts(occupied)
        small = disclosure.primary(whole)
        text = text.where(~small, disclosure.fewer_than())
        occupied = occupied.where(~small)
    return pd.DataFrame(
        {
            "lad_code": lads,
            "allocation": alloc.to_numpy(dtype=float),
            "occupied": occupied.round(0).to_numpy(dtype=float),
            "occupied_text": text.to_numpy(),
            "difference": (occupied - alloc).round(0).to_numpy(dtype=float),
            "share": (occupied / alloc * 100).round(1).to_numpy(dtype=float),
        }
    )

"""The CLI's monitoring table (``summary``) as an account may see it: the same rows a page shows that account."""

from __future__ import annotations

import pandas as pd

from app.cluster import position
from app.security.roles import VIEW_AGGREGATES, Scope


def monitoring_rows(
    table: pd.DataFrame, areas: pd.DataFrame, scope: Scope, *, level: str, month: str, lad: str | None = None
) -> pd.DataFrame:
    """``summary`` rows (interface.md columns) of one level and month, filtered and disclosure-controlled for
    ``scope`` over every month at once (so the same cells are hidden as on the pages). For members ``people``
    is what they may read ("fewer than 5", rounded ward counts) and ``people_display`` is added."""
    if lad is not None and level != position.REGION:
        scope.check(VIEW_AGGREGATES, lad)
    visible = scope.filter_table(table)
    rows = visible[(visible["level"] == level) & (visible["month"] == month)]
    if lad:
        if level == position.REGION:
            region = areas.loc[areas["area_code"] == lad, "region_code"]
            rows = rows[rows["area_code"].isin(region)]
        else:
            rows = rows[rows["lad_code"] == lad]
    out = position.format_summary(rows)
    if scope.suppress:
        shown = rows.sort_values(["lad_code", "area_code"], kind="stable")["people_display"].to_numpy()
        out["people"] = shown
    return out

"""Change over time: month-on-month change and months until the limit at the current trend."""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_on_month(table: pd.DataFrame) -> pd.DataFrame:
    """``change``: people minus the previous month's, per level and area (NaN for the first month)."""
    ordered = table.sort_values(["level", "area_code", "month"])
    previous = ordered.groupby(["level", "area_code"])["people"].shift(1)
    return ordered.assign(previous=previous, change=ordered["people"] - previous).sort_index()


def months_until_limit(people: pd.Series, limit: float, window: int = 6) -> float | None:
    """Months until ``people`` (indexed by month, in order) reaches ``limit`` at its recent trend.

    The trend is the least-squares slope over the last ``window`` months.
    0 when already over; None when the trend is flat or falling, or there is
    too little history (fewer than three months) to speak of a trend.
    """
    recent = people.dropna().iloc[-window:]
    if limit != limit:
        return None
    if len(recent) and recent.iloc[-1] > limit:
        return 0.0
    if len(recent) < 3:
        return None
    slope = np.polyfit(np.arange(len(recent)), recent.to_numpy(dtype=float), 1)[0]
    if slope <= 1e-9:
        return None
    return float(np.ceil(round((limit - recent.iloc[-1]) / slope, 6)))


def projections(table: pd.DataFrame, level: str, window: int = 6) -> pd.DataFrame:
    """For each area of ``level``: latest people, monthly trend and months until the limit."""
    rows = []
    for code, area in table[table["level"] == level].sort_values("month").groupby("area_code"):
        series = area.set_index("month")["people"]
        recent = series.iloc[-window:]
        slope = np.polyfit(np.arange(len(recent)), recent.to_numpy(dtype=float), 1)[0] if len(recent) >= 3 else np.nan
        rows.append(
            {
                "area_code": code,
                "month": series.index[-1],
                "people": series.iloc[-1],
                "trend_per_month": slope,
                "months_until_limit": months_until_limit(series, float(area["limit"].iloc[-1]), window),
            }
        )
    return pd.DataFrame(rows)

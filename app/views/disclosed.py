"""Counts as a member may read them, for tables the monitoring table does not hold (pack crosstabs, profiles,
accommodation mixes): primary and secondary suppression with totals, from :mod:`app.cluster.disclosure`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.cluster import disclosure


def count_text(values: pd.Series) -> pd.Series:
    """A member's count on its own (no totals beside it): "fewer than 5" for 1 to 4, else the whole number."""
    whole = disclosure.whole_counts(values)
    reason = pd.Series(np.where(disclosure.primary(whole), disclosure.PRIMARY, ""), index=values.index)
    return disclosure.display_strings(whole, reason).astype(object)


def protected_crosstab(frame: pd.DataFrame, row: str, column: str, row_label: str) -> pd.DataFrame:
    """A member's two-way count table (one count per row of ``frame``) with its totals, primary and secondary
    suppressed, as text."""
    if frame.empty:
        return pd.DataFrame({row_label: []})
    cells = frame[[row, column]].assign(count=1)
    protected = disclosure.protect(cells, "count", row, column)
    wide = protected.pivot(index=row, columns=column, values="display")
    ordered_rows = [r for r in wide.index if r != disclosure.TOTAL] + [disclosure.TOTAL]
    ordered_cols = [c for c in wide.columns if c != disclosure.TOTAL] + [disclosure.TOTAL]
    wide = wide.loc[ordered_rows, ordered_cols].astype(object)
    return wide.rename_axis(row_label).reset_index().rename_axis(None, axis=1)


def protected_mix(mix: pd.DataFrame) -> pd.DataFrame:
    """People by month and accommodation type (``month``, ``accommodation_type``, ``people``) as a member may
    see it: each month's types protected with the month's total."""
    if mix.empty:
        return mix
    cells = mix.assign(area="all")
    protected = disclosure.protect(cells, "people", "accommodation_type", "area", by=["month"])
    protected = protected[
        (protected["accommodation_type"] != disclosure.TOTAL) & (protected["area"] != disclosure.TOTAL)
    ]
    return (
        protected.assign(people=protected["shown"])[["month", "accommodation_type", "people"]]
        .sort_values(["month", "accommodation_type"])
        .reset_index(drop=True)
    )


def protected_profile(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """LA x category for every month (``month``, ``la``, ``dimension``, ``people``), each month protected with
    its LA and category totals; the raw counts are dropped, so nothing after this sees them."""
    protected = disclosure.protect(frame, "people", "la", dimension, by=["month"])
    return disclosure.published(protected, "people")

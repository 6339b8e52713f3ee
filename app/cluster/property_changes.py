"""Quarter-on-quarter changes in a provider's property list: new, left, capacity or status changed."""

from __future__ import annotations

import pandas as pd

NEW, LEFT, CAPACITY, STATUS = "new", "left", "capacity changed", "status changed"
_KEY = ["provider", "property_key"]
_SHOWN = ["property_ref", "address", "postcode", "ward_code", "lad_code"]


def diff_quarters(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """One row per change between two lists, keyed on provider and property key.

    A property can both change capacity and status; it then appears once for each.
    """
    cols = _KEY + [c for c in _SHOWN if c in current.columns] + ["bedspaces", "status"]
    prev = previous[[c for c in cols if c in previous.columns]]
    curr = current[[c for c in cols if c in current.columns]]
    both = curr.merge(prev, on=_KEY, how="outer", suffixes=("", "_before"), indicator=True)
    for column in _SHOWN:
        if column in both and f"{column}_before" in both:
            both[column] = both[column].fillna(both[f"{column}_before"])
    both = both.rename(columns={"bedspaces": "bedspaces_after", "status": "status_after"})
    out = []
    out.append(both[both["_merge"] == "left_only"].assign(change=NEW))
    out.append(both[both["_merge"] == "right_only"].assign(change=LEFT))
    kept = both[both["_merge"] == "both"]
    out.append(kept[kept["bedspaces_after"].ne(kept["bedspaces_before"])].assign(change=CAPACITY))
    status_changed = kept["status_after"].fillna("").ne(kept["status_before"].fillna(""))
    out.append(kept[status_changed].assign(change=STATUS))
    result = pd.concat([o for o in out if len(o)] or [both.head(0).assign(change="")], ignore_index=True)
    keep = [
        "change",
        *_KEY,
        *[c for c in _SHOWN if c in result],
        "bedspaces_before",
        "bedspaces_after",
        "status_before",
        "status_after",
    ]
    return result[keep].sort_values(["change", "provider", "property_key"]).reset_index(drop=True)

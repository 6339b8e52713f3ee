"""The National Transfer Scheme threshold for unaccompanied asylum-seeking children (UASC)."""

from __future__ import annotations

import pandas as pd

from app.config import Settings

#: The threshold rose from 0.07 % to 0.1 % of the child population on 24 August 2022.
CHANGE_MONTH = "2022-08"


def uasc_share_for(month: str, settings: Settings) -> float:
    """The threshold in force at the end of ``month``."""
    return settings.uasc_share_before_2022 if month < CHANGE_MONTH else settings.uasc_share


def uasc_position(records: pd.DataFrame, children: pd.Series, settings: Settings) -> pd.DataFrame:
    """Per LA and month, UASC counted against the threshold, where the files supply UASC counts.

    ``records`` need ``month``, ``lad_code``, ``people`` and ``uasc``;
    ``children``: population aged 0-17 by LA code. LAs whose files never
    mark UASC are left out rather than shown as zero.
    """
    marked = records[records["uasc"].notna() & records["lad_code"].notna()]
    if marked.empty:
        return pd.DataFrame(columns=["month", "lad_code", "uasc", "children", "threshold_share", "threshold", "over"])
    counts = (
        marked.assign(u=marked["people"].where(marked["uasc"].astype(bool), 0.0))
        .groupby(["month", "lad_code"], as_index=False)["u"]
        .sum()
        .rename(columns={"u": "uasc"})
    )
    counts["children"] = counts["lad_code"].map(children)
    counts["threshold_share"] = counts["month"].map(lambda m: uasc_share_for(m, settings))
    counts["threshold"] = counts["children"] * counts["threshold_share"]
    counts["over"] = counts["uasc"] > counts["threshold"]
    return counts

"""Reconciliation: do the Home Office counts, the provider's lists and the published tables agree?

Disagreement is evidence for the quarterly meeting with the provider (people
placed in properties the list does not show, or listed occupancy the Home
Office does not support), and a check on the monthly data against the
official LA totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.cluster.apportion import property_occupancy, property_quarter_for
from app.config import DISPERSAL


def _flag(ho: pd.Series, provider: pd.Series, tolerance: int, share: float) -> pd.Series:
    difference = (ho - provider).abs()
    return difference > np.maximum(tolerance, share * np.maximum(ho, provider))


def with_sector_la(records: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Records whose file named no LA get the LA holding most of their sector's postcodes."""
    main_la = (
        weights.sort_values("weight_postcodes", ascending=False)
        .groupby(["postcode_sector", "lad_code"], as_index=False)["weight_postcodes"]
        .sum()
        .sort_values("weight_postcodes", ascending=False)
        .drop_duplicates("postcode_sector")
        .set_index("postcode_sector")["lad_code"]
    )
    return records.assign(lad_code=records["lad_code"].fillna(records["postcode_sector"].map(main_la)))


def sector_reconciliation(
    records: pd.DataFrame, properties: pd.DataFrame, month: str, tolerance: int = 2, share: float = 0.1
) -> pd.DataFrame:
    """Per (LA, sector) for one month: Home Office dispersal count vs the provider's occupied bedspaces.

    ``records`` need ``month``, ``lad_code`` (the LA the file named, or the LA
    the sector lies in), ``postcode_sector``, ``people``, ``accommodation_type``.
    A difference is a mismatch when it exceeds both ``tolerance`` people and
    ``share`` of the larger figure.
    """
    month_records = records[records["month"] == month]
    dispersal = month_records["accommodation_type"].astype("string").fillna(DISPERSAL).eq(DISPERSAL)
    ho = (
        month_records[dispersal]
        .groupby(["lad_code", "postcode_sector"], dropna=False, as_index=False)["people"]
        .sum()
        .rename(columns={"people": "home_office"})
    )
    occupancy = property_occupancy(properties)
    quarter = property_quarter_for(pd.Series([month]), set(occupancy["quarter"])).iloc[0] if len(occupancy) else ""
    occ = occupancy[(occupancy["quarter"] == quarter) & (occupancy["accommodation_type"] == DISPERSAL)]
    provider = (
        occ.groupby(["lad_code", "postcode_sector"], as_index=False)["occupied"]
        .sum()
        .rename(columns={"occupied": "provider"})
    )
    both = ho.merge(provider, on=["lad_code", "postcode_sector"], how="outer")
    both[["home_office", "provider"]] = both[["home_office", "provider"]].astype(float).fillna(0.0)
    both["difference"] = both["home_office"] - both["provider"]
    both["mismatch"] = _flag(both["home_office"], both["provider"], tolerance, share)
    both["month"] = month
    both["quarter"] = quarter or None
    return both.sort_values(["lad_code", "postcode_sector"]).reset_index(drop=True)


def published_comparison(
    all_supported: pd.DataFrame, public_stats: pd.DataFrame, tolerance: int = 5, share: float = 0.05
) -> pd.DataFrame:
    """LA totals of the monthly data (all support and accommodation types) vs the published table.

    ``all_supported``: ``month``, ``lad_code``, ``people``. Published figures
    are as at a quarter's last day, so only quarter-end months are compared.
    """
    published = public_stats.assign(month=public_stats["date"].str.slice(0, 7))
    published = published.groupby(["month", "lad_code"], as_index=False)["people"].sum()
    published = published.rename(columns={"people": "published"})
    both = all_supported.rename(columns={"people": "home_office"}).merge(published, on=["month", "lad_code"])
    both["difference"] = both["home_office"] - both["published"]
    both["mismatch"] = _flag(both["home_office"], both["published"], tolerance, share)
    return both.sort_values(["month", "lad_code"]).reset_index(drop=True)

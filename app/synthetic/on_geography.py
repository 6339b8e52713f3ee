"""Synthetic monthly Home Office files on a real geography (e.g. the North East from ``shared/reference``).

Why: the demo with real boundaries and the benchmarks over the real North
East wards need months of data on real postcode sectors. Counts are
invented (no real restricted data exists here): each LA gets a seeded rate
per 1,000 residents and a trend, spread over its sectors in proportion to
their postcodes with a few concentrated sectors, as dispersal housing
clusters where rents are low.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

AGE_BANDS = ("0-4", "5-17", "18-24", "25-34", "35-49", "50+")
NATIONALITIES = ("Afghanistan", "Iran", "Eritrea", "Sudan", "Iraq", "Syria", "Albania", "Pakistan", "Vietnam")


def monthly_files(
    sector_weights: pd.DataFrame,
    lads: pd.DataFrame,
    out_dir: Path,
    *,
    months: list[str],
    seed: int = 1,
) -> list[Path]:
    """One canonical long CSV per LA per month, named ``HO_<LA>_<YYYY-MM>.csv``.

    ``sector_weights``: ``postcode_sector``, ``lad_code``, ``n_postcodes``;
    ``lads``: ``area_code``, ``area_name``, ``population``.
    """
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    sectors = sector_weights.groupby(["lad_code", "postcode_sector"], as_index=False)["n_postcodes"].sum()
    lads = lads.dropna(subset=["population"]).reset_index(drop=True)
    # Residents per supported person, from well over the limit (150) to light (1,200), and a monthly trend.
    ratio = rng.choice([150, 210, 260, 400, 700, 1200], size=len(lads), p=[0.12, 0.13, 0.2, 0.25, 0.15, 0.15])
    trend = rng.normal(0.01, 0.015, size=len(lads))
    paths = []
    for (_, la), r, t in zip(lads.iterrows(), ratio, trend):
        own = sectors[sectors["lad_code"] == la["area_code"]]
        if own.empty:
            continue
        pull = own["n_postcodes"].to_numpy(float) * rng.lognormal(0, 1.0, len(own))
        share = pull / pull.sum()
        for i, month in enumerate(months):
            total = la["population"] / r * (1 + t) ** i
            people = rng.multinomial(int(round(total)), share)
            rows = []
            for sector, n in zip(own["postcode_sector"], people):
                if n == 0:
                    continue
                split = rng.multinomial(n, [0.78, 0.12, 0.1])
                for accommodation, count in zip(("Dispersal", "Contingency", "Subsistence Only"), split):
                    if count:
                        rows.append(
                            {
                                "postcode_sector": sector,
                                "local_authority": la["area_name"],
                                "support_type": "Section 95",
                                "accommodation_type": accommodation,
                                "nationality": NATIONALITIES[rng.integers(len(NATIONALITIES))],
                                "age_band": AGE_BANDS[rng.integers(2, len(AGE_BANDS))],
                                "gender": "Male" if rng.random() < 0.7 else "Female",
                                "household_type": "Single" if rng.random() < 0.65 else "Family",
                                "people": int(count),
                            }
                        )
            frame = pd.DataFrame(rows)
            frame.insert(0, "month", month)
            name = "".join(c for c in la["area_name"] if c.isalnum())
            path = out_dir / f"HO_{name}_{month}.csv"
            frame.to_csv(path, index=False)
            paths.append(path)
    return paths


def month_range(start: str, count: int) -> list[str]:
    year, month = map(int, start.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out

"""Fair share: each LA's share of the region's supported people against its share of residents."""

from __future__ import annotations

import pandas as pd

from app.cluster.position import LAD


def fair_share(table: pd.DataFrame, areas: pd.DataFrame, month: str) -> pd.DataFrame:
    """Per LA for one month: shares of people and residents within its region.

    ``ratio`` above 1 means the LA carries more than its share;
    ``fair_people`` is what it would hold if the region's people were spread
    by population, ``excess`` what it holds beyond that.
    """
    las = table[(table["level"] == LAD) & (table["month"] == month)][["area_code", "area_name", "people", "population"]]
    las = las.merge(areas[areas["level"] == "lad"][["area_code", "region_code"]], on="area_code", how="left")
    region_people = las.groupby("region_code")["people"].transform("sum")
    region_population = las.groupby("region_code")["population"].transform("sum")
    las["share_of_people"] = las["people"] / region_people
    las["share_of_residents"] = las["population"] / region_population
    las["ratio"] = las["share_of_people"] / las["share_of_residents"]
    las["fair_people"] = region_people * las["share_of_residents"]
    las["excess"] = las["people"] - las["fair_people"]
    return las.sort_values("ratio", ascending=False).reset_index(drop=True)

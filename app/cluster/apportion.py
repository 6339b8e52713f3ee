"""Apportion counts given by postcode sector to the wards each sector overlaps.

A sector holds a few thousand addresses and often straddles ward (and LA)
boundaries, so its count is split among its wards by weights that sum to 1:

* ``properties``: the provider's occupied bedspaces in that sector, per ward
  (the best evidence of where people actually live), when a property list
  covers the sector;
* ``postcodes``: the share of the sector's postcodes in each ward (default
  fallback), or ``population``: the share of residents, estimated from ward
  populations spread evenly over each ward's postcodes;
* ``direct``: the sector lies wholly in one ward, so no split was needed.

A record that names its LA is apportioned within that LA only. Whatever
the method, the wards of a sector receive exactly what the sector held; a
record that cannot be placed in any ward is returned as *unallocated* (it
still counts towards its LA when the LA is known), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.config import DISPERSAL, SUBSISTENCE
from app.periods import previous_quarter, quarter_of

POSTCODES = "postcodes"
POPULATION = "population"
PROPERTIES = "properties"
DIRECT = "direct"
MIXED = "mixed"

_ANY = ""


def sector_weights(postcodes: pd.DataFrame, ward_population: pd.Series | None = None) -> pd.DataFrame:
    """Weights of every (sector, ward) pair from postcodes placed in wards.

    ``postcodes`` needs ``postcode_sector``, ``ward_code`` and ``lad_code``
    (unplaced postcodes, with no ward, are ignored). ``ward_population`` is
    indexed by ward code; a sector whose wards lack a population gets no
    population weights (NaN) rather than wrong ones.
    """
    placed = postcodes.dropna(subset=["postcode_sector", "ward_code"])
    counts = (
        placed.groupby(["postcode_sector", "ward_code", "lad_code"], observed=True, dropna=False)
        .size()
        .rename("n_postcodes")
        .reset_index()
    )
    sector_total = counts.groupby("postcode_sector")["n_postcodes"].transform("sum")
    counts["weight_postcodes"] = counts["n_postcodes"] / sector_total
    counts["weight_population"] = np.nan
    if ward_population is not None:
        ward_postcodes = counts.groupby("ward_code")["n_postcodes"].transform("sum")
        residents = (
            ward_population.reindex(counts["ward_code"]).to_numpy()
            * (counts["n_postcodes"] / ward_postcodes).to_numpy()
        )
        counts["_residents"] = residents
        total = counts.groupby("postcode_sector")["_residents"].transform(lambda s: s.sum(min_count=len(s)))
        counts["weight_population"] = counts["_residents"] / total
        counts = counts.drop(columns="_residents")
    return counts.sort_values(["postcode_sector", "ward_code"]).reset_index(drop=True)


def property_quarter_for(months: pd.Series, quarters_available: set[str]) -> pd.Series:
    """The property list that describes each month: its own quarter, else the one before.

    Lists arrive after their quarter ends, so early in a quarter the latest
    list is the previous quarter's. Older lists are not used: after six
    months the placements they describe have moved on.
    """
    mapping = {}
    for month in months.dropna().unique():
        own = quarter_of(month)
        if own in quarters_available:
            mapping[month] = own
        elif previous_quarter(own) in quarters_available:
            mapping[month] = previous_quarter(own)
        else:
            mapping[month] = _ANY
    return months.map(mapping).fillna(_ANY)


def property_occupancy(properties: pd.DataFrame) -> pd.DataFrame:
    """Occupied bedspaces per (quarter, sector, ward, LA, accommodation type) from property lists.

    Only properties in use and placed in a ward count. Where the provider gave
    no occupancy, bedspaces stand in for it (capacity is the next best
    evidence of where people are).
    """
    if properties is None or properties.empty:
        return pd.DataFrame(
            columns=["quarter", "postcode_sector", "ward_code", "lad_code", "accommodation_type", "occupied"]
        )
    usable = properties[
        properties["ward_code"].notna() & (properties["status"].isna() | properties["status"].eq("in use"))
    ]
    occupied = usable["occupied"].astype("Float64").fillna(usable["bedspaces"].astype("Float64"))
    frame = pd.DataFrame(
        {
            "quarter": usable["quarter"],
            "postcode_sector": usable["postcode_sector"],
            "ward_code": usable["ward_code"],
            "lad_code": usable["lad_code"],
            "accommodation_type": usable["accommodation_type"].fillna(DISPERSAL),
            "occupied": occupied.astype(float),
        }
    )
    frame = frame[frame["occupied"] > 0]
    return frame.groupby(["quarter", "postcode_sector", "ward_code", "lad_code", "accommodation_type"], as_index=False)[
        "occupied"
    ].sum()


@dataclass
class Apportioned:
    """Records split over wards.

    ``wards``: one row per (record, ward): ``record``, ``ward_code``, ``lad_code``,
    ``people``, ``weight``, ``method``. ``unallocated``: records placed in no
    ward, with ``record``, ``lad_code`` (when the file named it), ``people`` and
    ``reason``.
    """

    wards: pd.DataFrame
    unallocated: pd.DataFrame


def _normalised(frame: pd.DataFrame, key: list[str], weight: str) -> pd.DataFrame:
    total = frame.groupby(key, dropna=False)[weight].transform("sum")
    out = frame.assign(weight=frame[weight] / total)
    return out[total > 0]


def apportion(
    records: pd.DataFrame,
    weights: pd.DataFrame,
    occupancy: pd.DataFrame | None = None,
    by: str = POSTCODES,
) -> Apportioned:
    """Split every record's ``people`` over wards.

    ``records``: ``postcode_sector``, ``lad_code`` (resolved code or NA),
    ``people``, optionally ``month`` and ``accommodation_type``; the index
    identifies the record. ``weights``: :func:`sector_weights`.
    ``occupancy``: :func:`property_occupancy` output; when it covers a
    record's sector (for the month's quarter, the record's LA and
    accommodation type) its occupied bedspaces are the weights.
    """
    by_column = "weight_population" if by == POPULATION else "weight_postcodes"
    recs = pd.DataFrame(
        {
            "record": records.index,
            "postcode_sector": records["postcode_sector"].to_numpy(),
            "scope_lad": records["lad_code"].astype("string").fillna(_ANY).to_numpy()
            if "lad_code" in records
            else _ANY,
            "people": records["people"].astype(float).to_numpy(),
        }
    )
    accommodation = (
        records["accommodation_type"].astype("string").fillna(DISPERSAL)
        if "accommodation_type" in records
        else pd.Series(DISPERSAL, index=records.index)
    )
    recs["accommodation_type"] = accommodation.to_numpy()
    occupancy = occupancy if occupancy is not None else property_occupancy(None)
    if "month" in records and not occupancy.empty:
        recs["quarter"] = property_quarter_for(records["month"].astype("string"), set(occupancy["quarter"])).to_numpy()
    else:
        recs["quarter"] = _ANY

    keys = recs[["quarter", "postcode_sector", "scope_lad", "accommodation_type"]].drop_duplicates()
    key_cols = list(keys.columns)

    by_postcodes = _postcode_weights(keys, weights, by_column)
    by_properties = _property_weights(keys, occupancy)
    covered = by_properties[key_cols].drop_duplicates()
    by_postcodes = by_postcodes.merge(covered, on=key_cols, how="left", indicator=True)
    by_postcodes = by_postcodes[by_postcodes["_merge"] == "left_only"].drop(columns="_merge")
    found = [f for f in (by_properties, by_postcodes) if not f.empty]
    key_weights = pd.concat(found, ignore_index=True) if found else by_postcodes
    single = key_weights.groupby(key_cols)["ward_code"].transform("size").eq(1)
    key_weights.loc[single, "method"] = DIRECT

    split = recs.merge(key_weights, on=key_cols, how="inner")
    split["people"] = split["people"] * split["weight"]
    wards = split[["record", "ward_code", "lad_code", "people", "weight", "method"]].reset_index(drop=True)

    placed = recs["record"].isin(split["record"])
    lost = recs[~placed]
    reason = np.where(
        lost["scope_lad"].eq(_ANY),
        "postcode sector " + lost["postcode_sector"] + " is not a known sector",
        "postcode sector " + lost["postcode_sector"] + " has no postcodes in " + lost["scope_lad"],
    )
    known_sectors = set(weights["postcode_sector"])
    reason = np.where(
        lost["postcode_sector"].isin(known_sectors).to_numpy(),
        reason,
        ("postcode sector " + lost["postcode_sector"] + " is not a known sector").to_numpy(),
    )
    unallocated = pd.DataFrame(
        {
            "record": lost["record"].to_numpy(),
            "lad_code": lost["scope_lad"].replace(_ANY, pd.NA).astype("string").to_numpy(),
            "people": lost["people"].to_numpy(),
            "reason": reason,
        }
    )
    return Apportioned(wards, unallocated)


def placement(records: pd.DataFrame, weights: pd.DataFrame) -> Apportioned:
    """Where :func:`apportion` by postcodes can place each record, worked out once per distinct (sector, LA).

    What checking a file needs: ``unallocated`` is exactly :func:`apportion`'s (every record placed in no
    ward, in record order), while ``wards`` has the wards of one record per distinct (sector, LA), which
    tells which wards and LAs the file reaches but not how many people land there. Without property lists
    a record's wards depend on its sector and LA alone, so a national month (75,000 records, about 10,000
    pairs) is split a seventh as many times.
    """
    sector = pd.factorize(records["postcode_sector"], use_na_sentinel=False)[0]
    lad = pd.factorize(records["lad_code"], use_na_sentinel=False)[0] if "lad_code" in records else 0
    codes, uniques = pd.factorize(sector.astype(np.int64) * (int(np.max(lad, initial=0)) + 1) + lad)
    first = np.unique(codes, return_index=True)[1]
    if len(first) == len(records):
        return apportion(records, weights)
    columns = [c for c in ("postcode_sector", "lad_code", "people") if c in records]
    split = apportion(records.iloc[first][columns], weights)
    code_of = pd.Series(np.arange(len(first)), index=records.index[first])
    lost = split.unallocated
    lost_codes = code_of.reindex(lost["record"]).to_numpy()
    at = np.full(len(uniques), -1, dtype=np.int64)
    at[lost_codes] = np.arange(len(lost))
    mask = at[codes] >= 0
    rows = at[codes[mask]]
    unallocated = pd.DataFrame(
        {
            "record": records.index[mask],
            "lad_code": lost["lad_code"].to_numpy()[rows],
            "people": records["people"].astype(float).to_numpy()[mask],
            "reason": lost["reason"].to_numpy()[rows],
        }
    )
    return Apportioned(split.wards, unallocated)


def _postcode_weights(keys: pd.DataFrame, weights: pd.DataFrame, by_column: str) -> pd.DataFrame:
    method = POPULATION if by_column == "weight_population" else POSTCODES
    w = weights[["postcode_sector", "ward_code", "lad_code"]].assign(
        w=weights[by_column].fillna(weights["weight_postcodes"])
    )
    key_cols = list(keys.columns)
    anywhere = keys[keys["scope_lad"] == _ANY].merge(w, on="postcode_sector")
    within = keys[keys["scope_lad"] != _ANY].merge(
        w, left_on=["postcode_sector", "scope_lad"], right_on=["postcode_sector", "lad_code"]
    )
    both = pd.concat([anywhere, within], ignore_index=True)
    both = _normalised(both, key_cols, "w")
    both["method"] = method
    return both[key_cols + ["ward_code", "lad_code", "weight", "method"]]


def _property_weights(keys: pd.DataFrame, occupancy: pd.DataFrame) -> pd.DataFrame:
    key_cols = list(keys.columns)
    if occupancy.empty:
        return pd.DataFrame(columns=key_cols + ["ward_code", "lad_code", "weight", "method"])
    # People on subsistence support live with friends or family, not in provider properties.
    candidates = keys[(keys["quarter"] != _ANY) & (keys["accommodation_type"] != SUBSISTENCE)]
    occ = occupancy.rename(columns={"accommodation_type": "property_type_"})
    anywhere = candidates[candidates["scope_lad"] == _ANY].merge(occ, on=["quarter", "postcode_sector"])
    within = candidates[candidates["scope_lad"] != _ANY].merge(
        occ, left_on=["quarter", "postcode_sector", "scope_lad"], right_on=["quarter", "postcode_sector", "lad_code"]
    )
    both = pd.concat([anywhere, within], ignore_index=True)
    both = both[both["property_type_"] == both["accommodation_type"]]
    both = _normalised(both, key_cols, "occupied")
    both["method"] = PROPERTIES
    return both[key_cols + ["ward_code", "lad_code", "weight", "method"]]


def combine_methods(methods: pd.Series) -> str:
    """One word for how an area's figure was apportioned, from its contributions' methods."""
    found = set(methods.dropna())
    if not found:
        return ""
    apportioned = found - {DIRECT}
    if not apportioned:
        return DIRECT
    if len(apportioned) == 1:
        return apportioned.pop()
    return MIXED


def combine_methods_by(frame: pd.DataFrame, keys: list[str], column: str = "method") -> pd.Series:
    """:func:`combine_methods` of every group of ``keys`` at once (empty text counts as no method).

    Indexed by the groups that have some method; the others are left out (their method is "").
    """
    grouped = frame.groupby(keys, sort=False)
    index = grouped.size().index
    combined = combine_methods_coded(grouped.ngroup().to_numpy(), frame[column].to_numpy(dtype=object), len(index))
    out = pd.Series(combined, index=index, dtype=object, name=column)
    return out[out != ""]


def combine_methods_coded(groups: np.ndarray, methods: np.ndarray, n_groups: int) -> np.ndarray:
    """:func:`combine_methods` per group, for rows numbered by group (``groups``; NaN or < 0: in none).

    Distinct (group, method) pairs are counted with numpy, so that no Python runs per group.
    """
    groups = np.asarray(groups, dtype=float)
    given = pd.notna(methods) & pd.notna(groups)
    given[given] = methods[given].astype(str) != ""
    group = groups[given].astype(np.int64)
    names, codes = np.unique(methods[given].astype(str), return_inverse=True)
    out = np.full(n_groups, "", dtype=object)
    if not len(names):
        return out
    pairs = np.unique(group * len(names) + codes)
    pair_group, pair_method = pairs // len(names), pairs % len(names)
    apportioned = names[pair_method] != DIRECT
    out[np.bincount(pair_group, minlength=n_groups) > 0] = DIRECT
    count = np.bincount(pair_group[apportioned], minlength=n_groups)
    only = np.full(n_groups, "", dtype=object)
    only[pair_group[apportioned]] = names[pair_method[apportioned]]
    out[count == 1] = only[count == 1]
    out[count > 1] = MIXED
    return out

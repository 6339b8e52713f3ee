"""People per area split by accommodation and support type: the figures kept at load time.

A load's apportionment is computed once and stored as these rows, one per
(month, level, area, accommodation type, support type); which types count
against the limit is a setting applied when they are read
(:func:`people_from_figures`), so changing it needs no rebuild. The
result of reading equals :func:`app.cluster.position.people_by_area` over
the records themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.cluster import position
from app.cluster.apportion import Apportioned, combine_methods_coded
from app.config import Settings

TYPES = ["accommodation_type", "support_type"]
FIGURE_COLUMNS = ["month", "level", "area_code", "lad_code", *TYPES, "people", "unallocated", "method"]


def _types(records: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """The record's types as stored ('' for none), for each share's record."""
    out = {}
    for column in TYPES:
        values = records[column] if column in records else pd.Series(pd.NA, index=records.index, dtype="string")
        out[column] = values.astype("string").fillna("").reindex(rows).to_numpy()
    return pd.DataFrame(out)


def figure_rows(
    records: pd.DataFrame, apportioned: Apportioned, areas: pd.DataFrame, lad_codes: set[str]
) -> pd.DataFrame:
    """Ward and LA rows for the shares landing in ``lad_codes`` (shares already filtered to those in force).

    ``records`` (indexed like the apportionment) needs ``month``. Wards not in
    ``areas`` are left out, as the monitoring table leaves them out.
    """
    ward_lad = areas.loc[areas["level"] == "ward"].set_index("area_code")["lad_code"].astype(str)
    known_lads = set(areas.loc[areas["level"] == "lad", "area_code"].astype(str))
    month_of = records["month"].astype(str)

    wards = apportioned.wards
    wards = wards[wards["ward_code"].isin(ward_lad.index)]
    wards = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": month_of.reindex(wards["record"]).to_numpy(),
                    "area_code": wards["ward_code"].astype(str).to_numpy(),
                    "people": wards["people"].astype(float).to_numpy(),
                    "method": wards["method"].astype(str).to_numpy(),
                }
            ),
            _types(records, wards["record"]),
        ],
        axis=1,
    )
    wards["lad_code"] = wards["area_code"].map(ward_lad)
    wards = wards[wards["lad_code"].isin(lad_codes)]
    ward_rows = _summed(wards, ["month", "area_code", "lad_code", *TYPES], ["people"])
    ward_rows["unallocated"] = 0.0

    lost = apportioned.unallocated
    lost = lost[lost["lad_code"].notna()]
    lost = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": month_of.reindex(lost["record"]).to_numpy(),
                    "lad_code": lost["lad_code"].astype(str).to_numpy(),
                    "unallocated": lost["people"].astype(float).to_numpy(),
                }
            ),
            _types(records, lost["record"]),
        ],
        axis=1,
    )
    lost = lost[lost["lad_code"].isin(lad_codes)]
    lost = lost.groupby(["month", "lad_code", *TYPES], as_index=False, sort=False)["unallocated"].sum()

    in_wards = _summed(ward_rows, ["month", "lad_code", *TYPES], ["people"])
    lad_rows = in_wards.merge(lost, how="outer", on=["month", "lad_code", *TYPES])
    lad_rows["unallocated"] = lad_rows["unallocated"].fillna(0.0)
    lad_rows["people"] = lad_rows["people"].fillna(0.0) + lad_rows["unallocated"]
    lad_rows["method"] = lad_rows["method"].fillna("")
    lad_rows = lad_rows[lad_rows["lad_code"].isin(known_lads)]
    lad_rows["area_code"] = lad_rows["lad_code"]
    frames = [ward_rows.assign(level=position.WARD), lad_rows.assign(level=position.LAD)]
    return pd.concat(frames, ignore_index=True)[FIGURE_COLUMNS]


def region_rows(lad_rows: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Region rows from the stored LA rows of their LAs (every LA row is of an LA that reported)."""
    region_of = areas.loc[areas["level"] == "lad"].set_index("area_code")["region_code"]
    las = lad_rows.assign(area_code=lad_rows["lad_code"].map(region_of)).dropna(subset=["area_code"])
    rows = _summed(las, ["month", "area_code", *TYPES], ["people", "unallocated"])
    return rows.assign(level=position.REGION, lad_code="")[FIGURE_COLUMNS]


def _summed(frame: pd.DataFrame, keys: list[str], sums: list[str], as_index: bool = False) -> pd.DataFrame:
    """``sums`` added up per group of ``keys``, with the groups' combined ``method`` ("" for none)."""
    grouped = frame.groupby(keys, sort=False)
    summed = grouped[sums].sum()
    methods = frame["method"].to_numpy(dtype=object)
    summed["method"] = combine_methods_coded(grouped.ngroup().to_numpy(), methods, len(summed))
    return summed if as_index else summed.reset_index()


def counted_rows(figures: pd.DataFrame, settings: Settings | None) -> pd.Series:
    """Which figure rows count under ``settings`` (all when None): :func:`app.cluster.position.counted`."""
    if settings is None or figures.empty:
        return pd.Series(True, index=figures.index)
    kinds = figures[TYPES].drop_duplicates()
    as_records = kinds.replace("", pd.NA).astype("string")
    kinds = kinds.assign(_counted=position.counted(as_records, settings).to_numpy())
    return pd.Series(figures[TYPES].merge(kinds, how="left", on=TYPES)["_counted"].to_numpy(), index=figures.index)


def people_from_figures(
    figures: pd.DataFrame,
    areas: pd.DataFrame,
    covered: pd.DataFrame,
    months: list[str],
    settings: Settings | None = None,
    levels: tuple[str, ...] = position.LEVELS,
    lad_codes: set[str] | None = None,
) -> pd.DataFrame:
    """:func:`app.cluster.position.people_by_area` (columns and rows) from stored figure rows.

    ``covered``: (``month``, ``lad_code``) pairs in force; ``months``: the
    months to give rows for; ``lad_codes``: only the wards and LAs of these
    LAs (regions are not narrowed).
    """
    figures = figures[counted_rows(figures, settings).to_numpy()] if len(figures) else figures
    summed = _summed(figures, ["level", "month", "area_code"], ["people", "unallocated"], as_index=True)
    months_index = pd.Index(sorted(months), name="month")
    pairs = pd.MultiIndex.from_arrays([covered["month"].astype(str), covered["lad_code"].astype(str)])
    lads = areas.loc[areas["level"] == "lad", ["area_code", "region_code"]]
    frames = []
    for level, kind in ((position.WARD, "ward"), (position.LAD, "lad")):
        if level not in levels and not (level == position.LAD and position.REGION in levels):
            continue
        own = areas.loc[areas["level"] == kind, ["area_code", "lad_code" if kind == "ward" else "area_code"]]
        own = own.set_axis(["area_code", "lad_code"], axis=1)
        if lad_codes is not None:
            own = own[own["lad_code"].isin(lad_codes)]
        grid = pd.MultiIndex.from_product([months_index, pd.Index(own["area_code"].unique(), name="area_code")])
        rows = grid.to_frame(index=False).merge(own.drop_duplicates("area_code"), on="area_code", how="left")
        rows = rows.merge(_level(summed, level), how="left", on=["month", "area_code"])
        keys = pd.MultiIndex.from_arrays([rows["month"].astype(str), rows["lad_code"].astype(str)])
        reported = keys.isin(pairs)
        rows["people"] = np.where(reported, rows["people"].fillna(0.0), np.nan)
        rows["unallocated"] = np.where(reported, rows["unallocated"].fillna(0.0), np.nan)
        rows["method"] = pd.Series(np.where(reported, rows["method"].fillna(""), ""), dtype=object)
        rows["las_reported"] = reported.astype(int)
        rows["las_expected"] = 1
        frames.append(rows.assign(level=level))
    if position.REGION in levels:
        frames.append(_regions(summed, lads, months_index, pairs))
    columns = [
        "level",
        "month",
        "area_code",
        "lad_code",
        "people",
        "unallocated",
        "method",
        "las_reported",
        "las_expected",
    ]
    out = pd.concat(
        [
            f[columns].astype(
                {"lad_code": "string", "area_code": object, "people": float, "unallocated": float, "method": object}
            )
            for f in frames
        ],
        ignore_index=True,
    )
    return out[out["level"].isin(levels) | (out["level"] == position.LAD)]


def _level(summed: pd.DataFrame, level: str) -> pd.DataFrame:
    if summed.empty:
        return pd.DataFrame(columns=["month", "area_code", "people", "unallocated", "method"])
    part = summed.loc[summed.index.get_level_values("level") == level]
    return part.reset_index().drop(columns="level")


def _regions(summed: pd.DataFrame, lads: pd.DataFrame, months: pd.Index, pairs: pd.MultiIndex) -> pd.DataFrame:
    lads = lads.dropna(subset=["region_code"])
    grid = pd.MultiIndex.from_product([months, pd.Index(lads["area_code"].unique(), name="lad_code")])
    grid = grid.to_frame(index=False).merge(lads.rename(columns={"area_code": "lad_code"}), on="lad_code")
    grid["reported"] = pd.MultiIndex.from_arrays([grid["month"].astype(str), grid["lad_code"].astype(str)]).isin(pairs)
    state = grid.groupby(["month", "region_code"], as_index=False).agg(
        las_reported=("reported", "sum"), las_expected=("reported", "size")
    )
    state = state.rename(columns={"region_code": "area_code"})
    rows = state.merge(_level(summed, position.REGION), how="left", on=["month", "area_code"])
    some = rows["las_reported"] > 0
    rows["people"] = np.where(some, rows["people"].fillna(0.0), np.nan)
    rows["unallocated"] = np.where(some, rows["unallocated"].fillna(0.0), np.nan)
    rows["method"] = pd.Series(np.where(some, rows["method"].fillna(""), ""), dtype=object)
    return rows.assign(level=position.REGION, lad_code=pd.NA)

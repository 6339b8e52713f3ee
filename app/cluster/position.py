"""Each area's position against the cluster limit: the monitoring table.

People are counted where the apportionment put them; ward figures add up
to their LA (plus the LA's people whose sector could not be placed in a
ward), and LA figures add up to their region. The Home Office applies the
limit to LAs only, so the LA status is the official flag and ward statuses
are a local indicator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.cluster.apportion import Apportioned, combine_methods
from app.config import Settings

WARD, LAD, REGION = "ward", "la", "region"
LEVELS = (WARD, LAD, REGION)
BREACH, APPROACHING, OK, UNKNOWN, NO_DATA = "breach", "approaching", "ok", "unknown", "no_data"

SUMMARY_COLUMNS = [
    "level",
    "area_code",
    "area_name",
    "lad_code",
    "month",
    "people",
    "population",
    "limit",
    "share_of_limit",
    "headroom",
    "status",
    "method",
]


def counted(records: pd.DataFrame, settings: Settings) -> pd.Series:
    """Which records count against the limit (by default: dispersal accommodation).

    A file with no accommodation type counts all its rows, as interface.md says.
    """
    accommodation = records["accommodation_type"].astype("string").str.lower()
    mask = accommodation.isna() | accommodation.isin(settings.counted_types)
    if settings.counted_support_types:
        support = records["support_type"].astype("string").str.lower()
        mask &= support.isna() | support.isin(settings.counted_support_types)
    return mask.fillna(False).astype(bool)


def people_by_area(
    records: pd.DataFrame,
    apportioned: Apportioned,
    areas: pd.DataFrame,
    mask: pd.Series | None = None,
    covered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """People per (month, area) at ward, LA and region level, with the apportionment method.

    ``records`` (indexed like the apportionment) needs ``month``; ``mask``
    selects the records that count. ``areas`` maps wards to LAs and LAs to
    regions. Every ward and LA gets a row for every month. ``covered`` lists
    the (``month``, ``lad_code``) pairs some file covers: the wards and LA of
    any other pair get no figure (NaN, "no data"), never zero; a region adds
    up the LAs that reported and counts them in ``las_reported``. Without
    ``covered`` every LA-month with records counts as covered.
    """
    record_months = set(records["month"].dropna().unique())
    if covered is not None:
        record_months |= set(covered["month"].dropna().astype(str))
    months = pd.Index(sorted(record_months), name="month")
    keep = records.index if mask is None else records.index[mask.to_numpy()]
    month_of = records["month"]

    wards = apportioned.wards[apportioned.wards["record"].isin(keep)]
    wards = wards.assign(month=month_of.reindex(wards["record"]).to_numpy())
    ward_people = wards.groupby(["month", "ward_code"], as_index=False).agg(
        people=("people", "sum"), method=("method", combine_methods)
    )
    lost = apportioned.unallocated[
        apportioned.unallocated["record"].isin(keep) & apportioned.unallocated["lad_code"].notna()
    ]
    lost = lost.assign(month=month_of.reindex(lost["record"]).to_numpy())

    ward_areas = areas[areas["level"] == "ward"][["area_code", "lad_code"]]
    lad_areas = areas[areas["level"] == "lad"][["area_code", "region_code"]]

    ward_grid = _grid(months, ward_areas["area_code"])
    ward_rows = ward_grid.merge(ward_people.rename(columns={"ward_code": "area_code"}), how="left")
    ward_rows["people"] = ward_rows["people"].fillna(0.0)
    ward_rows["method"] = ward_rows["method"].fillna("")
    ward_rows = ward_rows.merge(ward_areas, on="area_code", how="left")

    lad_in_wards = ward_rows.groupby(["month", "lad_code"], as_index=False).agg(
        people=("people", "sum"), method=("method", _combine_nonempty)
    )
    lad_lost = lost.groupby(["month", "lad_code"], as_index=False).agg(unallocated=("people", "sum"))
    lad_grid = _grid(months, lad_areas["area_code"]).rename(columns={"area_code": "lad_code"})
    lad_rows = lad_grid.merge(lad_in_wards, how="left").merge(lad_lost, how="left")
    lad_rows["unallocated"] = lad_rows["unallocated"].fillna(0.0)
    lad_rows["people"] = lad_rows["people"].fillna(0.0) + lad_rows["unallocated"]
    lad_rows["method"] = lad_rows["method"].fillna("")
    lad_rows["area_code"] = lad_rows["lad_code"]
    lad_rows = lad_rows.merge(lad_areas.rename(columns={"area_code": "lad_code"}), on="lad_code", how="left")

    if covered is None:
        shares = pd.concat([apportioned.wards[["record", "lad_code"]], apportioned.unallocated[["record", "lad_code"]]])
        covered = shares.assign(month=month_of.reindex(shares["record"]).to_numpy()).dropna(subset=["lad_code"])
    pairs = pd.MultiIndex.from_arrays([covered["month"].astype(str), covered["lad_code"].astype(str)])
    for rows in (ward_rows, lad_rows):
        keys = pd.MultiIndex.from_arrays([rows["month"].astype(str), rows["lad_code"].astype(str)])
        rows["reported"] = keys.isin(pairs)
        rows.loc[~rows["reported"], ["people", "unallocated"] if "unallocated" in rows else ["people"]] = np.nan
        rows.loc[~rows["reported"], "method"] = ""

    region_rows = (
        lad_rows.dropna(subset=["region_code"])
        .groupby(["month", "region_code"], as_index=False)
        .agg(
            people=("people", lambda s: s.sum(min_count=1)),
            unallocated=("unallocated", lambda s: s.sum(min_count=1)),
            method=("method", _combine_nonempty),
            las_reported=("reported", "sum"),
            las_expected=("reported", "size"),
        )
    )
    region_rows = region_rows.rename(columns={"region_code": "area_code"}).assign(lad_code=pd.NA)

    ward_rows = ward_rows.assign(
        level=WARD,
        unallocated=np.where(ward_rows["reported"], 0.0, np.nan),
        las_reported=ward_rows["reported"].astype(int),
        las_expected=1,
    )
    lad_rows = lad_rows.assign(level=LAD, las_reported=lad_rows["reported"].astype(int), las_expected=1)
    region_rows = region_rows.assign(level=REGION)
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
    frames = [rows[columns].astype({"lad_code": "string"}) for rows in (ward_rows, lad_rows, region_rows)]
    return pd.concat(frames, ignore_index=True)


def _grid(months: pd.Index, codes: pd.Series) -> pd.DataFrame:
    index = pd.MultiIndex.from_product([months, pd.Index(codes.unique(), name="area_code")])
    return index.to_frame(index=False)


def _combine_nonempty(methods: pd.Series) -> str:
    return combine_methods(methods.replace("", pd.NA))


def population_by_area(areas: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Residents per area, with region totals built from their LAs.

    A region's population is missing (never a partial sum) when any of its
    LAs has none.
    """
    pop = population[["area_code", "population", "population_0_17", "source_year"]]
    lads = areas[areas["level"] == "lad"][["area_code", "region_code"]].merge(pop, on="area_code", how="left")
    regions = (
        lads.dropna(subset=["region_code"])
        .groupby("region_code")
        .agg(
            population=("population", lambda s: s.sum(min_count=len(s)) if s.notna().all() else np.nan),
            population_0_17=("population_0_17", lambda s: s.sum(min_count=len(s)) if s.notna().all() else np.nan),
            source_year=("source_year", "max"),
        )
    )
    regions = regions.reset_index().rename(columns={"region_code": "area_code"})
    return pd.concat([pop, regions], ignore_index=True).drop_duplicates("area_code")


def limit_ratios(areas: pd.DataFrame, overrides: pd.Series | None, default: float) -> pd.Series:
    """Residents per supported person for every area: its own agreed variation, else its LA's, else the default."""
    overrides = overrides.dropna() if overrides is not None else pd.Series(dtype=float)
    own = areas["area_code"].map(overrides)
    parent = areas["lad_code"].map(overrides)
    return pd.Series(own.fillna(parent).fillna(default).to_numpy(), index=areas["area_code"].to_numpy())


def monitoring_table(
    people: pd.DataFrame,
    areas: pd.DataFrame,
    population: pd.DataFrame,
    settings: Settings,
    limit_overrides: pd.Series | None = None,
) -> pd.DataFrame:
    """The ``summary`` table of interface.md for every level and month in ``people``.

    ``people``: :func:`people_by_area`. ``population``: :func:`population_by_area`.
    """
    named = areas[["area_code", "area_name"]]
    regions = _regions(areas)[["area_code"]].assign(lad_code=pd.Series(dtype="string"))
    all_areas = pd.concat([areas[["area_code", "lad_code"]].astype({"lad_code": "string"}), regions])
    all_areas = all_areas.drop_duplicates("area_code")
    ratios = limit_ratios(all_areas, limit_overrides, settings.limit_ratio)

    table = people.merge(named, on="area_code", how="left").merge(
        _regions(areas), on="area_code", how="left", suffixes=("", "_region")
    )
    table["area_name"] = table["area_name"].fillna(table.pop("region_name"))
    table = table.merge(population[["area_code", "population"]], on="area_code", how="left")
    table = _partial_regions(table, areas)
    table["limit"] = table["population"] / table["area_code"].map(ratios)
    table["share_of_limit"] = table["people"] / table["limit"]
    table["headroom"] = table["limit"] - table["people"]
    table["status"] = status(table["people"], table["limit"], settings.approaching)
    table["lad_code"] = table["lad_code"].astype("string").fillna("")
    table = table.sort_values(["level", "lad_code", "area_code", "month"], key=_level_order)
    extra = ["unallocated"] + [c for c in ("las_reported", "las_expected") if c in table]
    return table[SUMMARY_COLUMNS + extra].reset_index(drop=True)


def _partial_regions(table: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """A region some of whose LAs did not report is measured against the residents of those that did.

    Its people are the reported LAs' sum, so comparing them with the whole
    region's limit would understate its position; ``las_reported`` says it is partial.
    """
    if "las_reported" not in table:
        return table
    region_of = areas.loc[areas["level"] == "lad"].set_index("area_code")["region_code"]
    las = table[(table["level"] == LAD) & table["people"].notna()]
    reported = (
        las.assign(region=las["area_code"].map(region_of)).groupby(["month", "region"])["population"].sum(min_count=1)
    )
    partial = (table["level"] == REGION) & (table["las_reported"] < table["las_expected"])
    keys = list(zip(table.loc[partial, "month"], table.loc[partial, "area_code"]))
    table.loc[partial, "population"] = [reported.get(key, np.nan) for key in keys]
    return table


def _level_order(column: pd.Series) -> pd.Series:
    if column.name == "level":
        return column.map({REGION: 0, LAD: 1, WARD: 2})
    return column


def _regions(areas: pd.DataFrame) -> pd.DataFrame:
    regions = areas.loc[areas["level"] == "lad", ["region_code", "region_name"]].dropna(subset=["region_code"])
    return regions.drop_duplicates("region_code").rename(columns={"region_code": "area_code"})


def status(people: pd.Series, limit: pd.Series, approaching: float) -> pd.Series:
    """``no_data`` without a figure, ``breach`` over the limit, ``approaching`` from the threshold, ``ok`` below,
    ``unknown`` without a population."""
    result = np.select(
        [people.isna(), limit.isna(), people > limit, people >= approaching * limit],
        [NO_DATA, UNKNOWN, BREACH, APPROACHING],
        default=OK,
    )
    return pd.Series(result, index=people.index)


def format_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Round and order the columns exactly as interface.md specifies, for output."""
    out = table[SUMMARY_COLUMNS].copy()
    for column, places in (("people", 2), ("limit", 2), ("headroom", 2), ("share_of_limit", 4)):
        out[column] = out[column].astype(float).round(places)
    whole = out["population"].dropna()
    if (whole == whole.round()).all():
        out["population"] = out["population"].round().astype("Int64")
    out = out.sort_values(["lad_code", "area_code"], kind="stable")
    return out.reset_index(drop=True)

"""Which LA-months have data: the rule that tells "no data" from zero.

A load is in force for the LA-months it covers (``load_coverage`` in the
store). An apportioned share counts only where its record's load is in force
for the LA the share lands in, so a one-LA correction replaces that LA and
nothing else, and an LA that no file covers has no figure at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from app.cluster.apportion import Apportioned

COVERED_COLUMNS = ["month", "lad_code"]


def covered(coverage: pd.DataFrame) -> pd.DataFrame:
    """The (month, LA) pairs some load covers, with the load in force and whether it covered the LA whole."""
    if coverage is None or coverage.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="string"),
                "lad_code": pd.Series(dtype="string"),
                "load_id": pd.Series(dtype="Int64"),
                "complete": pd.Series(dtype="bool"),
            }
        )
    frame = coverage.rename(columns={"period": "month"})[["month", "lad_code", "load_id", "complete"]]
    return frame.drop_duplicates(COVERED_COLUMNS, keep="last").reset_index(drop=True)


def in_force(apportioned: Apportioned, records: pd.DataFrame, current: pd.DataFrame) -> Apportioned:
    """Keep the shares whose record's load is in force for the (month, LA) the share lands in.

    ``records`` (indexed like the apportionment) needs ``month`` and ``load_id``;
    ``current``: :func:`covered`. Records without ``load_id`` (not from the
    store) are taken as in force.
    """
    if "load_id" not in records or current is None:
        return apportioned
    allowed = pd.DataFrame(
        {
            "load_id": current["load_id"].astype("int64").to_numpy(),
            "month": current["month"].astype(str).to_numpy(),
            "lad_code": current["lad_code"].astype(str).to_numpy(),
        }
    )
    load_of = records["load_id"].astype("int64")
    month_of = records["month"].astype(str)

    def keep(part: pd.DataFrame) -> pd.DataFrame:
        if part.empty:
            return part
        probe = pd.DataFrame(
            {
                "load_id": load_of.reindex(part["record"]).to_numpy(),
                "month": month_of.reindex(part["record"]).to_numpy(),
                "lad_code": part["lad_code"].astype("string").fillna("").astype(str).to_numpy(),
            }
        )
        found = probe.merge(allowed.assign(_in=1), how="left", on=["load_id", "month", "lad_code"])["_in"]
        return part[found.notna().to_numpy()].reset_index(drop=True)

    return Apportioned(keep(apportioned.wards), keep(apportioned.unallocated))


def reporting(current: pd.DataFrame, lads: pd.DataFrame, month: str) -> dict:
    """For one month: the LAs expected (``lads``: ``area_code``, ``area_name``), those reported and those missing."""
    names = lads.set_index("area_code")["area_name"].astype(str)
    have = set(current.loc[current["month"] == month, "lad_code"].astype(str))
    expected = list(names.index)
    missing = [code for code in expected if code not in have]
    return {
        "month": month,
        "expected": len(expected),
        "reported": len(expected) - len(missing),
        "missing": missing,
        "missing_names": [names[code] for code in missing],
        "complete": not missing,
    }


def headline(report: dict, month_label: str | None = None) -> str:
    """ "4 of 6 LAs reported for October 2025; missing: X, Y" (or that every LA reported)."""
    label = month_label or report["month"]
    if report["complete"]:
        return f"All {report['expected']} LAs reported for {label}."
    text = f"{report['reported']} of {report['expected']} LAs reported for {label}"
    return text + "; missing: " + ", ".join(report["missing_names"]) + "."


def latest_complete(current: pd.DataFrame, lad_codes: list[str], months: list[str]) -> str | None:
    """The latest month every LA of ``lad_codes`` reported, else the latest month any did."""
    wanted = set(lad_codes)
    for month in sorted(months, reverse=True):
        if wanted <= set(current.loc[current["month"] == month, "lad_code"].astype(str)):
            return month
    return max(months) if months else None


@dataclass
class FileScope:
    """The LAs a monthly file covers, and what its sectors say about where it is from.

    ``pinned``: the one LA a file without an LA column is for (its records are
    then apportioned within that LA only); ``partly``: LAs a multi-LA file
    reaches only through sectors it shares with other LAs; ``problems``:
    (message, column) pairs that refuse the file.
    """

    lad_codes: set[str]
    pinned: str | None = None
    partly: set[str] = field(default_factory=set)
    problems: list[tuple[str, str]] = field(default_factory=list)


#: A file naming no LA is taken to be for one LA when that LA holds at least this share of its known sectors.
SINGLE_LA_SHARE = 0.95
#: A file is refused when more than this share of its sectors lie outside the LA it names or the loaded geography.
OUTSIDE_SHARE = 0.5


def _where(sectors: pd.Series, weights: pd.DataFrame, names: pd.Series) -> str:
    """ "30 in Leeds, 5 not in the loaded geography": where a set of sectors mostly lie."""
    dominant = (
        weights[weights["postcode_sector"].isin(set(sectors))]
        .sort_values("n_postcodes", ascending=False)
        .drop_duplicates("postcode_sector")
        .set_index("postcode_sector")["lad_code"]
    )
    places = sectors.map(dominant).map(names).fillna("not in the loaded geography")
    counts = places.value_counts()
    return ", ".join(f"{n} {'' if place.startswith('not ') else 'in '}{place}" for place, n in counts.items())


def file_scope(
    records: pd.DataFrame, split: Apportioned, weights: pd.DataFrame, lads: pd.DataFrame, hint: str | None = None
) -> FileScope:
    """Which LAs a monthly file covers, refusing a file whose sectors lie mostly elsewhere.

    ``records``: the file's rows with ``lad_code`` (resolved, or NA) and
    ``postcode_sector``; ``split``: their apportionment by postcodes;
    ``hint``: an LA named in the file name. A file that names LAs covers
    those; one that names none covers its one LA when its sectors say so
    (or its name does), else every LA its people land in.
    """
    names = lads.set_index("area_code")["area_name"].astype(str)
    pairs = weights[["postcode_sector", "lad_code"]].dropna().astype(str).drop_duplicates()
    sectors = records["postcode_sector"].astype("string")
    named = records["lad_code"].astype("string")
    if named.notna().any():
        scope = set(named.dropna())
        problems = []
        if named.isna().any():
            rows = records.loc[named.isna(), "source_row"].astype(int).tolist()
            problems.append(
                (
                    f"the local authority is empty on {len(rows)} row(s) ({_rows(rows)}) while other rows "
                    "name one: fill it in so that their people are counted in the right LA",
                    "local_authority",
                )
            )
        listed_for = pd.DataFrame({"lad_code": named, "postcode_sector": sectors}).dropna().drop_duplicates()
        inside = pd.MultiIndex.from_frame(listed_for[["postcode_sector", "lad_code"]].astype(str)).isin(
            pd.MultiIndex.from_frame(pairs)
        )
        listed_for = listed_for.assign(outside=~inside)
        counts = listed_for.groupby("lad_code")["outside"].agg(["size", "sum"])
        doubtful = counts[(counts["size"] >= 2) & (counts["sum"] > OUTSIDE_SHARE * counts["size"])]
        for code in sorted(set(doubtful.index.astype(str)) & scope):
            mine = listed_for[listed_for["lad_code"] == code]
            outside = mine.loc[mine["outside"], "postcode_sector"]
            problems.append(
                (
                    f"of the {len(mine)} postcode sectors listed for {names.get(code, code)}, "
                    f"{len(outside)} lie outside it ({_where(outside, weights, names)}): is the local "
                    "authority right?",
                    "local_authority",
                )
            )
        return FileScope(scope, problems=problems)

    sector_las: dict[str, set[str]] = {}
    for sector, lad in pairs.itertuples(index=False):
        sector_las.setdefault(sector, set()).add(lad)
    listed = sectors.dropna().drop_duplicates()
    known = listed[listed.isin(list(sector_las))]
    if len(listed) and len(listed) - len(known) > OUTSIDE_SHARE * len(listed):
        unknown = listed[~listed.isin(list(sector_las))]
        return FileScope(
            set(),
            problems=[
                (
                    f"{len(unknown)} of the {len(listed)} postcode sectors in the file are not in the loaded geography "
                    f"(e.g. {', '.join(unknown.head(5))}): is this file for another area?",
                    "postcode_sector",
                )
            ],
        )
    touching = pd.Series([code for sec in known for code in sector_las[sec]], dtype="string").value_counts()
    if hint is not None:
        inside = int(touching.get(hint, 0))
        if inside <= OUTSIDE_SHARE * len(listed):
            outside = listed[[hint not in sector_las.get(sec, set()) for sec in listed]]
            return FileScope(
                set(),
                problems=[
                    (
                        f"the file name says {names.get(hint, hint)}, but only {inside} of its {len(listed)} postcode sectors "
                        f"lie there ({_where(outside, weights, names)})",
                        "postcode_sector",
                    )
                ],
            )
        return FileScope({hint}, pinned=hint)
    if len(touching) and touching.iloc[0] >= SINGLE_LA_SHARE * len(known):
        top = str(touching.index[0])
        return FileScope({top}, pinned=top)
    reached = set(split.wards["lad_code"].dropna().astype(str))
    whole = {next(iter(sector_las[sec])) for sec in known if len(sector_las[sec]) == 1}
    return FileScope(reached, partly=reached - whole)


def _rows(rows: list[int]) -> str:
    """ "5-12, 14": row numbers as ranges."""
    rows = sorted(set(rows))
    out, first, last = [], rows[0], rows[0]
    for row in rows[1:]:
        if row == last + 1:
            last = row
            continue
        out.append(f"{first}-{last}" if last > first else str(first))
        first = last = row
    out.append(f"{first}-{last}" if last > first else str(first))
    return ", ".join(out[:20]) + (" ..." if len(out) > 20 else "")

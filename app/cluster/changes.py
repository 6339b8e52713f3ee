"""What changed since the month before: the list an officer reads first after each load.

Plain functions over the monitoring table (:func:`app.cluster.position.monitoring_table`): the LAs and
wards that newly crossed the approaching threshold or the limit, those that came back under, the largest
rises, and the LAs with no file for the month. An area whose LA has no file in either month is not
compared (no data is not zero): its LA is listed as missing instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from app.cluster.position import APPROACHING, BREACH, LAD, OK, WARD

NO_DATA = "no_data"

#: The kinds of change, in the order they are listed (most urgent first).
MISSING = "no file for the month"
OVER = "newly over the limit"
NEAR = "newly approaching the limit"
BACK_UNDER = "back under the limit"
BACK_BELOW = "back below the threshold"
RISE = "largest rises"
KINDS = (MISSING, OVER, NEAR, BACK_UNDER, BACK_BELOW, RISE)

COLUMNS = [
    "change",
    "level",
    "area_code",
    "area_name",
    "lad_code",
    "people_before",
    "people",
    "rise",
    "limit",
    "share_before",
    "share_of_limit",
    "status_before",
    "status",
]

_RANK = {OK: 0, APPROACHING: 1, BREACH: 2}


@dataclass(frozen=True)
class Changes:
    """The changes from ``previous`` to ``month``; ``compared`` is False when the store has no earlier month."""

    month: str
    previous: str
    compared: bool
    rows: pd.DataFrame

    def of(self, kind: str, level: str | None = None) -> pd.DataFrame:
        rows = self.rows[self.rows["change"] == kind]
        return rows if level is None else rows[rows["level"] == level]

    @property
    def empty(self) -> bool:
        return self.rows.empty


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def what_changed(
    table: pd.DataFrame,
    month: str,
    *,
    lad: str | None = None,
    missing: Iterable[str] = (),
    missing_before: Iterable[str] = (),
    rises: int = 5,
) -> Changes:
    """The changes between ``month`` and the calendar month before it.

    ``table``: the monitoring table (every level; at least the two months). LAs with status ``no_data``
    in a month have no file for it; ``missing`` / ``missing_before`` add LA codes known to have none.
    ``lad`` keeps one LA and its wards. ``rises``: how many of the largest rises to list per level.
    """
    previous = previous_month(month)
    table = table[table["level"].isin((LAD, WARD))]
    if lad:
        table = table[(table["lad_code"] == lad) | (table["area_code"] == lad)]
    now = table[table["month"] == month]
    before = table[table["month"] == previous]
    gone_now = _missing(now, missing)
    gone_before = _missing(before, missing_before)

    lost = now[(now["level"] == LAD) & now["area_code"].isin(gone_now)]
    lost = lost.assign(
        change=MISSING,
        people=float("nan"),
        share_of_limit=float("nan"),
        people_before=lost["area_code"].map(before.set_index("area_code")["people"]).astype(float),
    )

    compared = not before.empty
    pairs = now.merge(
        before[["area_code", "people", "share_of_limit", "status"]],
        on="area_code",
        how="inner",
        suffixes=("", "_before"),
    )
    pairs = pairs[~pairs["lad_code"].isin(gone_now | gone_before)]
    pairs = pairs[pairs["status"].isin(_RANK) & pairs["status_before"].isin(_RANK)]
    pairs = pairs.assign(rise=pairs["people"] - pairs["people_before"], share_before=pairs.pop("share_of_limit_before"))
    rank, rank_before = pairs["status"].map(_RANK), pairs["status_before"].map(_RANK)

    over = pairs[(pairs["status"] == BREACH) & (pairs["status_before"] != BREACH)].assign(change=OVER)
    near = pairs[(pairs["status"] == APPROACHING) & (pairs["status_before"] == OK)].assign(change=NEAR)
    under = pairs[(pairs["status_before"] == BREACH) & (pairs["status"] != BREACH)].assign(change=BACK_UNDER)
    below = pairs[(rank_before == 1) & (rank == 0)].assign(change=BACK_BELOW)
    risen = pairs[pairs["rise"] > 0].sort_values(["rise", "area_code"], ascending=[False, True])
    top = pd.concat([risen[risen["level"] == level].head(rises) for level in (LAD, WARD)]).assign(change=RISE)

    frames = [f.reindex(columns=COLUMNS) for f in (lost, over, near, under, below, top) if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    order = rows["change"].map({k: i for i, k in enumerate(KINDS)})
    level_order = rows["level"].map({LAD: 0, WARD: 1})
    rows = rows.assign(_k=order, _l=level_order, _r=-pd.to_numeric(rows["rise"], errors="coerce").fillna(0))
    rows = rows.sort_values(["_k", "_l", "_r", "lad_code", "area_code"], kind="stable")
    return Changes(month, previous, compared, rows[COLUMNS].reset_index(drop=True))


def _missing(rows: pd.DataFrame, known: Iterable[str]) -> set[str]:
    flagged = rows.loc[(rows["level"] == LAD) & (rows["status"] == NO_DATA), "area_code"]
    return set(flagged) | set(known)


def headline(changes: Changes) -> list[str]:
    """One sentence per kind of change that happened, for the top of a page or a pack (whole people)."""
    words = []
    for kind in (MISSING, OVER, NEAR, BACK_UNDER, BACK_BELOW):
        rows = changes.of(kind)
        if rows.empty:
            continue
        names = ", ".join(_name(r) for r in rows.head(8).itertuples())
        more = f" and {len(rows) - 8:,} more" if len(rows) > 8 else ""
        words.append(f"{_KIND_SENTENCE[kind]}: {names}{more}.")
    if not changes.compared:
        words.append(f"No figures for {changes.previous} to compare with.")
    elif not words:
        words.append(f"No area crossed the threshold or the limit either way since {changes.previous}.")
    return words


_KIND_SENTENCE = {
    MISSING: "No file for the month (figures not shown, not zero)",
    OVER: "Newly over the limit",
    NEAR: "Newly approaching the limit",
    BACK_UNDER: "Back under the limit",
    BACK_BELOW: "Back below the approaching threshold",
}


def _name(row) -> str:
    level = "LA" if row.level == LAD else "ward"
    return f"{row.area_name} ({level})"


def for_members(changes: Changes) -> Changes:
    """Aggregates only, as members' pages: LA rows, no wards, people rounded to the nearest 5 and any
    figure under 5 withheld (empty); shares of the limit are of the rounded figure."""
    rows = changes.rows[changes.rows["level"] == LAD].copy()
    for column in ("people_before", "people"):
        values = pd.to_numeric(rows[column], errors="coerce")
        rows[column] = ((values / 5).round() * 5).where(~values.between(0, 5, inclusive="neither"))
    rows["rise"] = rows["people"] - rows["people_before"]
    # A share worked out from the exact count would give the count back (share x limit): say it of the shown one.
    limit = pd.to_numeric(rows["limit"], errors="coerce")
    rows["share_before"] = rows["people_before"] / limit.where(limit > 0)
    rows["share_of_limit"] = rows["people"] / limit.where(limit > 0)
    return Changes(changes.month, changes.previous, changes.compared, rows.reset_index(drop=True))


def whole(value, missing: str = "no data") -> str:
    """People as a whole number with thousands separators; ``missing`` for a missing figure."""
    return missing if value is None or pd.isna(value) else f"{float(value):,.0f}"


def text_lines(changes: Changes, gap: str = "no data") -> list[str]:
    """The changes as plain text (the CLI, the e-mail digest): whole people, thousands separators; ``gap`` for
    a figure not there ("withheld" for members)."""
    lines = [f"What changed from {changes.previous} to {changes.month}"]
    if not changes.compared:
        lines.append(f"  No figures for {changes.previous} to compare with.")
    for kind in KINDS:
        rows = changes.of(kind)
        if rows.empty:
            continue
        lines.append("")
        lines.append(f"{kind.capitalize()} ({len(rows):,}):")
        for row in rows.itertuples():
            level = "LA" if row.level == LAD else f"ward in {row.lad_code}"
            if kind == MISSING:
                detail = f"last month {whole(row.people_before, gap)} people"
            else:
                detail = (
                    f"{whole(row.people_before, gap)} -> {whole(row.people, gap)} people "
                    f"(limit {whole(row.limit)}, {_percent(row.share_of_limit, gap)} of it)"
                )
            lines.append(f"  {row.area_name} ({row.area_code}, {level}): {detail}")
    if len(lines) == 1 or (len(lines) == 2 and not changes.compared):
        lines.append("  No area crossed the threshold or the limit either way, and every LA has a file.")
    return lines


def _percent(share, gap: str = "no data") -> str:
    return gap if share is None or pd.isna(share) else f"{float(share):.1%}"

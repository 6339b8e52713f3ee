"""Statistical disclosure control for counts that leave the restricted view.

domain.md: counts under 5 are shown as "fewer than 5"; secondary suppression
makes sure no such cell can be worked out from the totals published with it;
other small-area counts are rounded to the nearest 5.

The model is a two-way table (e.g. local authority x country of origin for
one month) published with its row totals, column totals and grand total.
An attacker knows every published figure, that counts are whole and not
negative, that a cell shown as "fewer than 5" holds 1 to 4 (zeros are shown
as 0), and that a withheld (secondary) cell holds at least 5. A suppressed
figure is *recoverable* when those facts leave it only one possible value.
A table of fewer than 5 people in all is hidden whole (every figure, zeros
included, says "fewer than 5": each can then be 0 to 4).

Append the totals to the table as an extra row and column, negated, and every
line of the augmented table sums to zero: it is a network. The published
figures then pin a suppressed entry exactly when no directed cycle of
suppressed entries with room to move (a count at its known bound can move
one way only) passes through it; :func:`recoverable` checks that, and
:func:`secondary_suppress` withholds further cells, smallest first, until no
suppressed entry is recoverable.

Pure functions over DataFrames; no I/O. Reused for councillors' views and
the meeting packs.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

THRESHOLD = 5
TOTAL = "Total"
PRIMARY, SECONDARY = "primary", "secondary"
WITHHELD = "withheld"

#: Display string of a secondary (withheld) cell: it is not "fewer than 5", so it must not say so.
WITHHELD_TEXT = "withheld"


def fewer_than(threshold: int = THRESHOLD) -> str:
    return f"fewer than {threshold}"


def round_to(values, base: int = 5):
    """Round to the nearest multiple of ``base`` (halves up); missing values stay missing.

    Works on scalars, arrays and Series (keeping the index).
    """
    if isinstance(values, pd.Series):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        return pd.Series(np.floor(numbers / base + 0.5) * base, index=values.index, name=values.name)
    array = np.asarray(values, dtype="float64")
    out = np.floor(array / base + 0.5) * base
    return out if out.ndim else float(out)


def primary(values: pd.Series, threshold: int = THRESHOLD) -> pd.Series:
    """Cells that must not be shown: 1 to ``threshold - 1`` (a zero discloses no household)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return (numbers > 0) & (numbers < threshold)


def whole_counts(values: pd.Series) -> pd.Series:
    """Counts as whole numbers (halves up): sums can hold the estimate used for a source's "<5" (2.5)."""
    return np.floor(pd.to_numeric(values, errors="coerce").fillna(0).astype("float64") + 0.5).astype("int64")


def suppress(
    table: pd.DataFrame, value_col: str, group_cols: Sequence[str], threshold: int = THRESHOLD
) -> pd.DataFrame:
    """Sum ``value_col`` by ``group_cols`` and mark the cells under the threshold (primary suppression).

    Returns ``group_cols``, ``value_col`` (whole numbers), ``suppressed``
    (bool), ``reason`` ('primary' or '') and ``display`` ("fewer than 5" or
    the count). Missing group values become "Not known", so that the cells
    still add up to the totals. Use :func:`secondary_suppress` before
    publishing a table together with its totals.
    """
    group_cols = list(group_cols)
    keys = table[group_cols].astype("string").fillna("Not known")
    summed = (
        table.assign(**{c: keys[c] for c in group_cols}, **{value_col: pd.to_numeric(table[value_col])})
        .groupby(group_cols, as_index=False, sort=True)[value_col]
        .sum()
    )
    summed[value_col] = whole_counts(summed[value_col])
    flagged = primary(summed[value_col], threshold)
    summed["suppressed"] = flagged.to_numpy()
    summed["reason"] = np.where(flagged, PRIMARY, "")
    summed["display"] = display_strings(summed[value_col], summed["reason"], threshold)
    return summed


def display_strings(
    values: pd.Series, reason: pd.Series, threshold: int = THRESHOLD, round_base: int | None = None
) -> pd.Series:
    """What a reader sees: the count (rounded when asked), "fewer than 5", or "withheld"."""
    shown = round_to(values, round_base) if round_base else pd.to_numeric(values)
    text = shown.map(lambda v: f"{int(v):,}" if v == v else "")
    text = text.where(reason.ne(PRIMARY), fewer_than(threshold))
    return text.where(reason.ne(SECONDARY), WITHHELD_TEXT).astype("string")


# ------------------------------------------------------------------ the network model


@dataclass(frozen=True)
class Entry:
    """One figure of the augmented table: a cell, a row or column total, or the grand total."""

    row: object
    column: object


def _augmented(grid: pd.DataFrame) -> dict[Entry, int]:
    """Cells and totals keyed by (row, column); totals use the ``TOTAL`` key."""
    values = {Entry(r, c): int(v) for (r, c), v in grid.stack().items()}
    for r, v in grid.sum(axis=1).items():
        values[Entry(r, TOTAL)] = int(v)
    for c, v in grid.sum(axis=0).items():
        values[Entry(TOTAL, c)] = int(v)
    values[Entry(TOTAL, TOTAL)] = int(grid.to_numpy().sum())
    return values


def _sign(entry: Entry) -> int:
    """+1 for cells and the grand total, -1 for row and column totals (so every line sums to zero)."""
    return -1 if (entry.row == TOTAL) != (entry.column == TOTAL) else 1


def _bounds(reason: str, threshold: int, zeros_hidden: bool) -> tuple[float, float]:
    if reason == PRIMARY:
        return (0 if zeros_hidden else 1), threshold - 1
    return threshold, np.inf


class _Network:
    """The residual graph of the suppressed entries, over the table's lines (row and column nodes).

    A row node ``r`` and a column node ``c`` share exactly one entry, so the arcs are two boolean
    matrices: ``up[r, c]`` (the entry can be raised) and ``down[c, r]`` (it can be lowered). Suppressing
    another entry only adds arcs, so an entry once free stays free.
    """

    def __init__(self, values: dict[Entry, int], threshold: int, zeros_hidden: bool):
        self.values, self.threshold, self.zeros_hidden = values, threshold, zeros_hidden
        self.rows = {r: i for i, r in enumerate(dict.fromkeys(e.row for e in values))}
        self.columns = {c: i for i, c in enumerate(dict.fromkeys(e.column for e in values))}
        self.up = np.zeros((len(self.rows), len(self.columns)), dtype=bool)
        self.down = np.zeros((len(self.columns), len(self.rows)), dtype=bool)

    def directions(self, entry: Entry, reason: str) -> tuple[bool, bool]:
        """(raise arc r->c, lower arc c->r) of an entry suppressed for ``reason``."""
        low, high = _bounds(reason, self.threshold, self.zeros_hidden)
        value = self.values[entry]
        can_rise, can_fall = value < high, value > low
        if _sign(entry) < 0:
            can_rise, can_fall = can_fall, can_rise
        return can_rise, can_fall

    def add(self, entry: Entry, reason: str) -> None:
        rise, fall = self.directions(entry, reason)
        r, c = self.rows[entry.row], self.columns[entry.column]
        self.up[r, c] |= rise
        self.down[c, r] |= fall

    def _spread(self, start: tuple[str, int], backward: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) reachable from ``start`` ("r"/"c", index), or that reach it when ``backward``."""
        up, down = (self.down.T, self.up.T) if backward else (self.up, self.down)
        rows, columns = np.zeros(len(self.rows), dtype=bool), np.zeros(len(self.columns), dtype=bool)
        (rows if start[0] == "r" else columns)[start[1]] = True
        new_rows, new_columns = rows.copy(), columns.copy()
        while new_rows.any() or new_columns.any():
            reached_columns = up[new_rows].any(axis=0) & ~columns
            reached_rows = down[new_columns].any(axis=0) & ~rows
            columns |= reached_columns
            rows |= reached_rows
            new_rows, new_columns = reached_rows, reached_columns
        return rows, columns

    def _without(self, entry: Entry):
        """The entry's own arcs, cleared while the rest of the graph is searched (they make no cycle)."""
        r, c = self.rows[entry.row], self.columns[entry.column]
        rise, fall = bool(self.up[r, c]), bool(self.down[c, r])
        self.up[r, c] = self.down[c, r] = False
        return r, c, rise, fall

    def _restore(self, r: int, c: int, rise: bool, fall: bool) -> None:
        self.up[r, c], self.down[c, r] = rise, fall

    def free(self, entry: Entry) -> bool:
        """Whether some directed cycle through one of the entry's arcs exists (its value can change)."""
        r, c, rise, fall = self._without(entry)
        try:
            return (rise and self._spread(("c", c))[0][r]) or (fall and self._spread(("r", r))[1][c])
        finally:
            self._restore(r, c, rise, fall)

    def freeing(self, entry: Entry):
        """A test of whether suppressing one more entry (as secondary) would free ``entry``.

        A new arc x->y closes a cycle through the entry's raise arc r->c exactly when x is reachable from c
        and y reaches r without the entry (a simple path uses at most one of the new entry's two arcs).
        """
        r, c, rise, fall = self._without(entry)
        try:
            paths = []
            if rise:
                paths.append((self._spread(("c", c)), self._spread(("r", r), backward=True)))
            if fall:
                paths.append((self._spread(("r", r)), self._spread(("c", c), backward=True)))
        finally:
            self._restore(r, c, rise, fall)

        def frees(candidate: Entry) -> bool:
            up, down = self.directions(candidate, SECONDARY)
            x, y = self.rows[candidate.row], self.columns[candidate.column]
            return any(
                (up and ahead[0][x] and behind[1][y]) or (down and ahead[1][y] and behind[0][x])
                for ahead, behind in paths
            )

        return frees


def _network(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int, zeros_hidden: bool = False
) -> _Network:
    network = _Network(values, threshold, zeros_hidden)
    for entry, reason in reasons.items():
        network.add(entry, reason)
    return network


def recoverable(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int = THRESHOLD, zeros_hidden: bool = False
) -> list[Entry]:
    """Suppressed entries whose value the published figures (and known bounds) fix exactly.

    With ``zeros_hidden`` the table's zeros are shown as "fewer than 5" too,
    so such an entry is only known to be 0 to 4.
    """
    network = _network(values, reasons, threshold, zeros_hidden)
    return [entry for entry in reasons if not network.free(entry)]


class _Candidates:
    """Unsuppressed, non-zero entries to withhold next, cheapest first: cells before totals, and within each
    those on the same line as the exposed entry first, then by value (then row and column, as text).

    Sorted once per table; each exposed entry merges its row's and column's lists instead of sorting the
    whole table again.
    """

    def __init__(self, values: dict[Entry, int], reasons: dict[Entry, str]):
        self.reasons = reasons
        self.key = {e: (v, str(e.row), str(e.column), i) for i, (e, v) in enumerate(values.items())}
        open_entries = sorted((e for e, v in values.items() if e not in reasons and v > 0), key=self.key.__getitem__)
        self.groups = []
        for cells in (True, False):
            ordered = [e for e in open_entries if (e.row != TOTAL and e.column != TOTAL) == cells]
            by_row: dict[object, list[Entry]] = {}
            by_column: dict[object, list[Entry]] = {}
            for e in ordered:
                by_row.setdefault(e.row, []).append(e)
                by_column.setdefault(e.column, []).append(e)
            self.groups.append((ordered, by_row, by_column))

    def __call__(self, entry: Entry):
        for ordered, by_row, by_column in self.groups:
            same_line = heapq.merge(
                by_row.get(entry.row, ()), by_column.get(entry.column, ()), key=self.key.__getitem__
            )
            yield from (e for e in same_line if e not in self.reasons)
            yield from (e for e in ordered if e.row != entry.row and e.column != entry.column and e not in self.reasons)


def _protect(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int, zeros_hidden: bool
) -> dict[Entry, str] | None:
    """Add secondary suppressions until nothing is recoverable; None when even hiding everything fails.

    Each round protects the first exposed entry (in the order the entries were suppressed) by withholding
    the cheapest candidate that frees it, or the cheapest of all when none does alone. Entries already
    found free stay free, so each round resumes the scan where the last one stopped.
    """
    reasons = dict(reasons)
    network = _network(values, reasons, threshold, zeros_hidden)
    candidates = _Candidates(values, reasons)
    order = list(reasons)
    scanned = 0
    while True:
        while scanned < len(order) and network.free(order[scanned]):
            scanned += 1
        if scanned == len(order):
            return reasons
        entry = order[scanned]
        offered = candidates(entry)
        first = next(offered, None)
        if first is None:
            return None
        frees = network.freeing(entry)
        chosen = first if frees(first) else next((c for c in offered if frees(c)), first)
        reasons[chosen] = SECONDARY
        order.append(chosen)
        network.add(chosen, SECONDARY)


def protect_grid(grid: pd.DataFrame, threshold: int = THRESHOLD) -> dict[Entry, str]:
    """Primary and secondary suppression of one two-way table published with all its totals.

    ``grid``: whole non-negative counts, rows x columns (missing = 0).
    Returns the reason ('primary' / 'secondary') of each suppressed entry,
    totals included (keyed with ``TOTAL``). When known zeros would give a
    small figure away (always so when the grand total is under the
    threshold) the table's zeros are hidden too: :func:`secondary_suppress`
    marks such a table ``zeros_hidden`` and its "fewer than 5" then means 0 to 4.
    """
    return _protect_grid(grid, threshold)[0]


def _protect_grid(grid: pd.DataFrame, threshold: int) -> tuple[dict[Entry, str], bool]:
    """(reasons, zeros_hidden): hide small figures; if the zeros still give one away, hide those too."""
    values = _augmented(grid)
    if 0 < values[Entry(TOTAL, TOTAL)] < threshold:
        return dict.fromkeys(values, PRIMARY), True
    reasons = _protect(values, {e: PRIMARY for e, v in values.items() if 0 < v < threshold}, threshold, False)
    if reasons is not None:
        return reasons, False
    # Known zeros pin the small figures (e.g. a row whose only person is in one cell): hide the zeros too.
    small = {e: PRIMARY for e, v in values.items() if v < threshold}
    reasons = _protect(values, small, threshold, True)
    if reasons is None:
        reasons = {e: (PRIMARY if v < threshold else SECONDARY) for e, v in values.items()}
    return reasons, True


def secondary_suppress(
    table: pd.DataFrame,
    value_col: str,
    row_col: str,
    col_col: str,
    by: Sequence[str] = (),
    threshold: int = THRESHOLD,
    round_base: int | None = None,
) -> pd.DataFrame:
    """Protect each two-way table (``row_col`` x ``col_col``, one per ``by`` group) with its totals.

    ``table`` is long (one row per cell, e.g. the output of :func:`suppress`);
    absent cells count as 0. Returns the full grid in long form, totals
    included as rows whose ``row_col`` or ``col_col`` is ``"Total"``, with
    ``value_col``, ``suppressed``, ``reason`` ('primary' / 'secondary' / ''),
    ``shown`` (the published number, rounded to ``round_base`` when given;
    missing when suppressed), ``display`` and ``zeros_hidden`` (the table's
    zeros are hidden too, so its "fewer than 5" means 0 to 4: say so beside
    it). Drop ``value_col`` before the table leaves the restricted view.
    """
    by = list(by)
    frames = []
    groups = table.groupby(by, sort=True, dropna=False) if by else [((), table)]
    for key, part in groups:
        grid = part.pivot_table(index=row_col, columns=col_col, values=value_col, aggfunc="sum", fill_value=0).astype(
            "int64"
        )
        values = _augmented(grid)
        reasons, zeros_hidden = _protect_grid(grid, threshold)
        long = pd.DataFrame(
            {
                row_col: [e.row for e in values],
                col_col: [e.column for e in values],
                value_col: list(values.values()),
                "reason": [reasons.get(e, "") for e in values],
                "zeros_hidden": zeros_hidden,
            }
        )
        key = key if isinstance(key, tuple) else (key,)
        for name, value in zip(by, key):
            long[name] = value
        frames.append(long)
    if not frames:
        return pd.DataFrame(
            columns=[*by, row_col, col_col, value_col, "suppressed", "reason", "shown", "display", "zeros_hidden"]
        )
    out = pd.concat(frames, ignore_index=True)
    out["suppressed"] = out["reason"].ne("")
    shown = round_to(out[value_col], round_base) if round_base else out[value_col].astype("float64")
    out["shown"] = shown.where(~out["suppressed"])
    out["display"] = display_strings(out[value_col], out["reason"], threshold, round_base)
    return out[[*by, row_col, col_col, value_col, "suppressed", "reason", "shown", "display", "zeros_hidden"]]


def published(frame: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """The table as it may leave the restricted view: no raw counts, only what is shown."""
    return frame.drop(columns=[value_col])


def protect(
    table: pd.DataFrame,
    value_col: str,
    row_col: str,
    col_col: str,
    by: Sequence[str] = (),
    threshold: int = THRESHOLD,
    round_base: int | None = None,
) -> pd.DataFrame:
    """Aggregate, then primary and secondary suppression: the one call for a published cross-table."""
    summed = suppress(table, value_col, [*by, row_col, col_col], threshold)
    return secondary_suppress(summed, value_col, row_col, col_col, by, threshold, round_base)


__all__ = [
    "PRIMARY",
    "SECONDARY",
    "THRESHOLD",
    "TOTAL",
    "WITHHELD_TEXT",
    "Entry",
    "display_strings",
    "fewer_than",
    "primary",
    "protect",
    "protect_grid",
    "published",
    "recoverable",
    "round_to",
    "secondary_suppress",
    "suppress",
    "whole_counts",
]

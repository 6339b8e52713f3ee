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

from collections import deque
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


def _arcs(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int, zeros_hidden: bool = False
) -> dict[tuple, list[tuple]]:
    """Residual graph of the suppressed entries: an arc r->c raises the augmented entry, c->r lowers it."""
    graph: dict[tuple, list[tuple]] = {}
    for entry, reason in reasons.items():
        low, high = _bounds(reason, threshold, zeros_hidden)
        value = values[entry]
        can_rise, can_fall = value < high, value > low
        if _sign(entry) < 0:
            can_rise, can_fall = can_fall, can_rise
        r, c = ("r", entry.row), ("c", entry.column)
        if can_rise:
            graph.setdefault(r, []).append((c, entry))
        if can_fall:
            graph.setdefault(c, []).append((r, entry))
    return graph


def _reaches(graph: dict[tuple, list[tuple]], start: tuple, goal: tuple, skip: Entry) -> bool:
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, entry in graph.get(node, ()):
            if entry != skip and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _free(graph: dict[tuple, list[tuple]], entry: Entry) -> bool:
    """Whether some directed cycle through one of the entry's arcs exists (its value can change)."""
    r, c = ("r", entry.row), ("c", entry.column)
    rises = any(e == entry for _, e in graph.get(r, ()))
    falls = any(e == entry for _, e in graph.get(c, ()))
    return (rises and _reaches(graph, c, r, entry)) or (falls and _reaches(graph, r, c, entry))


def recoverable(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int = THRESHOLD, zeros_hidden: bool = False
) -> list[Entry]:
    """Suppressed entries whose value the published figures (and known bounds) fix exactly.

    With ``zeros_hidden`` the table's zeros are shown as "fewer than 5" too,
    so such an entry is only known to be 0 to 4.
    """
    graph = _arcs(values, reasons, threshold, zeros_hidden)
    return [entry for entry in reasons if not _free(graph, entry)]


def _candidates(values: dict[Entry, int], reasons: dict[Entry, str], entry: Entry) -> list[Entry]:
    """Unsuppressed, non-zero cells to withhold next, cheapest first: same line as the entry first."""
    open_cells = [e for e, v in values.items() if e not in reasons and v > 0]
    cells = [e for e in open_cells if e.row != TOTAL and e.column != TOTAL]
    totals = [e for e in open_cells if e not in cells]

    def cost(e: Entry) -> tuple:
        same_line = e.row == entry.row or e.column == entry.column
        return (not same_line, values[e], str(e.row), str(e.column))

    return sorted(cells, key=cost) + sorted(totals, key=cost)


def _protect(
    values: dict[Entry, int], reasons: dict[Entry, str], threshold: int, zeros_hidden: bool
) -> dict[Entry, str] | None:
    """Add secondary suppressions until nothing is recoverable; None when even hiding everything fails."""
    reasons = dict(reasons)
    while True:
        exposed = recoverable(values, reasons, threshold, zeros_hidden)
        if not exposed:
            return reasons
        entry = exposed[0]
        candidates = _candidates(values, reasons, entry)
        if not candidates:
            return None
        chosen = next(
            (c for c in candidates if _free(_arcs(values, {**reasons, c: SECONDARY}, threshold, zeros_hidden), entry)),
            candidates[0],
        )
        reasons[chosen] = SECONDARY


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

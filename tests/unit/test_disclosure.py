"""Small-number suppression: primary, secondary (proved by linear programming), rounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from app.cluster import disclosure as dc

T = dc.THRESHOLD


# ------------------------------------------------------------------ an independent audit


def audit(published: pd.DataFrame, row_col: str, col_col: str) -> dict[tuple, tuple[float, float]]:
    """For every figure not shown, the least and greatest value consistent with what is shown.

    Reads only the published columns (``shown`` and ``display``): cells and the
    "Total" row and column. Constraints: each row of cells sums to its row
    total, each column to its column total, the totals to the grand total;
    counts are whole and non-negative; "fewer than 5" means 1..4 and
    "withheld" means at least 5; in a table published with its zeros hidden
    (``zeros_hidden``, said beside it) "fewer than 5" means 0 to 4. The constraint matrix is a network matrix,
    so the linear programme's optimum is whole: max > min means at least two
    whole values are possible.
    """
    fig = {(r, c): (s, d) for r, c, s, d in published[[row_col, col_col, "shown", "display"]].itertuples(index=False)}
    rows = sorted({r for r, _ in fig if r != dc.TOTAL}, key=str)
    cols = sorted({c for _, c in fig if c != dc.TOTAL}, key=str)
    unknown = [k for k, (s, _) in fig.items() if s != s]
    index = {k: i for i, k in enumerate(unknown)}
    bounds = []
    hidden_whole = bool(published["zeros_hidden"].any())
    for k in unknown:
        text = fig[k][1]
        low = 0 if hidden_whole else 1
        bounds.append((low, T - 1) if text == dc.fewer_than(T) else (T, None))
        assert text in (dc.fewer_than(T), dc.WITHHELD_TEXT)

    equations = []
    for r in [*rows, dc.TOTAL]:
        equations.append(([(r, c) for c in cols], (r, dc.TOTAL)))
    for c in [*cols, dc.TOTAL]:
        equations.append(([(r, c) for r in rows], (dc.TOTAL, c)))
    a_eq, b_eq = [], []
    for parts, total in equations:
        coeffs, rhs = np.zeros(len(unknown)), 0.0
        for k, sign in [(p, 1.0) for p in parts] + [(total, -1.0)]:
            shown = fig.get(k, (0.0, "0"))[0]
            if k in index:
                coeffs[index[k]] += sign
            else:
                rhs -= sign * shown
        if coeffs.any():
            a_eq.append(coeffs)
            b_eq.append(rhs)
        else:
            assert abs(rhs) < 1e-9, "published figures must add up"
    out = {}
    for k, i in index.items():
        c = np.zeros(len(unknown))
        c[i] = 1.0
        low = linprog(c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds, method="highs")
        assert low.status == 0, low.message
        out[k] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def long_table(grid: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"la": f"L{i}", "country": f"C{j}", "people": v} for i, row in enumerate(grid) for j, v in enumerate(row)]
    )


def primary_only(table: pd.DataFrame) -> pd.DataFrame:
    """The naive publication: cells under 5 hidden, totals shown, no secondary suppression."""
    grid = table.pivot_table(index="la", columns="country", values="people", aggfunc="sum", fill_value=0)
    rows = [{"la": r, "country": c, "people": int(v)} for (r, c), v in grid.stack().items()]
    rows += [{"la": r, "country": dc.TOTAL, "people": int(v)} for r, v in grid.sum(axis=1).items()]
    rows += [{"la": dc.TOTAL, "country": c, "people": int(v)} for c, v in grid.sum(axis=0).items()]
    rows += [{"la": dc.TOTAL, "country": dc.TOTAL, "people": int(grid.to_numpy().sum())}]
    out = pd.DataFrame(rows)
    hidden = dc.primary(out["people"])
    out["shown"] = out["people"].astype(float).where(~hidden)
    out["display"] = np.where(hidden, dc.fewer_than(), out["people"].astype(str))
    out["zeros_hidden"] = False
    return out


# ------------------------------------------------------------------ rounding and primary suppression


def test_round_to_nearest_five_halves_up_and_keeps_missing():
    values = pd.Series([0, 2, 2.5, 3, 7, 7.5, 12, 13, np.nan], index=list("abcdefghi"))
    assert dc.round_to(values).tolist()[:8] == [0, 0, 5, 5, 5, 10, 10, 15]
    assert np.isnan(dc.round_to(values)["i"])
    assert list(dc.round_to(values).index) == list("abcdefghi")
    assert dc.round_to(22, base=10) == 20
    assert dc.round_to([1, 26], base=5).tolist() == [0, 25]


def test_primary_hides_one_to_four_but_not_zero_or_five():
    assert dc.primary(pd.Series([0, 1, 4, 4.9, 5, 50])).tolist() == [False, True, True, True, False, False]
    assert dc.primary(pd.Series([0, 6, 9]), threshold=10).tolist() == [False, True, True]


def test_suppress_sums_groups_and_says_fewer_than_five():
    records = pd.DataFrame(
        {
            "la": ["A", "A", "A", "B", "B", "B"],
            "country": ["Iran", "Iran", "Sudan", "Iran", None, None],
            "people": [2.0, 2.0, 6.0, 2.5, 3.0, 1.0],
        }
    )
    out = dc.suppress(records, "people", ["la", "country"]).set_index(["la", "country"])
    assert out.loc[("A", "Iran"), "people"] == 4 and out.loc[("A", "Iran"), "display"] == "fewer than 5"
    assert out.loc[("A", "Sudan"), "display"] == "6" and not out.loc[("A", "Sudan"), "suppressed"]
    # a source's "<5" loaded as 2.5 is a whole count below 5 and stays hidden
    assert out.loc[("B", "Iran"), "people"] == 3 and out.loc[("B", "Iran"), "suppressed"]
    assert out.loc[("B", "Not known"), "people"] == 4 and out.loc[("B", "Not known"), "reason"] == dc.PRIMARY


# ------------------------------------------------------------------ secondary suppression


def test_a_lone_small_cell_would_be_worked_out_from_its_row_total():
    table = long_table([[3, 10, 12], [8, 9, 20]])
    naive = audit(primary_only(table), "la", "country")
    assert naive[("L0", "C0")] == (3, 3)


def test_secondary_suppression_hides_enough_to_protect_the_small_cell():
    table = long_table([[3, 10, 12], [8, 9, 20]])
    out = dc.protect(table, "people", "la", "country")
    cells = out.set_index(["la", "country"])
    assert cells.loc[("L0", "C0"), "display"] == "fewer than 5"
    assert (out["reason"] == dc.SECONDARY).sum() >= 3
    assert set(out.loc[out["reason"] == dc.SECONDARY, "display"]) == {dc.WITHHELD_TEXT}
    ranges = audit(out, "la", "country")
    assert set(ranges) == set(map(tuple, out.loc[out["suppressed"], ["la", "country"]].to_numpy()))
    for key, (low, high) in ranges.items():
        assert high - low >= 1, key
    # the totals are published, exactly
    assert cells.loc[(dc.TOTAL, dc.TOTAL), "shown"] == 62
    assert cells.loc[("L1", dc.TOTAL), "shown"] == 37


def test_a_table_of_fewer_than_five_people_is_hidden_whole():
    out = dc.protect(long_table([[1, 1], [1, 0]]), "people", "la", "country")
    assert set(out["display"]) == {"fewer than 5"} and out["shown"].isna().all() and out["zeros_hidden"].all()
    for key, (low, high) in audit(out, "la", "country").items():
        assert high - low >= 1, key


def test_zeros_that_would_give_a_small_figure_away_are_hidden():
    grid = [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 1]]
    naive = dc.protect(long_table(grid), "people", "la", "country").assign(zeros_hidden=False)
    naive.loc[naive["people"] == 0, ["shown", "display"]] = [0.0, "0"]
    assert any(high - low < 1 for low, high in audit(naive, "la", "country").values())
    out = dc.protect(long_table(grid), "people", "la", "country")
    assert out["zeros_hidden"].all()
    assert (out.loc[out["people"] == 0, "display"] == "fewer than 5").all()
    for key, (low, high) in audit(out, "la", "country").items():
        assert high - low >= 1, key


def test_small_totals_are_suppressed_too():
    table = long_table([[1, 2, 0], [0, 0, 0], [6, 7, 9]])
    cells = dc.protect(table, "people", "la", "country").set_index(["la", "country"])
    assert cells.loc[("L0", dc.TOTAL), "suppressed"]
    assert cells.loc[("L1", dc.TOTAL), "display"] == "0"
    assert not np.isnan(audit(cells.reset_index(), "la", "country")[("L0", dc.TOTAL)][0])


def test_raw_counts_leave_only_through_published():
    out = dc.protect(long_table([[3, 10], [8, 9]]), "people", "la", "country")
    assert "people" not in dc.published(out, "people").columns
    assert out.loc[out["suppressed"], "shown"].isna().all()


def test_rounding_applies_to_shown_counts_only():
    out = dc.protect(long_table([[3, 12, 13], [8, 9, 21]]), "people", "la", "country", round_base=5)
    shown = out.loc[~out["suppressed"], "shown"]
    assert (shown % 5 == 0).all() and len(shown)
    assert set(out.loc[out["reason"] == dc.PRIMARY, "display"]) == {"fewer than 5"}


def test_groups_are_protected_separately():
    a = long_table([[3, 10, 12], [8, 9, 20]]).assign(month="2025-01")
    b = long_table([[30, 10, 12], [8, 9, 20]]).assign(month="2025-02")
    out = dc.protect(pd.concat([a, b]), "people", "la", "country", by=["month"])
    assert out.loc[out["month"] == "2025-02", "suppressed"].sum() == 0
    assert out.loc[out["month"] == "2025-01", "suppressed"].sum() >= 4


grids = st.integers(2, 5).flatmap(
    lambda n_rows: st.integers(2, 5).flatmap(
        lambda n_cols: st.lists(
            st.lists(st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40)), min_size=n_cols, max_size=n_cols),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids)
def test_no_suppressed_figure_can_be_worked_out_from_the_published_table(grid):
    out = dc.protect(long_table(grid), "people", "la", "country")
    truth = out.set_index(["la", "country"])["people"]
    for key, (low, high) in audit(out, "la", "country").items():
        assert low <= truth[key] <= high
        assert high - low >= 1, (key, grid)


@settings(max_examples=40, deadline=None)
@given(grids)
def test_recoverable_agrees_with_linear_programming(grid):
    naive = primary_only(long_table(grid))
    ranges = audit(naive, "la", "country")
    values = {dc.Entry(r, c): int(v) for r, c, v in naive[["la", "country", "people"]].itertuples(index=False)}
    reasons = {dc.Entry(r, c): dc.PRIMARY for (r, c) in ranges}
    exposed = set(dc.recoverable(values, reasons))
    assert exposed == {dc.Entry(r, c) for (r, c), (low, high) in ranges.items() if high - low < 1}


def test_a_realistic_table_is_protected():
    rng = np.random.default_rng(5)
    grid = rng.poisson(rng.choice([0.5, 3, 20], size=(12, 40)))
    out = dc.protect(long_table(grid.tolist()), "people", "la", "country")
    for key, (low, high) in audit(out, "la", "country").items():
        assert high - low >= 1, key

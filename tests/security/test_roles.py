"""Roles and scope on a hand-made geography: who sees which LAs, properties, and what members see of counts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from app.security.roles import Forbidden, scope_for
from tests.security.conftest import callback

# Two regions: R1 with LAs A and B (two and four wards), R2 with LA C (one ward).
AREAS = pd.DataFrame(
    {
        "area_code": ["R1", "R2", "LA_A", "LA_B", "LA_C", "W_A1", "W_A2", "W_B1", "W_B2", "W_B3", "W_B4", "W_C1"],
        "level": ["region", "region", "lad", "lad", "lad", "ward", "ward", "ward", "ward", "ward", "ward", "ward"],
        "lad_code": [None, None, "LA_A", "LA_B", "LA_C", "LA_A", "LA_A", "LA_B", "LA_B", "LA_B", "LA_B", "LA_C"],
        "region_code": ["R1", "R2", "R1", "R1", "R2", "R1", "R1", "R1", "R1", "R1", "R1", "R2"],
    }
)


def user(role: str, lad: str | None = None, region: str | None = None):
    return SimpleNamespace(username=f"u-{role}", role=role, lad_code=lad, region_code=region)


def test_scope_of_each_role():
    admin = scope_for(user("admin"), AREAS)
    assert admin.lad_codes == {"LA_A", "LA_B", "LA_C"} == admin.property_level_lads and not admin.suppress
    regional = scope_for(user("regional", region="R1"), AREAS)
    assert regional.lad_codes == {"LA_A", "LA_B"} == regional.property_level_lads and regional.region_codes == {"R1"}
    officer = scope_for(user("officer", lad="LA_A"), AREAS)
    assert officer.lad_codes == {"LA_A", "LA_B"} and officer.property_level_lads == {"LA_A"}
    assert officer.home_lad == "LA_A" and not officer.suppress
    member = scope_for(user("member", lad="LA_B"), AREAS)
    assert member.lad_codes == {"LA_B"} and member.property_level_lads == frozenset() and member.suppress
    assert member.region_codes == frozenset()  # members: their own LA only, no region totals (issue 10)
    region_member = scope_for(user("member", region="R2"), AREAS)
    assert region_member.lad_codes == {"LA_C"}


def test_checks_refuse_what_is_out_of_scope():
    officer = scope_for(user("officer", lad="LA_A"), AREAS)
    assert officer.check_lad("LA_B") == "LA_B"
    assert officer.check_area("W_B3") == "W_B3"
    assert officer.check_properties("W_A2") == "W_A2"
    for bad in ("LA_C", None, 7, ["LA_A"], "LA_A' OR 1=1"):
        with pytest.raises(Forbidden):
            officer.check_lad(bad)
    with pytest.raises(Forbidden):
        officer.check_area("W_C1")
    with pytest.raises(Forbidden):
        officer.check_area("R2")
    with pytest.raises(Forbidden):
        officer.check_properties("W_B1")
    member = scope_for(user("member", lad="LA_A"), AREAS)
    with pytest.raises(Forbidden):
        member.check_properties("W_A1")
    with pytest.raises(Forbidden):
        member.check_breakdown("ward")
    assert member.check_breakdown("la") == "la"
    assert (
        not member.can_see_addresses() and officer.can_see_addresses("LA_A") and not officer.can_see_addresses("LA_B")
    )
    with pytest.raises(Forbidden):
        member.check_role("admin")
    assert scope_for(user("admin"), AREAS).allowed_lads(AREAS) == ["LA_A", "LA_B", "LA_C"]


def test_unknown_role_has_no_scope():
    with pytest.raises(Forbidden):
        scope_for(user("superuser"), AREAS)


def monitoring_table(ward_people: dict[str, float]) -> pd.DataFrame:
    rows = []
    lad_of = dict(zip(AREAS["area_code"], AREAS["lad_code"]))
    for ward, people in ward_people.items():
        rows.append(("ward", ward, lad_of[ward], people))
    for lad in ("LA_A", "LA_B", "LA_C"):
        rows.append(("la", lad, lad, sum(v for w, v in ward_people.items() if lad_of[w] == lad)))
    rows.append(("region", "R1", None, sum(v for w, v in ward_people.items() if lad_of[w] in ("LA_A", "LA_B"))))
    frame = pd.DataFrame(rows, columns=["level", "area_code", "lad_code", "people"])
    frame["month"] = "2025-01"
    frame["limit"] = 40.0
    frame["share_of_limit"] = frame["people"] / frame["limit"]
    frame["headroom"] = frame["limit"] - frame["people"]
    frame["unallocated"] = 0.4
    frame["status"] = np.where(frame["people"] > 40, "breach", "ok")
    return frame


def test_filter_table_keeps_only_the_scope():
    table = monitoring_table({"W_A1": 3, "W_A2": 12, "W_B1": 2, "W_B2": 8, "W_B3": 21, "W_B4": 33, "W_C1": 7})
    regional = scope_for(user("regional", region="R1"), AREAS).filter_table(table)
    assert set(regional["area_code"]) == set(table["area_code"]) - {"LA_C", "W_C1"}
    assert regional["people"].tolist() == table.set_index("area_code").loc[regional["area_code"], "people"].tolist()
    assert not regional["suppressed"].any()


def test_members_get_suppressed_rounded_counts_with_no_way_back_to_the_exact_figure():
    table = monitoring_table({"W_A1": 3, "W_A2": 12, "W_B1": 2, "W_B2": 8, "W_B3": 21.6, "W_B4": 33, "W_C1": 7})
    shown = scope_for(user("member", lad="LA_B"), AREAS).filter_table(table).set_index("area_code")
    assert set(shown.index) == {"LA_B", "W_B1", "W_B2", "W_B3", "W_B4"}  # no region total for members (issue 10)
    assert shown.loc["W_B1", "people_display"] == "fewer than 5" and np.isnan(shown.loc["W_B1", "people"])
    wards = shown[shown["level"] == "ward"]
    # The LA total (64.6 -> 65 published) minus the other wards must not give W_B1 back: a second ward is withheld.
    assert wards["suppressed"].sum() >= 2
    assert (wards.loc[~wards["suppressed"], "people"] % 5 == 0).all()
    assert shown.loc["W_B3", "people"] == 20 and shown.loc["W_B4", "people"] == 35
    assert wards["share_of_limit"].isna().all() and wards["headroom"].isna().all()
    assert shown["unallocated"].isna().all()
    assert shown.loc["LA_B", "people_display"] == "65"
    assert shown.loc["W_B4", "status"] == "ok"


def test_members_see_small_la_totals_as_fewer_than_5():
    table = monitoring_table({"W_A1": 1, "W_A2": 2, "W_B1": 20, "W_B2": 8, "W_B3": 21, "W_B4": 33, "W_C1": 7})
    shown = scope_for(user("member", lad="LA_A"), AREAS).filter_table(table).set_index("area_code")
    assert shown.loc["LA_A", "people_display"] == "fewer than 5" and np.isnan(shown.loc["LA_A", "people"])
    assert shown.loc["W_A1", "suppressed"] and shown.loc["W_A2", "suppressed"]


def test_breakdowns_for_members_are_protected_at_la_level_only():
    records = pd.DataFrame(
        {
            "lad_code": ["LA_A"] * 4 + ["LA_B"] * 4,
            "nationality": ["Eritrea", "Sudan", "Iran", "Syria"] * 2,
            "people": [3, 10, 12, 30, 7, 2, 15, 9],
        }
    )
    member = scope_for(user("member", region="R1"), AREAS)
    protected = member.protect_breakdown(records, "people", "lad_code", "nationality", level="la")
    assert "people" not in protected.columns
    cells = protected[(protected["lad_code"] != "Total") & (protected["nationality"] != "Total")]
    assert (cells["display"] == "fewer than 5").sum() == 2
    assert cells["suppressed"].sum() >= 4  # each suppressed cell needs a partner in its row and column
    with pytest.raises(Forbidden):
        member.protect_breakdown(records, "people", "lad_code", "nationality", level="ward")
    officer = scope_for(user("officer", lad="LA_A"), AREAS)
    assert officer.protect_breakdown(records, "people", "lad_code", "nationality", level="ward") is records


def test_member_callback_numbers_are_suppressed_and_rounded(as_role, security_store):
    response = callback(
        as_role("member"),
        "security-probe-wards.children",
        [
            {"id": "security-probe-la", "property": "value", "value": security_store.las[0]},
            {"id": "security-probe-month", "property": "value", "value": "2025-03"},
        ],
    )
    rows = pd.DataFrame(response.get_json()["response"]["security-probe-wards"]["children"])
    wards = rows[rows["level"] == "ward"]
    assert len(wards) > 5
    shown = wards["people"].dropna()
    assert (shown % 5 == 0).all()
    hidden = wards["people"].isna()
    assert hidden.sum() != 1  # never exactly one suppressed ward beside a published LA total
    assert wards["share_of_limit"].isna().all()


def test_an_la_month_no_file_covers_reads_no_data_never_zero():
    """The coverage model (no file for an LA-month) gives status ``no_data`` and empty people: every role reads
    "no data", and for members those wards are not cells of the secondary suppression."""
    table = monitoring_table({"W_A1": 3, "W_A2": 12, "W_B1": 2, "W_B2": 8, "W_B3": 21, "W_B4": 33, "W_C1": 7})
    uncovered = table["lad_code"].eq("LA_A").to_numpy()
    table.loc[uncovered, ["people", "share_of_limit", "headroom"]] = np.nan
    table.loc[uncovered, "status"] = "no_data"
    for role, lad in (("admin", None), ("officer", "LA_A"), ("member", "LA_A")):
        shown = scope_for(user(role, lad=lad), AREAS).filter_table(table).set_index("area_code")
        for code in ("LA_A", "W_A1", "W_A2"):
            assert shown.loc[code, "people_display"] == "no data", (role, code)
            assert np.isnan(shown.loc[code, "people"]) and not shown.loc[code, "suppressed"]
    member_b = scope_for(user("member", lad="LA_B"), AREAS).filter_table(table).set_index("area_code")
    assert member_b.loc["W_B1", "people_display"] == "fewer than 5" and member_b.loc["LA_B", "people_display"] == "64"

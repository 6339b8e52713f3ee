"""No data is not zero, and a file replaces exactly the LA-months it covers (SQLite and PostgreSQL).

Files are written as officers receive them, from the synthetic region's truth: a regional month with an LA
column, a regional month without one (sectors straddle LAs), one-LA corrections, a month for some LAs only,
files from the wrong area. Figures are asserted against the rows written, not only that a file loads.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from app import monitoring
from app.config import load_settings
from app.store import db, queries


@pytest.fixture(scope="module")
def truth(synthetic_region):
    lads = pd.read_csv(synthetic_region.truth_dir / "lads.csv", dtype=str)
    wards = pd.read_csv(synthetic_region.truth_dir / "wards.csv", dtype=str)
    sectors = pd.read_csv(synthetic_region.truth_dir / "sector_wards.csv", dtype={"ward_code": str})
    within = sectors.merge(wards, on="ward_code")
    las_of = within.groupby("postcode_sector")["lad_code"].agg(lambda s: sorted(set(s)))
    return {"lads": lads, "within": within, "las_of": las_of}


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def _regional(truth, month: str, seed: int, with_la: bool = True, lads: list[str] | None = None) -> pd.DataFrame:
    """Every (sector, LA) pair of the chosen LAs with a count; the truth is the rows themselves."""
    pairs = (
        truth["within"][["postcode_sector", "lad_code"]].drop_duplicates().sort_values(["lad_code", "postcode_sector"])
    )
    if lads is not None:
        pairs = pairs[pairs["lad_code"].isin(lads)]
    people = (pd.util.hash_pandas_object(pairs, index=False) % 17 + seed).astype(int).to_numpy()
    frame = pd.DataFrame(
        {
            "month": month,
            "local_authority": pairs["lad_code"].to_numpy(),
            "postcode_sector": pairs["postcode_sector"].to_numpy(),
            "accommodation_type": "Dispersal",
            "people": people,
        }
    )
    if not with_la:
        frame = frame.groupby(["month", "postcode_sector", "accommodation_type"], as_index=False)["people"].sum()
    return frame


def _summary(cli, url: str, level: str, month: str) -> pd.DataFrame:
    code, out, err = cli("summary", "--db", url, "--level", level, "--month", month)
    assert code == 0, err
    return pd.read_csv(
        io.StringIO(out), dtype={"area_code": str, "lad_code": str}, keep_default_na=False, na_values=[""]
    )


@pytest.fixture
def store(load_synthetic, db_url, synthetic_region):
    assert load_synthetic(db_url, synthetic_region)[0] == 0
    return db_url


def test_a_one_la_correction_leaves_every_other_la_month_unchanged(cli, store, truth, tmp_path):
    lads = truth["lads"]["lad_code"].tolist()
    regional = _regional(truth, "2025-03", seed=3)
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_region_2025-03.csv", regional))[0] == 0
    assert (
        cli(
            "ingest",
            "home-office",
            "--db",
            store,
            _csv(tmp_path / "HO_region_2025-04.csv", _regional(truth, "2025-04", seed=5)),
        )[0]
        == 0
    )
    before = {level: _summary(cli, store, level, "2025-03") for level in ("la", "ward")}
    april = _summary(cli, store, "ward", "2025-04")
    written = regional.groupby("local_authority")["people"].sum()
    assert before["la"].set_index("area_code")["people"].to_dict() == pytest.approx(written.to_dict())

    fixed_la = lads[2]
    correction = _regional(truth, "2025-03", seed=40, lads=[fixed_la])
    code, out, err = cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_fix_2025-03.csv", correction))
    assert code == 0, err
    assert f"for {fixed_la} (kept in the history)" in out
    after = {level: _summary(cli, store, level, "2025-03") for level in ("la", "ward")}
    for level in ("la", "ward"):
        others_before = before[level][before[level]["lad_code"] != fixed_la].reset_index(drop=True)
        others_after = after[level][after[level]["lad_code"] != fixed_la].reset_index(drop=True)
        pd.testing.assert_frame_equal(others_after, others_before)
    la_rows = after["la"].set_index("area_code")
    assert la_rows.loc[fixed_la, "people"] == pytest.approx(correction["people"].sum())
    assert (after["la"]["status"] != "no_data").all()
    pd.testing.assert_frame_equal(_summary(cli, store, "ward", "2025-04"), april)

    with db.connect(store).connect() as conn:
        history = queries.load_history(conn)
        coverage = queries.coverage(conn, current_only=False)
    fix_id = int(history.loc[history["file_name"] == "HO_fix_2025-03.csv", "id"].iloc[0])
    region_id = int(history.loc[history["file_name"] == "HO_region_2025-03.csv", "id"].iloc[0])
    replaced = coverage[coverage["load_id"] == region_id].set_index("lad_code")
    assert replaced.loc[fixed_la, "status"] == "superseded" and replaced.loc[fixed_la, "superseded_by"] == fix_id
    assert (replaced.drop(index=fixed_la)["status"] == "active").all()
    assert history.set_index("id").loc[region_id, "status"] == "active"
    with db.connect(store).connect() as conn:
        words = queries.coverage_by_load(conn)
    fixed_name = truth["lads"].set_index("lad_code").loc[fixed_la, "lad_name"]
    assert words[region_id].endswith(f"; replaced by load {fix_id} for {fixed_name}")
    assert words[fix_id] == fixed_name

    from app import ingest

    with db.writing(db.connect(store)) as conn:
        ingest.undo_load(conn, fix_id)
    for level in ("la", "ward"):
        pd.testing.assert_frame_equal(_summary(cli, store, level, "2025-03"), before[level])


def test_a_correction_to_a_file_without_an_la_column_keeps_the_neighbours_share_of_straddling_sectors(
    cli, store, truth, tmp_path
):
    regional = _regional(truth, "2025-03", seed=2, with_la=False)
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_all_2025-03.csv", regional))[0] == 0
    before = _summary(cli, store, "ward", "2025-03")
    total = before[before["lad_code"].notna()]
    region = _summary(cli, store, "region", "2025-03")
    assert region["people"].iloc[0] == pytest.approx(regional["people"].sum())
    assert total["people"].sum() <= regional["people"].sum() + 1e-6

    straddling = truth["las_of"][truth["las_of"].map(len) > 1]
    assert len(straddling), "the synthetic region has sectors straddling LAs"
    fixed_la = straddling.iloc[0][0]
    correction = _regional(truth, "2025-03", seed=60, lads=[fixed_la])
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_one_2025-03.csv", correction))[0] == 0
    after = _summary(cli, store, "ward", "2025-03")
    keep = before["lad_code"] != fixed_la
    pd.testing.assert_frame_equal(after[keep.to_numpy()].reset_index(drop=True), before[keep].reset_index(drop=True))
    la = _summary(cli, store, "la", "2025-03").set_index("area_code")
    assert la.loc[fixed_la, "people"] == pytest.approx(correction["people"].sum())


def test_las_without_a_file_have_no_data_never_zero(cli, store, truth, tmp_path):
    lads = truth["lads"]["lad_code"].tolist()
    names = truth["lads"].set_index("lad_code")["lad_name"]
    some = lads[:2]
    part = _regional(truth, "2025-05", seed=4, lads=some)
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_some_2025-05.csv", part))[0] == 0
    code, out, err = cli("summary", "--db", store, "--level", "la", "--month", "2025-05")
    assert code == 0
    assert f"2 of {len(lads)} LAs reported for 2025-05; missing: " in err
    la = _summary(cli, store, "la", "2025-05").set_index("area_code")
    missing = [c for c in lads if c not in some]
    assert (la.loc[missing, "status"] == "no_data").all()
    assert la.loc[missing, ["people", "share_of_limit", "headroom"]].isna().all().all()
    assert la.loc[missing, "population"].notna().all() and la.loc[missing, "limit"].notna().all()
    assert la.loc[some, "people"].sum() == pytest.approx(part["people"].sum())
    assert (la.loc[some, "status"] != "no_data").all()
    wards = _summary(cli, store, "ward", "2025-05")
    assert (wards.loc[wards["lad_code"].isin(missing), "status"] == "no_data").all()
    assert wards.loc[wards["lad_code"].isin(missing), "people"].isna().all()
    region = _summary(cli, store, "region", "2025-05").iloc[0]
    assert region["people"] == pytest.approx(part["people"].sum())
    assert region["population"] == pytest.approx(la.loc[some, "population"].sum())

    snap = monitoring.snapshot(db.connect(store), load_settings(store))
    report = snap.reporting("2025-05")
    assert report["reported"] == 2 and set(report["missing_names"]) == {names[c] for c in missing}
    assert snap.latest_complete_month() == "2025-05"  # the only month: still opened, and marked partial

    full = _regional(truth, "2025-04", seed=1)
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_full_2025-04.csv", full))[0] == 0
    snap = monitoring.snapshot(db.connect(store), load_settings(store))
    assert snap.latest_complete_month() == "2025-04"
    assert snap.latest_complete_month(some) == "2025-05"


def test_the_pack_says_which_las_have_no_file(cli, store, truth, tmp_path):
    lads = truth["lads"]["lad_code"].tolist()
    part = _regional(truth, "2025-06", seed=4, lads=lads[:3])
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_q2_2025-06.csv", part))[0] == 0
    out = tmp_path / "pack.html"
    snap = monitoring.snapshot(db.connect(store), load_settings(store))
    region = str(snap.areas.loc[snap.areas["level"] == "region", "area_code"].iloc[0])
    code, _, err = cli("report", "--db", store, "--region", region, "--quarter", "2025Q2", "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    missing = truth["lads"].set_index("lad_code").loc[lads[3:], "lad_name"]
    assert "LAs with no Home Office file for 2025-06" in text
    assert all(name in text for name in missing)
    assert f"partial: 3 of {len(lads)} LAs reported" in text
    missing_pack = tmp_path / "missing.html"
    assert cli("report", "--db", store, "--la", lads[5], "--quarter", "2025Q2", "--out", missing_pack)[0] == 0
    assert "no data: no Home Office file covers this area for the month" in missing_pack.read_text(encoding="utf-8")


def test_a_file_from_another_area_is_refused_and_changes_nothing(cli, store, truth, tmp_path):
    assert (
        cli(
            "ingest",
            "home-office",
            "--db",
            store,
            _csv(tmp_path / "HO_ok_2025-03.csv", _regional(truth, "2025-03", seed=1)),
        )[0]
        == 0
    )
    with db.connect(store).connect() as conn:
        before = queries.snapshot(conn)
    elsewhere = pd.DataFrame(
        {"month": "2025-03", "postcode_sector": [f"LS{n} {d}" for n in range(1, 9) for d in (1, 2)], "people": 5}
    )
    code, _, err = cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_leeds_2025-03.csv", elsewhere))
    assert code == 1
    assert (
        "HO_leeds_2025-03.csv" in err
        and "16 of the 16 postcode sectors in the file are not in the loaded geography" in err
    )
    named = truth["lads"].iloc[0]
    other_sectors = truth["within"].loc[truth["within"]["lad_code"] != named["lad_code"], "postcode_sector"]
    only_elsewhere = sorted(
        set(other_sectors)
        - set(truth["within"].loc[truth["within"]["lad_code"] == named["lad_code"], "postcode_sector"])
    )[:6]
    wrong_la = pd.DataFrame(
        {"month": "2025-03", "local_authority": named["lad_name"], "postcode_sector": only_elsewhere, "people": 3}
    )
    code, _, err = cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_wrong_2025-03.csv", wrong_la))
    assert code == 1
    assert f"of the 6 postcode sectors listed for {named['lad_name']}, 6 lie outside it" in err
    name_says = pd.DataFrame({"month": "2025-03", "postcode_sector": only_elsewhere, "people": 3})
    code, _, err = cli(
        "ingest",
        "home-office",
        "--db",
        store,
        _csv(tmp_path / f"HO_{named['lad_name'].replace(' ', '_')}_2025-03.csv", name_says),
    )
    assert code == 1 and f"the file name says {named['lad_name']}, but only 0 of its 6 postcode sectors" in err
    unknown = pd.DataFrame(
        {"month": "2025-03", "postcode_sector": [*only_elsewhere[:3], "ZX99 9"], "people": [3, 3, 3, 4]}
    )
    code, _, err = cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_stray_2025-03.csv", unknown))
    if code == 0:
        pytest.fail("a file naming no LA with an unknown sector must not count its people nowhere")
    assert "'ZX99 9' is not a known sector and the file names no local authority" in err
    with db.connect(store).connect() as conn:
        assert queries.snapshot(conn) == before


def test_a_single_la_file_without_an_la_column_is_kept_within_that_la(cli, store, truth, tmp_path):
    lads = truth["lads"]
    straddling = truth["las_of"][truth["las_of"].map(len) > 1]
    la = straddling.iloc[0][0]
    own = truth["within"].loc[truth["within"]["lad_code"] == la, "postcode_sector"].drop_duplicates().sort_values()
    frame = pd.DataFrame({"month": "2025-07", "postcode_sector": own.to_numpy(), "people": 6})
    assert cli("ingest", "home-office", "--db", store, _csv(tmp_path / "HO_2025-07.csv", frame))[0] == 0
    la_rows = _summary(cli, store, "la", "2025-07").set_index("area_code")
    assert la_rows.loc[la, "people"] == pytest.approx(frame["people"].sum())
    others = la_rows.drop(index=la)
    assert (others["status"] == "no_data").all(), "the file covers its own LA only: neighbours have no data"
    assert len(others) == len(lads) - 1

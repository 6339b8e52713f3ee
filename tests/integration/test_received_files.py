"""Files laid out as councils really receive them, read through ingest, against the generator's truth.

Each layout of ``app.synthetic.layouts.RECEIVED_HO_LAYOUTS`` holds the same groups of people; the
figures the store would load (people per LA and sector, and the breakdowns) must equal those groups,
and every stated total must be shown beside the loaded one.
"""

from __future__ import annotations

import pandas as pd
import pytest

from app import ingest
from app.problems import InputRefused
from app.store import db
from app.synthetic import layouts
from app.synthetic.activity import generate_received_files


@pytest.fixture(scope="module")
def received(synthetic_region, tmp_path_factory):
    return generate_received_files(tmp_path_factory.mktemp("received"), synthetic_region, seed=5)


@pytest.fixture(scope="module")
def engine(synthetic_region, tmp_path_factory):
    from app.cli import main

    url = f"sqlite:///{tmp_path_factory.mktemp('received_store') / 'store.sqlite'}"
    db.upgrade(db.connect(url))
    assert (
        main(
            [
                "geography",
                "load",
                "--db",
                url,
                "--wards",
                str(synthetic_region.wards),
                "--lads",
                str(synthetic_region.lads),
                "--population",
                str(synthetic_region.population),
                "--postcodes",
                str(synthetic_region.postcodes),
            ]
        )
        == 0
    )
    yield db.connect(url)
    db.dispose(url)


def _sums(frame: pd.DataFrame, keys: list[str], value: str = "people") -> dict:
    grouped = frame.astype(dict.fromkeys(keys, str)).groupby(keys)[value].sum()
    return {key: float(v) for key, v in grouped.items()}


def _per_la_sector(frame: pd.DataFrame) -> dict:
    return _sums(frame, ["lad_code", "postcode_sector"])


@pytest.mark.parametrize("layout", sorted(layouts.RECEIVED_HO_LAYOUTS))
def test_every_received_layout_loads_the_true_people_per_la_and_sector(received, engine, layout):
    prepared = ingest.prepare_home_office(engine, received.home_office[layout])
    table = prepared.table
    assert prepared.report.period == received.month
    loaded = _per_la_sector(table)
    truth = _per_la_sector(received.truth)
    assert loaded == truth and len(truth) > 20
    assert set(prepared.scope) == set(received.truth["lad_code"])


def test_blocks_each_closed_by_a_total_are_all_read_and_checked(received, engine):
    prepared = ingest.prepare_home_office(engine, received.home_office["la_blocks_xlsx"])
    truth = received.truth
    assert prepared.table["lad_code"].nunique() == truth["lad_code"].nunique() == 3
    blocks = prepared.details["blocks"]
    per_la = truth.groupby("lad_code")["people"].sum().sort_index().tolist()
    assert [b["stated"] for b in blocks if not b["overall"]] == per_la
    assert [b["stated"] for b in blocks if b["overall"]] == [truth["people"].sum()]
    people = f"{int(truth['people'].sum()):,}"
    assert (
        prepared.report.facts["stated total in the file"]
        == f"{people} (matches the {people} loaded, and 3 block totals match)"
    )


def test_a_grand_total_under_the_header_is_a_check_not_a_row(received, engine):
    prepared = ingest.prepare_home_office(engine, received.home_office["grand_total_top_csv"])
    assert prepared.details["stated_total"] == received.truth["people"].sum()
    assert prepared.table["source_row"].min() > prepared.details["total_rows"][0]


def test_a_file_without_totals_says_so(received, engine):
    prepared = ingest.prepare_home_office(engine, received.home_office["council_names_csv"])
    assert prepared.report.facts["stated total in the file"] == "none stated in the file"


def test_extract_date_is_not_the_month(received, engine):
    prepared = ingest.prepare_home_office(engine, received.home_office["extract_and_position_xlsx"])
    assert prepared.report.period == received.month and prepared.details["month_source"] == "title"


def test_coded_breakdowns_are_loaded_in_one_vocabulary(received, engine):
    table = ingest.prepare_home_office(engine, received.home_office["coded_breakdowns_csv"]).table
    truth = received.truth
    assert table.groupby("gender")["people"].sum().to_dict() == truth.groupby("gender")["people"].sum().to_dict()
    roles = truth["household_type"].map(layouts.ROLE_OF_HOUSEHOLD).map(layouts.ROLE_LOADED)
    assert table.groupby("household_type")["people"].sum().to_dict() == truth.groupby(roles)["people"].sum().to_dict()
    assert (
        table.groupby("support_type")["people"].sum().to_dict()
        == truth.groupby("support_type")["people"].sum().to_dict()
    )
    assert (
        table.groupby("nationality")["people"].sum().to_dict() == truth.groupby("nationality")["people"].sum().to_dict()
    )


def test_male_and_female_over_age_bands_keep_both_breakdowns(received, engine):
    table = ingest.prepare_home_office(engine, received.home_office["gender_by_age_xlsx"]).table
    truth = received.truth
    keys = ["lad_code", "gender", "age_band"]
    assert _sums(table, keys) == _sums(truth, keys)


def test_property_list_in_two_la_sections_loads_both(received, engine):
    prepared = ingest.prepare_properties(engine, received.properties, provider="Mears")
    truth = received.property_truth
    expected = _sums(truth, ["lad_code"], "bedspaces")
    assert len(expected) == 2 and _sums(prepared.table, ["lad_code"], "bedspaces") == expected
    assert _sums(prepared.table, ["lad_code"], "occupied") == _sums(truth, ["lad_code"], "occupied")
    stated = [b["stated"] for b in prepared.details["blocks"] if b["column"] == "Bedspaces"]
    assert stated == truth.groupby("lad_name")["bedspaces"].sum().tolist()


def test_unreadable_la_names_get_one_message_each_with_their_rows_in_the_files_words(received, engine, tmp_path):
    sector = received.truth["postcode_sector"].iloc[0]
    rows = [["Position as at 31 March 2025"], [], ["Council", "Postcode Sector", "People"]]
    rows += [["Narnia Council", sector, "2"]] * 8 + [["Ecksford MBC", sector, "1"], ["Narnia Council", sector, "3"]]
    path = tmp_path / "councils.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(InputRefused) as refused:
        ingest.prepare_home_office(engine, path)
    problems = refused.value.problems
    assert [(p.row, p.column) for p in problems] == [(4, "Council"), (12, "Council")]
    assert "local authority 'Narnia Council' (rows 4-11, 13) is not a local authority" in problems[0].message
    assert "'Ecksford MBC' (row 12)" in problems[1].message

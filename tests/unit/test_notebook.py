"""The analyst notebook runs top to bottom on a demo store and its figures agree with the store's own rows.

The expected figures are recomputed here straight from the store's tables
with SQL (sums of the loaded dispersal counts, population, the 1-in-200
rule), not through the functions the notebook calls.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "analyst_tour.ipynb"


@pytest.fixture(scope="module")
def executed(demo_template, tmp_path_factory):
    url = demo_template.copy(tmp_path_factory.mktemp("notebook") / "demo.sqlite")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    before = os.environ.get("DISPERSAL_DB")
    os.environ["DISPERSAL_DB"] = url
    try:
        NotebookClient(
            notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
        ).execute()
    finally:
        if before is None:
            os.environ.pop("DISPERSAL_DB", None)
        else:
            os.environ["DISPERSAL_DB"] = before
    return notebook, sa.create_engine(url)


def _printed(notebook) -> list[str]:
    return [
        out.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    ]


def _tour(notebook) -> dict:
    lines = [line for text in _printed(notebook) for line in text.splitlines() if line.startswith("{")]
    assert lines, "the last cell printed no JSON summary"
    return json.loads(lines[-1])


def test_every_cell_ran_without_error(executed):
    notebook, _ = executed
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert all(c.get("outputs") for c in code[1:]), "every analysis cell shows something"


def test_the_notebook_reads_the_store_it_was_given(executed):
    notebook, engine = executed
    assert any(text.startswith("store: sqlite:///") and "demo.sqlite" in text for text in _printed(notebook))
    with engine.connect() as conn:
        months = conn.execute(sa.text("SELECT COUNT(DISTINCT month), MAX(month) FROM ho_records")).one()
    tour = _tour(notebook)
    assert (tour["months"], tour["latest_month"]) == (months[0], months[1])


def test_region_total_is_the_loaded_dispersal_count(executed):
    notebook, engine = executed
    tour = _tour(notebook)
    with engine.connect() as conn:
        loaded = conn.execute(
            sa.text("SELECT SUM(people) FROM ho_records WHERE accommodation_type = 'dispersal' AND month = :m"),
            {"m": tour["latest_month"]},
        ).scalar_one()
    assert tour["region_people"] == pytest.approx(loaded)
    assert tour["home_office_dispersal"] == pytest.approx(loaded)
    assert tour["fair_people_total"] == pytest.approx(loaded)
    assert tour["share_of_people_total"] == pytest.approx(1.0)


def test_la_flags_follow_one_in_two_hundred(executed):
    notebook, engine = executed
    tour = _tour(notebook)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.lad_code, SUM(r.people), p.population FROM ho_records r "
                "JOIN population p ON p.area_code = r.lad_code AND p.level = 'lad' "
                "WHERE r.accommodation_type = 'dispersal' AND r.month = :m GROUP BY r.lad_code, p.population"
            ),
            {"m": tour["latest_month"]},
        ).all()
    share = {code: people / (population / 200) for code, people, population in rows}
    assert tour["las"] == len(share) == 6
    assert tour["las_in_breach"] == sorted(c for c, s in share.items() if s > 1)
    assert tour["las_approaching"] == sorted(c for c, s in share.items() if 0.8 <= s <= 1)
    assert tour["las_in_breach"], "the demo region has an LA over the limit"
    population = {code: pop for code, _, pop in rows}
    people = {code: p for code, p, _ in rows}
    ratio = {c: (people[c] / sum(people.values())) / (population[c] / sum(population.values())) for c in people}
    assert tour["most_over_fair_share"] == max(ratio, key=ratio.get)

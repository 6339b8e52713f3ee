"""The "what changed" e-mail of one LA as each role reads it (app.views.alerts): officers the figures of the
``changes`` command, members what their pages show (wards rounded to 5, counts under 5 never written)."""

from __future__ import annotations

import re

import pandas as pd

from app.cluster import changes as ch
from app.cluster import position as pos
from app.config import Settings
from app.views.alerts import digest

# L1: W1 (limit 10), W2 (limit 2, a small ward), W3 (limit 10); L2: W4.
AREAS = pd.DataFrame(
    {
        "area_code": ["W1", "W2", "W3", "W4", "L1", "L2"],
        "level": ["ward"] * 4 + ["lad"] * 2,
        "area_name": ["Ward One", "Ward Two", "Ward Three", "Ward Four", "Lone", "Ltwo"],
        "lad_code": ["L1", "L1", "L1", "L2", "L1", "L2"],
        "region_code": ["R1"] * 6,
        "region_name": ["Region"] * 6,
    }
)
POPULATION = pd.DataFrame(
    {"area_code": AREAS["area_code"], "population": [2000.0, 400.0, 2000.0, 4000.0, 4400.0, 4000.0]}
)
PEOPLE = {"W1": (7.0, 11.0), "W2": (1.0, 3.0), "W3": (6.0, 6.0), "W4": (10.0, 12.0)}


def _table() -> pd.DataFrame:
    rows = []
    for month, i in (("2025-02", 0), ("2025-03", 1)):
        for ward, figures in PEOPLE.items():
            lad = AREAS.set_index("area_code").loc[ward, "lad_code"]
            rows.append({"level": "ward", "month": month, "area_code": ward, "lad_code": lad, "people": figures[i]})
        for lad in ("L1", "L2"):
            total = sum(f[i] for w, f in PEOPLE.items() if AREAS.set_index("area_code").loc[w, "lad_code"] == lad)
            rows.append({"level": "la", "month": month, "area_code": lad, "lad_code": lad, "people": total})
    people = pd.DataFrame(rows).assign(unallocated=0.0, method="postcodes").astype({"lad_code": "string"})
    population = pos.population_by_area(AREAS, POPULATION.assign(population_0_17=0.0, source_year=2021))
    return pos.monitoring_table(people, AREAS, population, Settings())


def _people_figures(text: str) -> list[str]:
    """Every "X -> Y people" pair of the body, as written."""
    return [x for pair in re.findall(r": (.+?) -> (.+?) people", text) for x in pair]


def test_officer_reads_the_changes_command_for_the_la():
    table = _table()
    found = ch.what_changed(table, "2025-03", lad="L1")
    mail = digest(found, table, AREAS, "L1", "officer", "the Home Office file f.csv for 2025-03 was loaded (load 7)")
    assert mail.subject == "What changed in Lone (L1): March 2025 - Dispersal Monitor"
    assert "Newly over the limit: Ward Two (ward), Ward One (ward)." in mail.text or "Ward One (ward)" in mail.text
    assert "Ward One (W1, ward in L1): 7 -> 11 people (limit 10, 110.0% of it)" in mail.text
    assert "Ward Two (W2, ward in L1): 1 -> 3 people" in mail.text
    assert "load 7" in mail.text and "Ltwo" not in mail.text and "W4" not in mail.text
    assert "\n".join(ch.text_lines(found)) in mail.text  # the command's own words


def test_member_reads_what_their_pages_show():
    table = _table()
    found = ch.what_changed(table, "2025-03", lad="L1")
    mail = digest(found, table, AREAS, "L1", "member", "a load")
    assert "Ward One (W1, ward in L1)" in mail.text and "Ward Two (W2, ward in L1)" in mail.text
    figures = _people_figures(mail.text)
    assert figures, mail.text
    for figure in figures:
        # a count is at least 5 (ward counts rounded to 5); else the words the pages use
        assert figure in ("fewer than 5", "withheld", "no data") or int(figure.replace(",", "")) >= 5, mail.text
    ward_figures = re.findall(r"ward in L1\): (.+?) -> (.+?) people", mail.text)
    assert all(f in ("fewer than 5", "withheld") or int(f) % 5 == 0 for pair in ward_figures for f in pair)
    assert "7 -> 11" not in mail.text and "1 -> 3" not in mail.text
    assert "% of it" not in re.sub(r"\(L1, LA\).*", "", mail.text)  # no ward shares (they give the count back)
    assert "Ward One (W1, ward in L1): 5 -> 10 people (within the limit, now over the limit)" in mail.text
    assert "Ward Two (W2, ward in L1): fewer than 5 -> fewer than 5 people" in mail.text
    assert "council member" in mail.text

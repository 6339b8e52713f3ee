"""Every reader, given malformed files, returns its table or refuses the file in plain words; nothing else.

Hypothesis draws random bytes, damaged workbooks, CSVs in odd encodings with wrong types, formulas,
Excel error cells, huge numbers, merged cells, hidden and empty sheets, thousands of columns and
nearly valid tables with a few cells spoilt (see ``tests/fuzz/malformed.py``). Derandomised, so CI
sees the same inputs every run; ``tests/benchmarks/fuzz.py`` runs thousands more.

The explicit cases below are inputs that once broke a reader (or the process), kept as regressions.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.problems import InputRefused, Problem  # noqa: E402
from app.readers.archive import ArchiveLimits  # noqa: E402
from app.readers.home_office import read_home_office  # noqa: E402
from app.readers.population import read_population  # noqa: E402
from app.readers.tables import read_sheets  # noqa: E402
from tests.fuzz import malformed as m  # noqa: E402

#: Inputs per reader in ``make test`` (six readers).
EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _try(reader: str, plan: m.Plan) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        return m.attempt(reader, m.build(plan, Path(tmp)))


@pytest.mark.parametrize("reader", sorted(m.READERS))
@FUZZ
@given(data=st.data())
def test_reader_returns_a_table_or_refuses_in_plain_words(reader, data):
    _try(reader, data.draw(m.plans(reader, wide=False), label="plan"))


@pytest.mark.parametrize("reader", sorted(set(m.READERS) - {"boundaries"}))
@settings(FUZZ, max_examples=3)
@given(data=st.data())
def test_thousands_of_columns(reader, data):
    _try(reader, data.draw(m.wide_plans(reader), label="plan"))


@pytest.mark.parametrize("reader", sorted(m.TEMPLATES))
def test_the_templates_are_read_when_unspoilt(reader, tmp_path):
    """The nearly valid inputs start from a table the reader accepts, so spoiling one cell tests that cell."""
    header, row = m.TEMPLATES[reader]
    plan = m.Plan(reader, "text", ".csv", {"Data": [header] + [row(i) for i in range(5)]})
    assert m.attempt(reader, m.build(plan, tmp_path)) == "read"


def test_the_rule_catches_a_reader_that_breaks(tmp_path, monkeypatch):
    """The fuzz check itself fails on a stray exception and on a refusal that does not name the file."""
    path = tmp_path / "HO_2025-03.csv"
    path.write_text("x\n")
    monkeypatch.setitem(m.READERS, "broken", m.Reader(lambda p: 1 / 0, [], [], [], "x", (".csv",)))
    with pytest.raises(ZeroDivisionError):
        m.attempt("broken", path)
    for problem in (
        Problem("bad", file="other.csv"),
        Problem("  ", file=path.name),
        Problem('Traceback (most recent call last):\n  File "x.py", line 1', file=path.name),
    ):
        with pytest.raises(AssertionError):
            m.check_refusal(InputRefused([problem]), path.name)


# --- regressions: inputs that broke a reader ---------------------------------------------------------


def _refusal(call, path: Path) -> str:
    with pytest.raises(InputRefused) as refused:
        call(path)
    m.check_refusal(refused.value, path.name)
    return str(refused.value)


def test_damaged_utf16_text_is_refused(tmp_path):
    """Broke: a UTF-16 CSV (with BOM) cut short raised UnicodeDecodeError."""
    path = tmp_path / "HO_2025-03.csv"
    path.write_bytes("Postcode Sector,People\nTS1 3,4\n".encode("utf-16")[:-1])
    assert "is not UTF-8, UTF-16 or Windows-1252" in _refusal(read_home_office, path)


def test_bytes_undefined_in_windows_1252_are_refused(tmp_path):
    """Broke: byte 0x8D (undefined in Windows-1252) in a CSV raised UnicodeDecodeError."""
    path = tmp_path / "HO_2025-03.csv"
    raw = b"Postcode Sector,People\nTS1 3,4\xe9\x8d\n"
    path.write_bytes(raw)
    position = raw.index(bytes([0x8D])) + 1
    assert f"byte {position} is not" in _refusal(read_home_office, path)


def test_population_with_a_repeated_column_name_is_read(tmp_path):
    """Broke: two 'level' columns made ``body[level]`` a DataFrame (AttributeError)."""
    path = tmp_path / "population_2022.csv"
    path.write_text("area_code,level,level,population\nE05000001,ward,lad,5000\nE06000001,lad,lad,90000\n")
    result = read_population(path)
    assert dict(zip(result.table["area_code"], result.table["level"])) == {"E05000001": "ward", "E06000001": "lad"}


def test_geojson_with_a_one_point_line_is_refused(tmp_path):
    """Broke: GEOS refused a one-point LineString with GEOSException, which escaped the reader."""
    path = tmp_path / "wards.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"WD24CD": "E05000001"},
                        "geometry": {"type": "LineString", "coordinates": [[0.0, 0.0]]},
                    }
                ],
            }
        )
    )
    assert "could not be opened as GeoJSON" in _refusal(m.READERS["boundaries"].read, path)


def _xlsx_bytes(cells: dict[str, object]) -> bytes:
    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_workbook_with_damaged_compressed_sheet_is_refused(tmp_path):
    """Broke: the archive check read a sheet whose deflate stream was damaged and raised zlib.error."""
    raw = bytearray(_xlsx_bytes({"A1": "Postcode Sector", "B1": "People", "A2": "TS1 3", "B2": 4}))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    raw[start + 2 : start + 8] = b"\xff" * 6
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(bytes(raw))
    assert "cannot" in _refusal(read_home_office, path)


@pytest.mark.parametrize("far", ["XFD1048576", "ZZ200000"])
@pytest.mark.parametrize("reader", ["home_office", "population"])
def test_sheet_spanning_billions_of_cells_is_refused_quickly(far, reader, tmp_path):
    """Broke the process: two cells far apart made calamine allocate the whole rectangle and abort
    ("memory allocation of 4492800000 bytes failed"), a 10 KB file killing the server."""
    path = tmp_path / f"{m.READERS[reader].file_stem}.xlsx"
    path.write_bytes(_xlsx_bytes({"A1": "Postcode Sector", "B1": "People", "A2": "TS1 3", "B2": 4, far: 1}))
    start = time.perf_counter()
    message = _refusal(m.READERS[reader].read, path)
    assert time.perf_counter() - start < 5
    assert "cells to read" in message and "Ctrl+End" in message


def test_far_cells_are_measured_against_the_configured_limit(tmp_path):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(_xlsx_bytes({"A1": "Postcode Sector", "B1": "People", "A2": "TS1 3", "B2": 4, "D40": 1}))
    assert len(read_sheets(path, limits=ArchiveLimits(max_cells=200))[0].rows) == 40
    with pytest.raises(InputRefused, match="row 40 and column 4: 160 cells"):
        read_sheets(path, limits=ArchiveLimits(max_cells=150))


def _bomb(path: Path, size: int) -> Path:
    """A workbook whose sheet XML expands from a few KB to ``size`` bytes."""
    good = _xlsx_bytes({"A1": "Postcode Sector", "B1": "People", "A2": "TS1 3", "B2": 4})
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * size)
            target.writestr(item.filename, data)
    return path


def test_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    path = _bomb(tmp_path / "HO_2025-03.xlsx", 50 << 20)
    assert path.stat().st_size < 200_000
    start = time.perf_counter()
    message = _refusal(read_home_office, path)
    assert time.perf_counter() - start < 2
    assert "expands" in message and "times when opened" in message


def test_archive_limits_come_from_the_environment(tmp_path, monkeypatch):
    path = _bomb(tmp_path / "HO_2025-03.xlsx", 2 << 20)
    monkeypatch.setenv("DISPERSAL_MAX_RATIO", "100000")
    assert read_home_office(path).meta["rows"] == 1
    monkeypatch.setenv("DISPERSAL_MAX_UNCOMPRESSED_MB", "1")
    assert "would expand to 2 MB" in _refusal(read_home_office, path)
    monkeypatch.setenv("DISPERSAL_MAX_UNCOMPRESSED_MB", "512")
    monkeypatch.setenv("DISPERSAL_MAX_ENTRIES", "5")
    assert "parts (at most 5" in _refusal(read_home_office, path)

"""Malformed input files for every reader, as hypothesis strategies, and the rule every reader must keep.

The rule (:func:`attempt`): a reader given any file either returns its result
(a :class:`~app.readers.result.ReadResult` with the canonical columns, or a
GeoDataFrame for boundaries) or raises :class:`~app.problems.InputRefused`
whose every problem has a non-empty plain message naming the file. Any other
exception, or a traceback in a message, breaks it.

Strategies draw a *plan* (cells, encoding, damage...) and :func:`build` writes
the file, so that hypothesis shrinks plans, not bytes. Used by
``tests/fuzz/test_fuzz_readers.py`` (a few hundred inputs) and by
``tests/benchmarks/fuzz.py`` (thousands).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
from hypothesis import strategies as st

from app.cluster.records import HOME_OFFICE_COLUMNS, PROPERTY_COLUMNS, PUBLIC_STATS_COLUMNS
from app.problems import InputRefused
from app.readers import home_office, properties, public_stats
from app.readers.boundaries import read_boundaries
from app.readers.home_office import read_home_office
from app.readers.population import COLUMNS as POPULATION_COLUMNS
from app.readers.population import read_population
from app.readers.postcode_lookup import COLUMNS as LOOKUP_COLUMNS
from app.readers.postcode_lookup import read_postcode_lookup
from app.readers.properties import read_properties
from app.readers.public_stats import read_public_stats
from app.readers.result import ReadResult


@dataclass(frozen=True)
class Reader:
    read: Callable[[Path], object]
    columns: list[str] | None
    header_names: list[str]
    good_values: list[object]
    file_stem: str
    suffixes: tuple[str, ...]


def _names(synonyms: dict[str, list[str]]) -> list[str]:
    return sorted({name for names in synonyms.values() for name in names})


READERS: dict[str, Reader] = {
    "home_office": Reader(
        lambda p: read_home_office(p, month="2025-03"),
        list(HOME_OFFICE_COLUMNS),
        _names(home_office.SYNONYMS),
        [
            "TS1 3",
            "ts13",
            "NE1 4",
            "TS99",
            "Dispersal",
            "Eritrea",
            "18-24",
            "Male",
            "Family",
            "Section 95",
            "2025-03",
            "Hartlepool",
            "E06000001",
            12,
            "12",
            "<5",
            "*",
            "1,234",
            0,
            "Yes",
        ],
        "HO_2025-03",
        (".csv", ".xlsx", ".txt", ".tsv", ".xls"),
    ),
    "properties": Reader(
        lambda p: read_properties(p, provider="Mears", quarter="2025Q2"),
        list(PROPERTY_COLUMNS),
        _names(properties.SYNONYMS),
        [
            "MRS-000001",
            "12 Acacia Avenue",
            "Flat 2",
            "Middlesbrough",
            "TS1 3AB",
            "ts13ab",
            "4 beds",
            "four",
            4,
            0,
            "-",
            "Occupied",
            "Void",
            "House",
            "HMO",
            "Dispersal",
            "01/04/2024",
            date(2024, 4, 1),
            "Hartlepool",
        ],
        "Mears_2025Q2",
        (".csv", ".xlsx", ".txt", ".xls"),
    ),
    "public_stats": Reader(
        read_public_stats,
        list(PUBLIC_STATS_COLUMNS),
        _names(public_stats.SYNONYMS),
        [
            "2025-03-31",
            "31/03/2025",
            datetime(2025, 3, 31),
            2025,
            1,
            "Section 95",
            "North East",
            "Hartlepool",
            "E06000001",
            "Dispersal Accommodation",
            120,
            "1,234",
        ],
        "asylum_support_la",
        (".csv", ".xlsx", ".txt"),
    ),
    "population": Reader(
        read_population,
        list(POPULATION_COLUMNS),
        [
            "area_code",
            "WD24CD",
            "LAD24CD",
            "Code",
            "population",
            "All usual residents",
            "Total",
            "All ages",
            "year",
            "level",
            "name",
            "Aged 0 to 17",
            "method",
        ],
        ["E05000001", "E06000001", "W05000123", "X99", "ward", "lad", 2022, "2022", 5000, "12,345", "", -3],
        "population_2022",
        (".csv", ".xlsx", ".txt"),
    ),
    "postcode_lookup": Reader(
        read_postcode_lookup,
        list(LOOKUP_COLUMNS),
        [
            "pcds",
            "pcd",
            "postcode",
            "lat",
            "long",
            "latitude",
            "longitude",
            "osward",
            "oslaua",
            "ward24_code",
            "lad24_code",
            "wd24cd",
        ],
        ["TS1 3AB", "ts13ab", "NE1 4ST", "XX", 54.57, -1.23, 99.999999, 0, "E05000001", "E06000001", "L99999999"],
        "postcodes",
        (".csv", ".txt"),
    ),
    "boundaries": Reader(
        lambda p: read_boundaries(p, "ward"),
        None,
        ["WD24CD", "WD24NM", "ward_code", "ward_name", "LAD24CD", "code", "name"],
        ["E05000001", "E05000002", "Ward", "", 1, None],
        "wards",
        (".geojson", ".json", ".gpkg", ".zip", ".parquet", ".shp"),
    ),
}

_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+")


def attempt(reader: str, path: Path) -> str:
    """Run one reader on one file and check the rule; ``"read"`` or ``"refused"``."""
    try:
        result = READERS[reader].read(path)
    except InputRefused as refused:
        check_refusal(refused, path.name)
        return "refused"
    check_result(reader, result, path.name)
    return "read"


def check_refusal(refused: InputRefused, file: str) -> None:
    assert refused.problems, f"{file}: a refusal without any problem"
    for problem in refused.problems:
        assert isinstance(problem.message, str) and problem.message.strip(), f"{file}: empty message {problem!r}"
        assert file in str(problem), f"the problem does not name the file {file!r}: {problem}"
        assert not _TRACEBACK.search(problem.message), f"{file}: traceback in the message: {problem.message}"


def check_result(reader: str, result: object, file: str) -> None:
    expected = READERS[reader].columns
    if expected is None:
        assert isinstance(result, gpd.GeoDataFrame), type(result)
        assert len(result) > 0
        return
    assert isinstance(result, ReadResult), type(result)
    assert list(result.table.columns)[: len(expected)] == expected, list(result.table.columns)
    for warning in result.warnings:
        assert warning.message.strip() and file in str(warning), warning
        assert not _TRACEBACK.search(warning.message), warning.message


# --- plans ---------------------------------------------------------------------------------------

#: Cells that have broken readers elsewhere: formulas, Excel errors, huge and odd numbers, control characters.
NASTY_CELLS: list[object] = [
    "",
    " ",
    "\u00a0",
    "=1+1",
    '=HYPERLINK("http://example.com","click")',
    "@SUM(A1:A2)",
    "+1",
    "-1",
    "=cmd|' /C calc'!A0",
    "#DIV/0!",
    "#N/A",
    "#REF!",
    "#VALUE!",
    "#NAME?",
    "1e308",
    "-1e308",
    "1e309",
    "inf",
    "-inf",
    "nan",
    "NaN",
    10**30,
    -(10**30),
    1e308,
    -1e308,
    2**63,
    -(2**63) - 1,
    0.1,
    -0.0,
    1.5,
    "1,234,567,890,123,456,789",
    "12.0",
    " 12 ",
    "٣",
    "１２",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\ufeff",
    "\u202e",
    "\ud7ff",
    "é",
    "Ã©",
    "\u2028",
    "x" * 5000,
    "TS1 3" * 200,
    "2025-03-31",
    "31/03/2025",
    "March 2025",
    "2025-13",
    "0000-00-00",
    date(1900, 1, 1),
    date(2025, 3, 31),
    datetime(2025, 3, 31, 12, 30),
    True,
    False,
    None,
    "Total",
    "Grand total",
    "Note: figures are rounded",
    "OFFICIAL-SENSITIVE",
    '"quoted"',
    "a,b",
    "a;b",
    "a\tb",
    "a\nb",
    "<html>",
]


def cell_values(reader: Reader, good: tuple = ()) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from([*reader.good_values, *good]),
        st.sampled_from(NASTY_CELLS),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
        st.dates(min_value=date(1900, 1, 1)),
    )


@dataclass
class Plan:
    """What to write: ``sheets`` of rows of cells, and how to spoil the file."""

    reader: str
    form: str
    suffix: str
    sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    encoding: str = "utf-8"
    delimiter: str = ","
    damage: tuple = ()
    raw: bytes = b""
    options: dict = field(default_factory=dict)

    def name(self) -> str:
        return READERS[self.reader].file_stem + self.suffix


@st.composite
def grids(draw, reader: Reader, good: tuple = (), *, max_columns: int = 12, max_rows: int = 12) -> list[list[object]]:
    """A header row of the reader's names (repeats allowed), banner lines above, nasty and good cells below."""
    width = draw(st.integers(1, max_columns))
    names = st.one_of(st.sampled_from(reader.header_names), st.sampled_from(NASTY_CELLS[:30]), st.text(max_size=12))
    header = draw(st.lists(names, min_size=width, max_size=width))
    banner = draw(
        st.lists(
            st.lists(
                st.sampled_from(["OFFICIAL-SENSITIVE", "Position as at 31 March 2025", "Q1 2025/26", "", "Title"]),
                max_size=2,
            ),
            max_size=3,
        )
    )
    cells = cell_values(reader, good)
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 2), max_size=max_rows))
    return [*banner, header, *rows]


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252", "mixed"]


@st.composite
def text_plans(draw, name: str, good: tuple = ()) -> Plan:
    """A delimited text file: the right kind of columns with wrong values, in an odd encoding."""
    reader = READERS[name]
    suffix = draw(st.sampled_from([s for s in reader.suffixes if s in (".csv", ".txt", ".tsv")]))
    return Plan(
        name,
        "text",
        suffix,
        {"Sheet1": draw(grids(reader, good))},
        draw(st.sampled_from(ENCODINGS)),
        draw(st.sampled_from([",", ";", "\t", "|"])),
        damage=draw(st.sampled_from([(), (), ("nul",), ("truncate", 0.5), ("crlf",), ("cr",)])),
    )


@st.composite
def workbook_plans(draw, name: str, good: tuple = ()) -> Plan:
    """An .xlsx with typed cells: formulas, error cells, dates in count columns, merged cells, hidden and empty sheets."""
    reader = READERS[name]
    sheet_names = draw(
        st.lists(
            st.sampled_from(["Data", "Sheet1", "Cover", "Summary", "Notes", "Δ€ sheet"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    sheets = {s: draw(grids(reader, good)) for s in sheet_names}
    options = {
        "merge": draw(st.booleans()),
        "hidden": draw(st.sampled_from([None, *sheet_names])),
        "empty_sheet": draw(st.booleans()),
    }
    return Plan(name, "xlsx", ".xlsx", sheets, options=options)


@st.composite
def wide_plans(draw, name: str) -> Plan:
    """Thousands of columns, a few rows."""
    reader = READERS[name]
    width = draw(st.integers(1000, 3000))
    header = [reader.header_names[i % len(reader.header_names)] if i < 4 else f"col {i}" for i in range(width)]
    row = [draw(st.sampled_from(reader.good_values)) for _ in range(4)] + ["1"] * (width - 4)
    form = draw(st.sampled_from(["text", "xlsx"] if ".xlsx" in reader.suffixes else ["text"]))
    return Plan(name, form, ".csv" if form == "text" else ".xlsx", {"Data": [header, row, row]})


@st.composite
def damaged_workbook_plans(draw, name: str) -> Plan:
    """A real workbook cut short, with bytes overwritten, or with a part replaced by junk."""
    plan = draw(workbook_plans(name))
    how = draw(st.sampled_from(["truncate", "flip", "replace_part", "drop_part"]))
    if how == "truncate":
        plan.damage = ("truncate", draw(st.floats(0.0, 0.999)))
    elif how == "flip":
        plan.damage = (
            "flip",
            tuple(draw(st.lists(st.tuples(st.floats(0, 0.999), st.integers(0, 255)), min_size=1, max_size=20))),
        )
    else:
        part = draw(
            st.sampled_from(
                [
                    "xl/workbook.xml",
                    "xl/worksheets/sheet1.xml",
                    "xl/sharedStrings.xml",
                    "[Content_Types].xml",
                    "xl/styles.xml",
                    "xl/_rels/workbook.xml.rels",
                ]
            )
        )
        plan.damage = (how, part, draw(st.binary(max_size=200)))
    return plan


MAGIC = [
    b"",
    b"PK\x03\x04",
    bytes.fromhex("D0CF11E0A1B11AE1"),
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"<html>",
    b'{"type":',
    b"PAR1",
    b"SQLite format 3\x00",
    b"\x00\x00\x27\x0a",
]


@st.composite
def random_plans(draw, name: str) -> Plan:
    """Random bytes behind a file signature, under any of the reader's names (and a few it does not take)."""
    reader = READERS[name]
    suffix = draw(st.sampled_from([*reader.suffixes, ".xlsb", ".ods", ".pdf", ""]))
    raw = draw(st.sampled_from(MAGIC)) + draw(st.binary(max_size=3000))
    return Plan(name, "raw", suffix, raw=raw)


def geojson_values() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=20,
    )


@st.composite
def geojson_plans(draw, name: str = "boundaries") -> Plan:
    """GeoJSON that is nearly right: wrong geometry types, huge or missing coordinates, bad codes, junk JSON."""
    reader = READERS[name]
    number = st.one_of(
        st.floats(-1e308, 1e308, allow_nan=False),
        st.sampled_from([0, 1e308, -1e308, 10**30, 54.5, -1.5, 700000, 450000]),
    )
    ring = st.lists(st.tuples(number, number), min_size=0, max_size=6)
    geometry = st.one_of(
        st.builds(
            lambda r: {"type": "Polygon", "coordinates": [[list(p) for p in r] + ([list(r[0])] if r else [])]}, ring
        ),
        st.builds(lambda p: {"type": "Point", "coordinates": list(p)}, st.tuples(number, number)),
        st.builds(lambda r: {"type": "LineString", "coordinates": [list(p) for p in r]}, ring),
        st.just(None),
        geojson_values(),
    )
    props = st.dictionaries(
        st.sampled_from(reader.header_names), st.sampled_from([*reader.good_values, *NASTY_CELLS[:40]]), max_size=4
    )
    feature = st.builds(lambda g, p: {"type": "Feature", "geometry": g, "properties": p}, geometry, props)
    doc = st.one_of(
        st.builds(lambda fs: {"type": "FeatureCollection", "features": fs}, st.lists(feature, max_size=5)),
        st.builds(
            lambda fs, crs: {"type": "FeatureCollection", "crs": crs, "features": fs},
            st.lists(feature, max_size=3),
            geojson_values(),
        ),
        geojson_values(),
    )
    text = json.dumps(draw(doc), default=str)
    cut = draw(st.sampled_from([None, None, None, 0.5, 0.9]))
    raw = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")
    if cut:
        raw = raw[: int(len(raw) * cut)]
    return Plan(name, "raw", draw(st.sampled_from([".geojson", ".json"])), raw=raw)


def plans(name: str, good: tuple = (), *, wide: bool = True) -> st.SearchStrategy[Plan]:
    """Every kind of malformed input the reader's formats allow; ``good`` adds plausible cell values
    (e.g. the sectors and LA names of a loaded geography) so that more inputs reach the deeper checks.
    ``wide`` includes tables with thousands of columns (slow to read: about 0.5 s each)."""
    kinds = [random_plans(name)]
    suffixes = READERS[name].suffixes
    if ".csv" in suffixes:
        kinds += [text_plans(name, good)] + ([wide_plans(name)] if wide else [])
    if ".xlsx" in suffixes:
        kinds += [workbook_plans(name, good), damaged_workbook_plans(name)]
    if ".geojson" in suffixes:
        kinds += [geojson_plans(name), nearly_valid_geojson(name)]
    if name in TEMPLATES:
        kinds += [nearly_valid_plans(name)] * 2
    return st.one_of(kinds)


# --- writing --------------------------------------------------------------------------------------


def _text_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "mixed":
        half = len(text) // 2
        return text[:half].encode("utf-8", errors="replace") + text[half:].encode("cp1252", errors="replace")
    return text.encode(encoding, errors="replace")


def _damage(raw: bytes, damage: tuple) -> bytes:
    if not damage:
        return raw
    kind = damage[0]
    if kind == "nul":
        return raw[: len(raw) // 2] + b"\x00" + raw[len(raw) // 2 :]
    if kind == "truncate":
        return raw[: int(len(raw) * damage[1])]
    if kind == "crlf":
        return raw.replace(b"\n", b"\r\n")
    if kind == "cr":
        return raw.replace(b"\n", b"\r")
    if kind == "flip":
        data = bytearray(raw)
        for where, value in damage[1]:
            data[int(where * len(data))] = value
        return bytes(data)
    if kind in ("replace_part", "drop_part"):
        source, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != damage[1]:
                    target.writestr(item, source.read(item))
                elif kind == "replace_part":
                    target.writestr(item, damage[2])
        return out.getvalue()
    raise ValueError(kind)


def _xlsx(plan: Plan) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in plan.sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
        if plan.options.get("merge") and sheet.max_row >= 2:
            sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=max(2, min(sheet.max_column, 3)))
        if plan.options.get("hidden") == name and len(plan.sheets) > 1:
            sheet.sheet_state = "hidden"
    if plan.options.get("empty_sheet"):
        book.create_sheet("Empty")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xlsx_cell(value: object) -> object:
    """openpyxl refuses control characters and integers beyond 64 bits; Excel would have stored them as text."""
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("?", value)[:32767]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)
    if isinstance(value, float) and value != value:
        return "#NUM!"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "#DIV/0!"
    return value


def build(plan: Plan, folder: Path) -> Path:
    """Write the plan's file into ``folder``; the path."""
    path = folder / plan.name()
    if plan.form == "raw":
        raw = plan.raw
    elif plan.form == "text":
        out = io.StringIO()
        csv.writer(out, delimiter=plan.delimiter, lineterminator="\n").writerows(
            [[_text_cell(c) for c in row] for row in plan.sheets[next(iter(plan.sheets))]]
        )
        raw = _damage(_encode(out.getvalue(), plan.encoding), plan.damage)
    else:
        raw = _damage(_xlsx(plan), plan.damage)
    path.write_bytes(raw)
    return path


# --- nearly valid files ------------------------------------------------------------------------------


def _sector(i: int) -> str:
    return f"TS{1 + i % 20} {i % 10}"


#: A valid table per reader (header, row i), which :func:`nearly_valid_plans` spoils a few cells of.
TEMPLATES: dict[str, tuple[list[str], Callable[[int], list[object]]]] = {
    "home_office": (
        [
            "Month",
            "Local Authority",
            "Postcode Sector",
            "Accommodation Type",
            "Nationality",
            "Age Band",
            "Gender",
            "People",
        ],
        lambda i: ["2025-03", "Hartlepool", _sector(i), "Dispersal", "Eritrea", "18-24", "Male", 1 + i % 9],
    ),
    "properties": (
        [
            "Property Ref",
            "Address Line 1",
            "Town",
            "Postcode",
            "Local Authority",
            "Bedspaces",
            "Occupancy",
            "Status",
            "Accommodation Type",
            "Date First Used",
        ],
        lambda i: [
            f"MRS-{i:05d}",
            f"{i + 1} Acacia Avenue",
            "Middlesbrough",
            f"TS1 {i % 9 + 1}AB",
            "Middlesbrough",
            4,
            i % 5,
            "Occupied",
            "Dispersal",
            date(2024, 4, 1),
        ],
    ),
    "public_stats": (
        [
            "Date",
            "Year",
            "Quarter",
            "Support Type",
            "UK Region",
            "Local Authority",
            "LAD Code",
            "Accommodation Type",
            "People",
        ],
        lambda i: [
            "2025-03-31",
            2025,
            1,
            "Section 95",
            "North East",
            "Hartlepool",
            f"E0600000{i % 9 + 1}",
            "Dispersal Accommodation",
            10 * i,
        ],
    ),
    "population": (
        ["area_code", "area_name", "level", "population", "population_0_17", "year"],
        lambda i: [f"E0500{i:04d}", f"Ward {i}", "ward", 5000 + i, 1000, 2022],
    ),
    "postcode_lookup": (
        ["pcds", "lat", "long", "osward", "oslaua"],
        lambda i: [f"TS1 {i % 9 + 1}{'ABCDEFG'[i % 7]}B", 54.5 + i / 1000, -1.2, f"E0500{i:04d}", "E06000001"],
    ),
}


@st.composite
def nearly_valid_plans(draw, name: str, template: tuple | None = None) -> Plan:
    """A valid table with a few cells spoilt, a header repeated, a total row or a formula: the inputs that
    get past header detection and exercise the per-cell checks."""
    reader = READERS[name]
    header, row = template or TEMPLATES[name]
    n = draw(st.integers(1, 25))
    rows = [list(header)] + [row(i) for i in range(n)]
    for _ in range(draw(st.integers(0, 4))):
        r, c = draw(st.integers(0, n)), draw(st.integers(0, len(header) - 1))
        rows[r][c] = draw(st.one_of(st.sampled_from(NASTY_CELLS), cell_values(reader)))
    if draw(st.booleans()):
        c = draw(st.integers(0, len(header) - 1))
        for line in rows:
            line.insert(c, line[c])
    if draw(st.booleans()):
        rows.append(["Total"] + [draw(cell_values(reader)) for _ in header[1:]])
    form = draw(st.sampled_from(["text", "xlsx"] if ".xlsx" in reader.suffixes else ["text"]))
    if form == "text":
        return Plan(
            name,
            "text",
            ".csv",
            {"Data": rows},
            draw(st.sampled_from(ENCODINGS)),
            damage=draw(st.sampled_from([(), (), (), ("crlf",), ("truncate", 0.9)])),
        )
    return Plan(name, "xlsx", ".xlsx", {"Data": rows}, options={"merge": draw(st.booleans())})


@st.composite
def nearly_valid_geojson(draw, name: str = "boundaries") -> Plan:
    """Square wards with one thing wrong: a bad code, a huge or missing coordinate, a ring left open."""
    features = []
    for i in range(draw(st.integers(1, 6))):
        x, y = -1.5 + i * 0.01, 54.5
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"WD24CD": f"E0500{i:04d}", "WD24NM": f"Ward {i}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    for _ in range(draw(st.integers(1, 3))):
        feature = features[draw(st.integers(0, len(features) - 1))]
        how = draw(st.sampled_from(["code", "name", "coordinate", "open", "empty", "type", "null"]))
        if how in ("coordinate", "open", "empty", "type") and not (feature["geometry"] or {}).get("coordinates"):
            continue
        if how in ("code", "name"):
            feature["properties"]["WD24CD" if how == "code" else "WD24NM"] = draw(st.sampled_from(NASTY_CELLS))
        elif how == "coordinate":
            ring = feature["geometry"]["coordinates"][0]
            ring[draw(st.integers(0, 3))] = draw(
                st.sampled_from(
                    [[1e308, 0], [0], [], [float("nan"), 1], [700000, 500000], ["a", "b"], [10**30, 10**30]]
                )
            )
        elif how == "open":
            feature["geometry"]["coordinates"][0].pop()
        elif how == "empty":
            feature["geometry"]["coordinates"] = []
        elif how == "type":
            feature["geometry"]["type"] = draw(st.sampled_from(["Point", "LineString", "Polygonn", "MultiPolygon"]))
        else:
            feature["geometry"] = None
    raw = json.dumps({"type": "FeatureCollection", "features": features}, default=str).encode()
    return Plan(name, "raw", ".geojson", raw=raw)

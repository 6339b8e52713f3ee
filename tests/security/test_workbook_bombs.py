"""Workbooks built to kill the server: a zip directory that understates a sheet's size, far cells beyond it,
and sheets that reach far without cell references. Each must end in a refusal naming the file (CLI exit 1,
a message on the Data page) with the process still serving, never an abort.
"""

from __future__ import annotations

import base64
import io
import os
import struct
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from app.config import ROOT
from app.problems import InputRefused
from app.readers.archive import ArchiveLimits, check_workbook_archive
from app.readers.tables import read_sheets
from app.security import limits

SHEET = "xl/worksheets/sheet1.xml"


def workbook(cells: dict[str, object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Postcode Sector", "People", "Local Authority", "Month"])
    sheet.append(["TS1 3", 4, "Middlesbrough", "2025-03"])
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def understate(raw: bytes, member: str = SHEET, declared: int | None = None) -> bytes:
    """The same zip with ``member``'s uncompressed size understated in its local header and in the central
    directory (CRC and data untouched): a reader that trusts the directory stops early and sees nothing wrong
    up to there."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        info = archive.getinfo(member)
    declared = declared if declared is not None else max(1, info.file_size // 4)
    data = bytearray(raw)
    assert data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    name = member.encode()
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46 : position + 46 + name_length]) == name:
            struct.pack_into("<I", data, position + 24, declared)
            break
        position = data.find(b"PK\x01\x02", position + 4)
    else:
        raise AssertionError("central directory entry not found")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as check:
        assert check.getinfo(member).file_size == declared
    return bytes(data)


def killer() -> bytes:
    """The attacker's file: a cell at XFD1048576 past the declared end of the sheet's XML."""
    raw = understate(workbook({"XFD1048576": 1}))
    assert len(raw) < 10_000
    return raw


def test_the_directory_understating_a_sheet_hides_nothing(tmp_path):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(killer())
    with pytest.raises(InputRefused) as refused:
        check_workbook_archive(path)
    problem = refused.value.problems[0]
    assert problem.file == "HO_2025-03.xlsx"
    assert "row 1,048,576 and column 16,384" in problem.message and "cells to read" in problem.message


def test_26_million_cells_past_the_declared_size_are_held_to_the_cell_limit(tmp_path):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(understate(workbook({"Z1000000": 1})))
    with pytest.raises(InputRefused, match=r"26,000,000 cells to read \(at most 10,000,000"):
        read_sheets(path)


def test_a_zip_or_crc_error_refuses_the_file(tmp_path):
    raw = bytearray(workbook({}))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo(SHEET)
    struct.pack_into("<I", raw, info.header_offset + 14, 0xDEADBEEF)  # the local CRC
    position = raw.find(b"PK\x01\x02")
    while position != -1:
        length = struct.unpack_from("<H", raw, position + 28)[0]
        if bytes(raw[position + 46 : position + 46 + length]) == SHEET.encode():
            struct.pack_into("<I", raw, position + 16, 0xDEADBEEF)
        position = raw.find(b"PK\x01\x02", position + 4)
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(bytes(raw))
    with pytest.raises(InputRefused, match="zip structure is not valid") as refused:
        check_workbook_archive(path)
    assert refused.value.problems[0].file == "HO_2025-03.xlsx"
    with pytest.raises(limits.UploadRefused, match="damaged"):
        limits.check_upload("HO_2025-03.xlsx", bytes(raw))


def test_the_upload_check_counts_real_bytes_too():
    with pytest.raises(limits.UploadRefused, match="cells to read"):
        limits.check_upload("HO_2025-03.xlsx", killer())


def _sheet_without_references(rows: int, columns: int) -> bytes:
    """A sheet whose far cells carry no ``r`` attribute (optional in the format): no scan can see its span."""
    raw = workbook({})
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        parts = {item.filename: source.read(item) for item in source.infolist()}
    far = "<c><v>1</v></c>" * columns
    xml = parts[SHEET].decode()
    xml = xml.replace("</sheetData>", f'<row r="{rows}">{far}</row></sheetData>')
    xml = xml.replace('<dimension ref="A1:D2"/>', "").replace('<dimension ref="A1:D2" />', "")
    parts[SHEET] = xml.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def test_a_sheet_reaching_far_without_references_is_refused_by_the_parsing_process(tmp_path):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(_sheet_without_references(1_000_000, 26))
    check_workbook_archive(path)  # nothing for the scan to see
    with pytest.raises(InputRefused, match=r"26,000,000 cells to read") as refused:
        read_sheets(path)
    assert refused.value.problems[0].file == "HO_2025-03.xlsx"


def honest_far() -> bytes:
    """The far cell with true sizes: what reaches the parser when the cell limit is lifted."""
    return workbook({"XFD1048576": 1})


def test_what_exhausts_the_parsing_process_is_a_refusal_not_an_abort(tmp_path):
    """The cell limit lifted, so the archive check passes it: calamine asks for 512 GiB in the child, which
    dies; this process gets a refusal naming the file."""
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(honest_far())
    lifted = ArchiveLimits(max_cells=10**15, parse_memory_mb=1024)
    with pytest.raises(InputRefused, match="more than 1,024 MB of memory") as refused:
        read_sheets(path, limits=lifted)
    assert refused.value.problems[0].file == "HO_2025-03.xlsx"


def test_a_parse_that_takes_too_long_is_stopped(tmp_path):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(_sheet_without_references(200_000, 40))
    with pytest.raises(InputRefused, match="longer than 0 seconds|more than .* MB of memory"):
        read_sheets(path, limits=ArchiveLimits(max_cells=10**9, parse_seconds=0.05))


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=full
    )


@pytest.mark.parametrize("lift", [False, True], ids=["archive-check", "parsing-process"])
def test_cli_ingest_exits_1_with_a_message(tmp_path, security_store, lift):
    path = tmp_path / "HO_2025-03.xlsx"
    path.write_bytes(honest_far() if lift else killer())
    env = {"DISPERSAL_MAX_CELLS": str(10**15), "DISPERSAL_PARSE_MEMORY_MB": "1024"} if lift else {}
    done = _cli("ingest", "home-office", str(path), "--db", security_store.url, env=env)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Refused: nothing was loaded" in done.stderr and "HO_2025-03.xlsx" in done.stderr
    assert ("memory" if lift else "cells to read") in done.stderr


def _upload(client, raw: bytes, name: str):
    contents = (
        "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
        + base64.b64encode(raw).decode()
    )
    payload = {
        "output": "..data-preview.children...data-pending.data...data-confirm.disabled..",
        "outputs": [
            {"id": "data-preview", "property": "children"},
            {"id": "data-pending", "property": "data"},
            {"id": "data-confirm", "property": "disabled"},
        ],
        "inputs": [{"id": "data-upload", "property": "contents", "value": contents}],
        "state": [
            {"id": "data-upload", "property": "filename", "value": name},
            {"id": "data-kind", "property": "value", "value": "home_office"},
            {"id": "data-provider", "property": "value", "value": None},
            {"id": "data-month", "property": "value", "value": None},
        ],
        "changedPropIds": ["data-upload.contents"],
    }
    return client.post("/_dash-update-component", json=payload)


@pytest.mark.parametrize("lift", [False, True], ids=["archive-check", "parsing-process"])
def test_the_data_page_refuses_it_and_keeps_serving(as_role, monkeypatch, lift):
    if lift:
        monkeypatch.setenv("DISPERSAL_MAX_CELLS", str(10**15))
        monkeypatch.setenv("DISPERSAL_PARSE_MEMORY_MB", "1024")
    admin = as_role("admin")
    response = _upload(admin, honest_far() if lift else killer(), "HO_2025-03.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert "Nothing was loaded" in text and "HO_2025-03.xlsx" in text
    assert ("memory" if lift else "cells to read") in text
    assert admin.get("/_dash-layout").status_code == 200  # still serving


def test_the_population_reader_parses_in_the_limited_process_too(tmp_path, monkeypatch):
    from app.readers.population import read_population

    monkeypatch.setenv("DISPERSAL_MAX_CELLS", str(10**15))
    monkeypatch.setenv("DISPERSAL_PARSE_MEMORY_MB", "1024")
    path = tmp_path / "population_2021.xlsx"
    path.write_bytes(honest_far())
    with pytest.raises(InputRefused, match="more than 1,024 MB of memory") as refused:
        read_population(path)
    assert refused.value.problems[0].file == "population_2021.xlsx"

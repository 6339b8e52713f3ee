"""Builders for the input files the reader tests need, written into tmp_path."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest


def write_xlsx(
    path: Path,
    sheets: dict[str, list[list[object]]],
    *,
    merges: dict[str, list[str]] | None = None,
    hidden: tuple[str, ...] = (),
) -> Path:
    """A workbook with one sheet per entry, rows written from A1 (None = empty cell)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cell_range in (merges or {}).get(name, []):
            sheet.merge_cells(cell_range)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows([["" if c is None else c for c in row] for row in rows])
    return path


@pytest.fixture
def xlsx(tmp_path):
    def make(name: str, sheets: dict[str, list[list[object]]], **kwargs) -> Path:
        return write_xlsx(tmp_path / name, sheets, **kwargs)

    return make


@pytest.fixture
def csv_file(tmp_path):
    def make(name: str, rows: list[list[object]], **kwargs) -> Path:
        return write_csv(tmp_path / name, rows, **kwargs)

    return make

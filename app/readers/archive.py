"""Refuse workbooks that would exhaust memory before they are opened.

An ``.xlsx`` is a zip of XML files. Two kinds of hostile (or broken) file
can take down the whole process, not just fail: a *zip bomb*, whose entries
decompress to gigabytes, and a sheet with two cells far apart (``A1`` and
``XFD1048576``): python-calamine fills the whole rectangle between them and
aborts the process when the allocation fails (a 10 KB file did this). Both
are checked here, from the zip's directory and a scan of the sheet XML, before
calamine sees the file. The limits come from :class:`ArchiveLimits`, each
overridable by an environment variable.
"""
from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

from app.problems import InputRefused, Problem

_MB = 1 << 20
#: A cell reference beyond column Z or row 99,999: only then is the exact span worth computing.
_FAR_CELL = re.compile(rb' r="(?:[A-Z]{2}|[A-Z]+[0-9]{6})')
_NEAR_CELLS = 26 * 99_999
_CELL = re.compile(rb' r="([A-Z]{1,3})([0-9]{1,9})"')
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_CHUNK = 4 * _MB
#: Enough overlap between chunks to keep a whole cell reference.
_OVERLAP = 32


@dataclass(frozen=True)
class ArchiveLimits:
    """What a workbook may hold. A national month (75,000 rows) is about 45 MB of XML and 1 million cells."""

    max_entries: int = 10_000
    max_uncompressed_mb: float = 512.0
    #: How much an entry may expand, for entries over 1 MB once expanded (Excel XML expands 10-30 times).
    max_ratio: float = 200.0
    #: Cells in the rectangle a sheet spans (rows x columns), blank ones included.
    max_cells: int = 10_000_000

    @classmethod
    def from_env(cls) -> "ArchiveLimits":
        """Defaults, each replaced by ``DISPERSAL_<FIELD>`` when set (e.g. ``DISPERSAL_MAX_CELLS``)."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"DISPERSAL_{f.name.upper()}")
            if raw:
                values[f.name] = type(f.default)(float(raw))
        return cls(**values)


def _refuse(file: str, message: str) -> InputRefused:
    return InputRefused([Problem(message, file=file, code="too_large")])


def check_workbook_archive(path: Path, limits: ArchiveLimits | None = None) -> None:
    """Raise :class:`InputRefused` when the zip behind a workbook is too big to open safely; a damaged
    zip is left for the workbook reader to describe."""
    limits = limits or ArchiveLimits.from_env()
    file = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_sizes(file, entries, limits)
            for entry in entries:
                if _SHEET_PART.match(entry.filename):
                    _check_span(file, archive, entry, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError):
        return


def _check_sizes(file: str, entries: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(entries) > limits.max_entries:
        raise _refuse(file, f"the workbook holds {len(entries):,} parts (at most {limits.max_entries:,} are "
                            "accepted); it is damaged or not a normal Excel file")
    total = sum(e.file_size for e in entries)
    if total > limits.max_uncompressed_mb * _MB:
        raise _refuse(file, f"the workbook would expand to {total / _MB:,.0f} MB when opened (at most "
                            f"{limits.max_uncompressed_mb:,.0f} MB are accepted); split it or save it as CSV")
    for entry in entries:
        if entry.file_size > _MB and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise _refuse(file, f"a part of the workbook expands {entry.file_size / max(entry.compress_size, 1):,.0f} "
                                "times when opened, which normal Excel files never do; it is damaged or built to "
                                "exhaust memory, so it is not opened")


def _check_span(file: str, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    """Columns up to Z and rows up to 99,999 cannot exceed the default limit; only further cells need an exact scan."""
    quick = limits.max_cells >= _NEAR_CELLS
    if quick and not _scan(archive, entry, lambda chunk: _FAR_CELL.search(chunk) is not None):
        return
    last = [0, 0]

    def widen(chunk: bytes) -> bool:
        for letters, row in _CELL.findall(chunk):
            last[0] = max(last[0], int(row))
            last[1] = max(last[1], _column_number(letters))
        return False

    _scan(archive, entry, widen)
    rows, columns = last
    if rows * columns > limits.max_cells:
        raise _refuse(file, f"a sheet reaches row {rows:,} and column {columns:,}: {rows * columns:,} cells to "
                            f"read (at most {limits.max_cells:,} are accepted). Delete the cells far from the "
                            "data (press Ctrl+End in Excel to find them) and save it again")


def _scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, found) -> bool:
    """Feed the entry's bytes to ``found`` in overlapping chunks; True as soon as it says so."""
    tail = b""
    with archive.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            if found(tail + chunk):
                return True
            tail = chunk[-_OVERLAP:]
    return False


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number

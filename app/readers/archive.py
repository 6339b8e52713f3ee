"""Refuse workbooks that would exhaust memory before they are opened.

An ``.xlsx`` is a zip of XML files. Two kinds of hostile (or broken) file
can take down the whole process, not just fail: a *zip bomb*, whose entries
decompress to gigabytes, and a sheet with two cells far apart (``A1`` and
``XFD1048576``): python-calamine fills the whole rectangle between them and
aborts the process when the allocation fails (a 5 KB file did this). Both
are checked here before calamine sees the file, and nothing the zip declares
is trusted: every entry is decompressed (streamed, never held) and its real
bytes counted against the limits while its cell references are scanned, and a
zip, CRC or size error refuses the file, since a directory that understates an
entry's size is how such a file slips past a check that reads only what was
declared. Whatever passes is then parsed in a separate process under memory
and time limits (:mod:`app.readers.sandbox`). The limits come from
:class:`ArchiveLimits`, each overridable by an environment variable.
"""

from __future__ import annotations

import copy
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

from app.problems import InputRefused, Problem

_MB = 1 << 20
#: A cell reference beyond column Z or row 99,999: only then is the exact span worth computing.
_CELL = re.compile(rb'\sr\s*=\s*["\']([A-Z]{1,3})([0-9]{1,9})["\']')
#: Any XML part of the workbook except the shared strings (cells live in worksheets, wherever the
#: workbook's relationships put them; the scan is cheap).
_SHEET_PART = re.compile(r"^(?!.*sharedstrings).*\.xml$", re.IGNORECASE)
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
    #: The separate process that parses a workbook: its address-space limit and how long it may take.
    parse_memory_mb: float = 2048.0
    parse_seconds: float = 120.0

    @classmethod
    def from_env(cls) -> ArchiveLimits:
        """Defaults, each replaced by ``DISPERSAL_<FIELD>`` when set (e.g. ``DISPERSAL_MAX_CELLS``)."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"DISPERSAL_{f.name.upper()}")
            if raw:
                values[f.name] = type(f.default)(float(raw))
        return cls(**values)


def _refuse(file: str, message: str) -> InputRefused:
    return InputRefused([Problem(message, file=file, code="too_large")])


def check_workbook_archive(
    path: Path | str | bytes, limits: ArchiveLimits | None = None, file: str | None = None
) -> None:
    """Raise :class:`InputRefused` when the zip behind a workbook (a path, or its bytes) is damaged or too
    big to open safely."""
    limits = limits or ArchiveLimits.from_env()
    file = file or (Path(path).name if not isinstance(path, bytes) else "the workbook")
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    head = path[:4] if isinstance(path, bytes) else _head(path)
    if head != b"PK\x03\x04" and not zipfile.is_zipfile(source):
        return  # not a zip at all (junk before a zip still counts as one): the reader says what it is
    if isinstance(source, io.BytesIO):
        source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
            _check_entries(file, entries, limits)
            budget = [int(limits.max_uncompressed_mb * _MB)]
            for entry in entries:
                _check_entry(file, archive, entry, limits, budget)
    except InputRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        KeyError,
        OverflowError,
    ) as error:
        raise InputRefused(
            [
                Problem(
                    "the workbook cannot be opened: it is damaged (its zip structure is not valid: "
                    f"{_plain(error)}); open it in Excel and save it again",
                    file=file,
                    code="corrupt",
                )
            ]
        ) from None


def _head(path: Path | str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(4)
    except OSError:
        return b""


def _plain(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:120]


def _check_entries(file: str, entries: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    """What the directory declares, refused early when even that is too much (the real bytes come next)."""
    if len(entries) > limits.max_entries:
        raise _refuse(
            file,
            f"the workbook holds {len(entries):,} parts (at most {limits.max_entries:,} are "
            "accepted); it is damaged or not a normal Excel file",
        )
    total = sum(e.file_size for e in entries)
    if total > limits.max_uncompressed_mb * _MB:
        raise _refuse(
            file,
            f"the workbook would expand to {total / _MB:,.0f} MB when opened (at most "
            f"{limits.max_uncompressed_mb:,.0f} MB are accepted); split it or save it as CSV",
        )
    for entry in entries:
        if entry.file_size > _MB and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise _refuse(
                file,
                f"a part of the workbook expands {entry.file_size / max(entry.compress_size, 1):,.0f} "
                "times when opened, which normal Excel files never do; it is damaged or built to "
                "exhaust memory, so it is not opened",
            )


def _too_big(file: str, limits: ArchiveLimits) -> InputRefused:
    return _refuse(
        file,
        f"the workbook expands to more than {limits.max_uncompressed_mb:,.0f} MB when opened "
        "(more is not accepted); split it or save it as CSV",
    )


def _check_entry(
    file: str, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: ArchiveLimits, budget: list[int]
) -> None:
    """Decompress the entry, counting its real bytes (its declared size is ignored) and, for XML parts,
    the span of its cell references."""
    if entry.is_dir():
        return
    real = copy.copy(entry)
    real.file_size = budget[0] + 1  # read to the real end of the data, whatever the directory says
    scan = _SHEET_PART.match(entry.filename) is not None
    last = [0, 0]
    tail = b""
    size = 0
    with archive.open(real) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > budget[0]:
                raise _too_big(file, limits)
            if size > _MB and size > limits.max_ratio * max(entry.compress_size, 1):
                raise _refuse(
                    file,
                    "a part of the workbook expands more than "
                    f"{limits.max_ratio:,.0f} times when opened, which normal Excel files never "
                    "do; it is damaged or built to exhaust memory, so it is not opened",
                )
            if scan:
                found = _CELL.findall(tail + chunk)
                if found:
                    last[0] = max(last[0], *map(int, {row for _, row in found}))
                    last[1] = max(last[1], *map(_column_number, {letters for letters, _ in found}))
                tail = chunk[-_OVERLAP:]
    rows, columns = last
    if rows * columns > limits.max_cells:
        raise _refuse(
            file,
            f"a sheet reaches row {rows:,} and column {columns:,}: {rows * columns:,} cells to "
            f"read (at most {limits.max_cells:,} are accepted). Delete the cells far from the "
            "data (press Ctrl+End in Excel to find them) and save it again",
        )
    budget[0] -= size
    if size != entry.file_size:
        raise _refuse(
            file,
            f"the workbook is damaged: the part '{entry.filename[:80]}' holds {size:,} bytes "
            f"but its directory says {entry.file_size:,}; open it in Excel and save it again",
        )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number

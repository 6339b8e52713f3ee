"""Parse a workbook in a separate process with memory and time limits, so the worst file is a refusal.

python-calamine allocates what a workbook asks for and aborts the whole
process when it cannot (a Rust allocation failure is not an exception): in a
gunicorn worker that kills every request on it. :func:`open_workbook` runs
calamine in a child process (``python -m app.readers.sandbox``) whose address
space is capped with ``resource.setrlimit(RLIMIT_AS)`` (``parse_memory_mb``)
and which is killed after ``parse_seconds``; the child sends back every sheet's
cells, or why it refused. A child that dies, runs out of memory or time, or
answers nonsense becomes :class:`~app.problems.InputRefused` naming the file.

The child also refuses a sheet whose rectangle (as calamine measured it, after
reading the XML itself) exceeds ``max_cells``, so a sheet that reaches far
without cell references (which :mod:`app.readers.archive` scans for) is still
held to the cell limit.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.config import ROOT
from app.problems import InputRefused, Problem
from app.readers.archive import ArchiveLimits

_MB = 1 << 20
#: The child's cells travel as a pickle of plain values; only these classes may be rebuilt from it.
_ALLOWED = {("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta")}


class PasswordProtected(Exception):
    """The child found the workbook protected by a password."""


@dataclass(frozen=True)
class SheetMeta:
    name: str
    visible: str


class _Sheet:
    def __init__(self, rows: list[list[object]], merged: list | None = None):
        self._rows = rows
        #: merged ranges as calamine gives them: ((top, left), (bottom, right)), 0-based
        self.merged_cell_ranges = merged or []

    def to_python(self, skip_empty_area: bool = False) -> list[list[object]]:
        return self._rows


class ParsedWorkbook:
    """What the child read, offering the part of calamine's interface the readers use."""

    def __init__(self, sheets: list[tuple[str, str, list[list[object]]]]):
        self.sheet_names = [sheet[0] for sheet in sheets]
        self.sheets_metadata = [SheetMeta(sheet[0], sheet[1]) for sheet in sheets]
        self._rows = {sheet[0]: sheet[2] for sheet in sheets}
        self._merged = {sheet[0]: (sheet[3] if len(sheet) > 3 else []) for sheet in sheets}

    def get_sheet_by_name(self, name: str) -> _Sheet:
        return _Sheet(self._rows[name], self._merged[name])


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not expected from the workbook reader")


def _refuse(file: str, message: str) -> InputRefused:
    return InputRefused([Problem(message, file=file, code="too_large")])


def open_workbook(path: Path, limits: ArchiveLimits | None = None) -> ParsedWorkbook:
    """Every sheet of the workbook at ``path``, read in a child process under ``limits``."""
    limits = limits or ArchiveLimits.from_env()
    file = path.name
    command = [
        sys.executable,
        "-m",
        "app.readers.sandbox",
        str(path),
        str(int(limits.parse_memory_mb * _MB)),
        str(int(limits.parse_seconds)),
        str(int(limits.max_cells)),
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, timeout=limits.parse_seconds, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise _refuse(
            file,
            f"the workbook took longer than {limits.parse_seconds:,.0f} seconds to read and was "
            "stopped; it is damaged or far larger than a normal file: split it or save it as "
            "CSV",
        ) from None
    if done.returncode != 0 or not done.stdout:
        raise _refuse(
            file,
            f"the workbook needs more than {limits.parse_memory_mb:,.0f} MB of memory (or more "
            "time than allowed) to read, so it was not opened; it is damaged or built to "
            "exhaust memory: delete the cells far from the data (Ctrl+End in Excel) or save "
            "it as CSV",
        )
    try:
        answer = _Unpickler(io.BytesIO(done.stdout)).load()
    except Exception:
        raise _refuse(file, "the workbook reader gave no usable answer for this file; it is damaged") from None
    if answer.get("password"):
        raise PasswordProtected()
    if answer.get("refused"):
        raise InputRefused(
            [
                Problem(
                    str(answer["refused"]),
                    file=file,
                    sheet=answer.get("sheet"),
                    code=str(answer.get("code", "unreadable")),
                )
            ]
        )
    return ParsedWorkbook(answer["sheets"])


def read_frames(path: Path, limits: ArchiveLimits | None = None):
    """Every sheet as a frame of text with no header, like ``pandas.read_excel(header=None, dtype=str)``
    (blank cells missing, whole numbers without ``.0``), read in the child process."""
    import pandas as pd

    from app.readers.tables import display

    book = open_workbook(Path(path), limits)
    frames = {}
    for name in book.sheet_names:
        rows = [[display(cell) or None for cell in row] for row in book.get_sheet_by_name(name).to_python()]
        frames[name] = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    return frames


def _limit(memory: int, seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds + 1, seconds + 2))


def _read(path: str, max_cells: int) -> dict:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        book = CalamineWorkbook.from_path(path)
        metadata = {m.name: m for m in book.sheets_metadata}
    except PasswordError:
        return {"password": True}
    except MemoryError:
        raise
    except Exception as error:
        text = (str(error).strip() or type(error).__name__).splitlines()[0][:120]
        return {
            "refused": f"the workbook cannot be opened: it is damaged or not really an Excel file ({text})",
            "code": "corrupt",
        }
    sheets = []
    for name in book.sheet_names:
        try:
            sheet = book.get_sheet_by_name(name)
            end = sheet.end  # the last cell (0-based), the rectangle from A1 is what the rows hold
            height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
            if height * width > max_cells:
                return {
                    "refused": f"a sheet reaches row {height:,} and column {width:,}: {height * width:,} "
                    f"cells to read (at most {max_cells:,} are accepted). Delete the cells far from "
                    "the data (press Ctrl+End in Excel to find them) and save it again",
                    "sheet": name,
                    "code": "too_large",
                }
            rows = sheet.to_python(skip_empty_area=False)
        except MemoryError:
            raise
        except Exception as error:
            text = (str(error).strip() or type(error).__name__).splitlines()[0][:120]
            return {"refused": f"this sheet cannot be read ({text})", "sheet": name, "code": "unreadable"}
        visible = str(getattr(metadata.get(name), "visible", "Visible"))
        merged = [tuple(map(tuple, r)) for r in (getattr(sheet, "merged_cell_ranges", None) or [])]
        sheets.append((name, visible, rows, merged))
    return {"sheets": sheets}


def main(argv: list[str]) -> int:
    path, memory, seconds, max_cells = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    _limit(memory, seconds)
    answer = _read(path, max_cells)
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The pack as an Excel workbook (openpyxl): an "About" sheet, then one sheet per table.

Each table sheet: the protective marking in row 1 (and in the printed header and footer), the table's
title in row 2, a note in row 3, column headings in row :data:`HEADER_ROW` and the rows below, with
filters and frozen headings.

Formula injection: text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (an
address such as "=HYPERLINK(...)" typed into a provider's list) is written as a plain string cell with
Excel's quote prefix, the mark Excel itself sets when a user types ``'=...``: it is shown and kept as
text, never evaluated, and the text stays exactly as received. Numbers stay numbers.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.report.content import PackContent, PackTable
from app.security.exports import TRIGGERS

HEADER_ROW = 4
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="F3F2F1")


def sheet_name(key: str, taken: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters, none of ``[]:*?/\\``)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", key.replace("_", " ").capitalize())[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def put(ws, row: int, column: int, value: object):
    """Write one cell; text that could start a formula is kept as quoted text."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        value = None
    elif isinstance(value, np.generic):
        value = value.item()
    elif not isinstance(value, (int, float, str)):
        value = str(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _marking(ws, content: PackContent) -> None:
    put(ws, 1, 1, content.marking).font = Font(bold=True, color="FFFFFF" if content.restricted else "0B0C0C")
    if content.restricted:
        ws.cell(row=1, column=1).fill = PatternFill("solid", fgColor="0B0C0C")
    for header in (ws.oddHeader, ws.oddFooter):
        header.center.text = content.marking
    ws.oddFooter.right.text = "Page &P of &N"
    ws.oddHeader.left.text = content.title[:200]


def _table_sheet(wb: Workbook, table: PackTable, content: PackContent, name: str) -> None:
    ws = wb.create_sheet(name)
    _marking(ws, content)
    put(ws, 2, 1, table.title).font = Font(bold=True, size=13)
    if table.note:
        put(ws, 3, 1, table.note)
    frame = table.frame
    for j, column in enumerate(frame.columns, start=1):
        cell = put(ws, HEADER_ROW, j, str(column))
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=HEADER_ROW + 1):
        for j, value in enumerate(values, start=1):
            put(ws, i, j, value)
    if frame.empty:
        put(ws, HEADER_ROW + 1, 1, "None.")
    for j, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:200, j - 1].tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 60)
    if len(frame.columns):
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(frame.columns))}{HEADER_ROW + max(len(frame), 1)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _about_sheet(wb: Workbook, content: PackContent, names: dict[str, str]) -> None:
    ws = wb.active
    ws.title = "About"
    _marking(ws, content)
    put(ws, 2, 1, content.title).font = Font(bold=True, size=14)
    generated = content.generated_at.strftime("%d %B %Y %H:%M")
    put(ws, 3, 1, f"Position at {content.month}. Made {generated} for {content.user} ({content.role}).")
    row = 5
    put(ws, row, 1, "Key facts").font = BOLD
    for label, value in content.facts:
        row += 1
        put(ws, row, 1, label)
        put(ws, row, 2, value)
    for section in content.sections:
        row += 2
        put(ws, row, 1, section.title).font = BOLD
        for line in section.text:
            row += 1
            put(ws, row, 1, line)
        if section.tables:
            row += 1
            put(ws, row, 1, "Sheets: " + "; ".join(f"'{names[t.key]}' ({t.title})" for t in section.tables))
    row += 2
    put(ws, row, 1, "Licences and attribution").font = BOLD
    for line in content.attribution:
        row += 1
        put(ws, row, 1, line)
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 90


def render(content: PackContent) -> bytes:
    wb = Workbook()
    taken = {"About"}
    names = {t.key: sheet_name(t.key, taken) for t in content.tables()}
    _about_sheet(wb, content, names)
    for table in content.tables():
        _table_sheet(wb, table, content, names[table.key])
    wb.properties.title = content.title
    wb.properties.subject = f"{content.marking}: provider meeting pack"
    wb.properties.creator = "Dispersal Monitor"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

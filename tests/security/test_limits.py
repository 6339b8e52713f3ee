"""Upload limits (size, type, zip bombs, entity declarations, sheet dimensions) and safe exports."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from app.security import exports, limits
from app.security.limits import UploadRefused, check_upload


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Postcode Sector", "People"])
    sheet.append(["TS1 3", 12])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(original: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(original))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, change(item.filename, source.read(item.filename)))
        extra = change("__extra__", b"")
        if extra:
            target.writestr("xl/media/padding.bin", extra)
    return out.getvalue()


def test_ordinary_files_pass():
    check_upload("HO_2025-01.csv", b"Postcode Sector,People\nTS1 3,12\n")
    check_upload("HO_2025-01.csv", "Postcode Sector,People\n".encode("utf-16"))
    check_upload("Mears Q1.xlsx", workbook_bytes())
    check_upload("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("data.exe", b"MZ", "not a file type"),
        ("data.csv.exe", b"a,b\n", "not a file type"),
        ("data.csv", b"", "empty"),
        ("data.csv", b"PK\x03\x04rest", "workbook named .csv"),
        ("data.csv", b"a,b\n\x00\x01\x02", "not a text"),
        ("data.xlsx", b"a,b\n1,2\n", "not an Excel workbook"),
        ("data.xlsx", b"PK\x03\x04garbage", "damaged"),
        ("data.xls", b"a,b\n", "Excel 97-2003"),
    ],
)
def test_wrong_types_are_refused(name, content, message):
    with pytest.raises(UploadRefused, match=message):
        check_upload(name, content)


def test_size_limit(monkeypatch):
    monkeypatch.setenv("DISPERSAL_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(UploadRefused, match="largest file accepted"):
        check_upload("big.csv", b"a,b\n" * 1000)
    assert limits.max_request_bytes() > limits.max_upload_bytes() * 4 // 3


def test_zip_bomb_is_refused():
    bomb = rezip(workbook_bytes(), lambda name, data: b"\0" * (50 * 1024 * 1024) if name == "__extra__" else data)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UploadRefused, match="zip bomb"):
        check_upload("bomb.xlsx", bomb)


def test_entity_declarations_are_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'

    def inject(name, data):
        return (
            laughs + data.split(b"?>", 1)[-1]
            if name == "xl/sharedStrings.xml" or name == "xl/workbook.xml"
            else (b"" if name == "__extra__" else data)
        )

    with pytest.raises(UploadRefused, match="entity"):
        check_upload("laughs.xlsx", rezip(workbook_bytes(), inject))


def test_absurd_sheet_dimensions_are_refused():
    def widen(name, data):
        if name == "__extra__":
            return b""
        return (
            data.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
            if "worksheets" in name
            else data
        )

    with pytest.raises(UploadRefused, match="cells"):
        check_upload("wide.xlsx", rezip(workbook_bytes(), widen))


def test_exports_cannot_start_formulas():
    frame = pd.DataFrame(
        {"name": ["=1+1", "+44 1642", "-2", "@SUM(A1)", "\tx", "plain", None], "headroom": [-3.5, 1, 2, 3, 4, 5, 6]}
    )
    safe = exports.defuse(frame)
    assert safe["name"].tolist()[:6] == ["'=1+1", "'+44 1642", "'-2", "'@SUM(A1)", "'\tx", "plain"]
    assert safe["headroom"].tolist()[0] == -3.5  # numbers stay numbers
    assert frame["name"].iloc[0] == "=1+1"  # the original is not changed
    assert exports.defuse(pd.DataFrame(columns=["=cmd"])).columns.tolist() == ["'=cmd"]

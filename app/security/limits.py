"""Limits that keep abuse cheap to refuse: log-in throttling, upload size, type and shape.

Log-in throttling slows guessing down without ever locking out the right
password. Failures are counted per (account name, client address) from the
audit log, which every worker shares through the store:

* the first :data:`FREE_FAILURES` failures cost nothing; after that each attempt
  for that name from that address must wait :data:`BASE_DELAY_S` x 2^(n - free)
  seconds after the last failure, at most :data:`MAX_DELAY_S` (one minute);
* an attempt made during the wait is refused without checking the password and
  is not counted as a failure, so the wait never grows past the cap and never
  reaches other addresses: an attacker elsewhere (or behind the same NAT but
  guessing a different name) cannot keep a colleague out, and the right password
  opens the account at most a minute after the last wrong one;
* a successful log-in or an admin unlock resets the count; failures older
  than :data:`WINDOW_MINUTES` are forgotten.

Each refusal is written to the audit log (``login_refused``, with the failure
count and the wait), which the Administration page shows.

Uploads are checked before any reader sees them: size, extension, that the
bytes are what the extension claims, and for workbooks that the zip archive
cannot expand into a bomb (total size, ratio, member count), carries no XML
entity declarations (billion laughs) and declares no absurd sheet dimensions.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from app.security import audit

FREE_FAILURES = 3
BASE_DELAY_S = 2.0
MAX_DELAY_S = 60.0
WINDOW_MINUTES = 15

#: Largest upload accepted, in MiB (``DISPERSAL_MAX_UPLOAD_MB``). A national monthly extract is ~10 MiB as CSV.
DEFAULT_MAX_UPLOAD_MB = 50
ALLOWED_EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".xls")
MAX_UNCOMPRESSED = 500 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 2_000
MAX_CELLS = 20_000_000
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


@dataclass(frozen=True)
class LockState:
    """Whether an attempt must wait: ``locked`` while it must, ``until`` when it may try again."""

    locked: bool
    failures: int
    until: datetime | None

    @property
    def wait_seconds(self) -> int:
        if not self.locked or self.until is None:
            return 0
        return max(1, int((self.until - audit.now()).total_seconds() + 0.999))


def delay_after(failures: int) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_S, BASE_DELAY_S * 2.0 ** min(failures - FREE_FAILURES, 30))


def lock_state(engine: Engine, username: str, remote_addr: str | None = None) -> LockState:
    """Whether an attempt for this name (from this address, or from the latest failing one when no address
    is given) must wait now. The same answer for names that do not exist."""
    name = normalise_username(username)
    since = audit.window(WINDOW_MINUTES)
    reset = audit.latest(engine, (audit.LOGIN, audit.ACCOUNT_UNLOCKED), name)
    if reset is not None and reset > since:
        since = reset
    if remote_addr is None:
        remote_addr = audit.latest_address(engine, audit.LOGIN_FAILED, name, since)
        if remote_addr is None:
            return LockState(False, 0, None)
    failures = audit.count(engine, audit.LOGIN_FAILED, what=name, remote_addr=remote_addr, since=since)
    wait = delay_after(failures)
    if not wait:
        return LockState(False, failures, None)
    last = audit.latest(engine, (audit.LOGIN_FAILED,), name, remote_addr=remote_addr)
    until = (last or audit.now()) + timedelta(seconds=wait)
    return LockState(until > audit.now(), failures, until)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:100]


def max_upload_bytes() -> int:
    try:
        megabytes = float(os.environ.get("DISPERSAL_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_UPLOAD_MB
    return int(megabytes * 1024 * 1024)


def max_request_bytes() -> int:
    """Largest request body: an upload travels base64-encoded (4/3) inside a JSON callback body."""
    return max_upload_bytes() * 4 // 3 + 1024 * 1024


class UploadRefused(ValueError):
    """The file is not accepted; the message says why in an officer's words."""


def check_upload(file_name: str, content: bytes) -> None:
    """Refuse a file that is too big, of the wrong type, or a workbook that could expand into a bomb."""
    name = os.path.basename(file_name or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(ALLOWED_EXTENSIONS)
        raise UploadRefused(f"'{name}' is not a file type the dashboard reads (accepted: {allowed})")
    limit = max_upload_bytes()
    if len(content) > limit:
        raise UploadRefused(
            f"'{name}' is {len(content) / 2**20:.1f} MB; the largest file accepted is {limit / 2**20:.0f} MB"
        )
    if not content:
        raise UploadRefused(f"'{name}' is empty")
    if extension == ".csv":
        _check_text(name, content)
    elif extension == ".xls":
        if not content.startswith(_XLS_MAGIC):
            raise UploadRefused(f"'{name}' is not an Excel 97-2003 workbook (.xls) inside")
    else:
        _check_workbook(name, content)


def _check_text(name: str, content: bytes) -> None:
    head = content[:65536]
    if head.startswith((_XLSX_MAGIC, _XLS_MAGIC)):
        raise UploadRefused(f"'{name}' is a workbook named .csv: save it as CSV or upload the workbook itself")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRefused(f"'{name}' is not a text (CSV) file")


def _check_workbook(name: str, content: bytes) -> None:
    if not content.startswith(_XLSX_MAGIC):
        raise UploadRefused(f"'{name}' is not an Excel workbook (.xlsx) inside")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRefused(f"'{name}' is damaged: it cannot be opened as a workbook") from None
    if len(members) > MAX_MEMBERS:
        raise UploadRefused(f"'{name}' has {len(members):,} parts; a workbook has far fewer: refused as unsafe")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        raise UploadRefused(f"'{name}' would expand to {total / 2**20:,.0f} MB: refused as unsafe (a 'zip bomb')")
    from app.problems import InputRefused
    from app.readers.archive import check_workbook_archive

    try:  # the real decompressed bytes, not what the directory declares; any zip or CRC error refuses
        check_workbook_archive(content, file=name)
    except InputRefused as refused:
        raise UploadRefused(f"'{name}': {refused.problems[0].message}") from None
    for member in members:
        if not member.filename.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(member) as part:
            head = part.read(4096)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise UploadRefused(f"'{name}' contains XML entity declarations: refused as unsafe")
        if member.filename.startswith("xl/worksheets/"):
            _check_dimension(name, head)


def _check_dimension(name: str, head: bytes) -> None:
    match = _DIMENSION.search(head)
    if not match or not match.group(3):
        return
    first_row, last_col, last_row = int(match.group(2)), match.group(3), int(match.group(4))
    columns = _column_number(last_col) - _column_number(match.group(1)) + 1
    cells = (last_row - first_row + 1) * columns
    from app.readers.archive import ArchiveLimits

    if cells > max(MAX_CELLS, ArchiveLimits.from_env().max_cells):
        raise UploadRefused(f"'{name}' declares a sheet of {cells:,} cells: refused as unsafe")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.decode():
        number = number * 26 + ord(letter) - 64
    return number

"""The "what changed" e-mail of one LA, as its recipient's role may read it.

The changes are :func:`app.cluster.changes.what_changed`'s (the overview panel's and the ``changes``
command's rule). An ``officer`` reads them as the ``changes`` command prints them for the LA (its wards
included). A ``member`` reads the figures exactly as a member's pages show them
(:meth:`app.security.roles.Scope.filter_table`): ward counts rounded to 5, counts under 5 "fewer than 5"
with secondary suppression, no ward shares, no addresses, no breakdowns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from app.cluster import changes as ch
from app.cluster.position import LAD, WARD
from app.figures.palette import word
from app.periods import month_words
from app.security.roles import scope_for

#: Ward changes a member's e-mail lists (a ward's largest rises are left to the officers' figures).
MEMBER_WARD_KINDS = (ch.OVER, ch.NEAR, ch.BACK_UNDER, ch.BACK_BELOW)
ROLE_WORDS = {
    "officer": "You receive this as an officer of the council: the LA's and its wards' figures. "
    "Restricted: do not forward outside the council.",
    "member": "You receive this as a council member: figures as members' pages show them (ward counts rounded "
    "to the nearest 5, counts under 5 read 'fewer than 5'; no addresses, no breakdowns).",
}


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str


@dataclass(frozen=True)
class _Reader:
    """Who the member's figures are disclosure-controlled for (an alert recipient, not an account)."""

    lad_code: str
    role: str = "member"
    username: str = "alert recipient"
    region_code: str | None = None


def digest(changes: ch.Changes, table: pd.DataFrame, areas: pd.DataFrame, lad: str, role: str, after: str) -> Digest:
    """The e-mail of ``lad``'s ``changes`` (from ``what_changed(table, month, lad=lad)``) for ``role``;
    ``after``: what load it follows, in words."""
    name = str(areas.set_index("area_code")["area_name"].get(lad, lad))
    month = changes.month
    subject = f"What changed in {name} ({lad}): {month_words(month)} - Dispersal Monitor"
    if role == "member":
        shown = _as_members_see(changes, table, areas, lad)
        lines = ch.headline(shown) + [""] + _member_lines(shown)
    else:
        lines = ch.headline(changes) + [""] + ch.text_lines(changes)
    head = [
        f"Dispersal Monitor: what changed in {name} ({lad}) from {month_words(changes.previous)} to "
        f"{month_words(month)}.",
        f"Sent after {after}.",
        "",
    ]
    tail = ["", ROLE_WORDS[role], "Sign in to the dashboard for the maps and tables."]
    return Digest(subject, "\n".join(head + lines + tail) + "\n")


def _as_members_see(changes: ch.Changes, table: pd.DataFrame, areas: pd.DataFrame, lad: str) -> ch.Changes:
    """The LA's rows and its wards' crossings, people as the member's pages show them (text), shares only
    where their pages give them (the LA's, of the shown count)."""
    rows = changes.rows
    keep = (rows["level"] == LAD) | ((rows["level"] == WARD) & rows["change"].isin(MEMBER_WARD_KINDS))
    rows = rows[keep].copy()
    scope = scope_for(_Reader(lad), areas)
    months = table["month"].isin([changes.month, changes.previous]) & (table["lad_code"] == lad)
    seen = scope.filter_table(table[months & table["level"].isin([LAD, WARD])])
    seen = seen.set_index(["month", "area_code"])
    text = seen["people_display"].astype(object)
    share = pd.to_numeric(seen["share_of_limit"], errors="coerce")
    rows["people_before"] = [text.get((changes.previous, c), "no data") for c in rows["area_code"]]
    rows["people"] = [text.get((changes.month, c), "no data") for c in rows["area_code"]]
    rows["share_of_limit"] = [share.get((changes.month, c), float("nan")) for c in rows["area_code"]]
    rows.loc[rows["level"] == WARD, "share_of_limit"] = float("nan")
    return ch.Changes(changes.month, changes.previous, changes.compared, rows.reset_index(drop=True))


def _member_lines(shown: ch.Changes) -> list[str]:
    lines = [f"What changed from {shown.previous} to {shown.month}"]
    if not shown.compared:
        lines.append(f"  No figures for {shown.previous} to compare with.")
    for kind in ch.KINDS:
        rows = shown.of(kind)
        if rows.empty:
            continue
        lines += ["", f"{kind.capitalize()} ({len(rows):,}):"]
        for row in rows.itertuples():
            where = "LA" if row.level == LAD else f"ward in {row.lad_code}"
            if kind == ch.MISSING:
                detail = f"last month {row.people_before} people"
            elif row.level == LAD:
                share = "" if pd.isna(row.share_of_limit) else f", {float(row.share_of_limit):.0%} of it"
                detail = f"{row.people_before} -> {row.people} people (limit {ch.whole(row.limit)}{share})"
            else:
                was, now = word(row.status_before).lower(), word(row.status).lower()
                detail = f"{row.people_before} -> {row.people} people ({was}, now {now})"
            lines.append(f"  {row.area_name} ({row.area_code}, {where}): {detail}")
    if len(lines) == 1:
        lines.append("  No area crossed the threshold or the limit either way, and every LA has a file.")
    return lines

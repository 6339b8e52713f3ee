"""The postcode check (Asylum Accommodation Use Protocol): a proposed property's effect.

A proposed property is assumed full: its bedspaces are added as people to
its ward and LA, because the provider will fill it and the LA must judge
the worst case it is consulted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from app.cluster.position import LAD, WARD, status


@dataclass(frozen=True)
class Position:
    area_code: str
    area_name: str
    people: float
    population: float
    limit: float
    status: str

    @property
    def share(self) -> float:
        return self.people / self.limit if self.limit == self.limit and self.limit else float("nan")


@dataclass(frozen=True)
class PropertyCheck:
    month: str
    ward_before: Position
    ward_after: Position
    la_before: Position
    la_after: Position

    @property
    def verdict(self) -> str:
        """In plain words: what the property would do, official (LA) flag first."""
        la, ward = self.la_after, self.ward_after
        if la.status == "breach":
            head = f"{la.area_name} would be over the cluster limit"
        elif la.status == "approaching":
            head = f"{la.area_name} would be approaching the cluster limit"
        else:
            head = f"{la.area_name} would stay within the cluster limit"
        if ward.status == "breach":
            tail = f"; ward {ward.area_name} would be over the limit (local indicator)"
        elif ward.status == "approaching":
            tail = f"; ward {ward.area_name} would be approaching the limit (local indicator)"
        else:
            tail = f"; ward {ward.area_name} would stay within the limit (local indicator)"
        return head + tail + "."


def _position(row: pd.Series, add: float, approaching: float) -> Position:
    people = float(row["people"]) + add
    limit = float(row["limit"])
    flag = status(pd.Series([people]), pd.Series([limit]), approaching).iloc[0]
    return Position(row["area_code"], row["area_name"], people, float(row["population"]), limit, flag)


def check_property(
    table: pd.DataFrame, month: str, ward_code: str, bedspaces: int, approaching: float
) -> PropertyCheck:
    """Before and after for the ward holding the property and its LA, from the monitoring table."""
    rows = table[table["month"] == month].set_index(["level", "area_code"], drop=False)
    ward = rows.loc[(WARD, ward_code)]
    la = rows.loc[(LAD, ward["lad_code"])]
    return PropertyCheck(
        month,
        _position(ward, 0, approaching),
        _position(ward, bedspaces, approaching),
        _position(la, 0, approaching),
        _position(la, bedspaces, approaching),
    )


def describe(check: PropertyCheck, postcode: str, bedspaces: int) -> str:
    """The check as text for the command line."""
    lines = [f"Proposed property at {postcode} with {bedspaces} bedspace(s), against {check.month}:"]
    for label, before, after in (
        ("Local authority (official flag)", check.la_before, check.la_after),
        ("Ward (local indicator)", check.ward_before, check.ward_after),
    ):
        lines.append(
            f"  {label}: {after.area_name} ({after.area_code}), limit {before.limit:,.2f} for "
            f"{before.population:,.0f} residents"
        )
        lines.append(f"    before: {before.people:,.2f} people, {before.share:.1%} of the limit, {before.status}")
        lines.append(f"    after:  {after.people:,.2f} people, {after.share:.1%} of the limit, {after.status}")
    lines.append(check.verdict)
    return "\n".join(lines)

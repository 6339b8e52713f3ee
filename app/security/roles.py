"""Roles and scope: what the signed-in user may see, decided on the server for every request.

Roles (domain.md, issue 5):

=========  =====================================  ==================================  ===========
role       aggregate figures (ward, LA, region)   property level (addresses, points,   disclosure
                                                  sectors, breakdowns below LA)        control
=========  =====================================  ==================================  ===========
admin      every LA in the store                  every LA                             no
regional   every LA of their region (or store)    the same LAs                         no
officer    every LA of their LA's region          their own LA only                    no
member     their LA (or their region's LAs)       none                                 yes
=========  =====================================  ==================================  ===========

Members see counts under 5 as "fewer than 5", with secondary suppression so
that no suppressed ward can be worked out from the LA total, and other ward
counts rounded to the nearest 5 (:mod:`app.cluster.disclosure`).

A :class:`Scope` is built from the user's account (read from the store on
each request) and the store's areas, never from anything the browser sends.
Dash passes callback inputs as the browser sends them, so every callback must
check each area code it is given (:meth:`Scope.check_lad`,
:meth:`Scope.check_area`) and filter every table it returns
(:meth:`Scope.filter_table`, :meth:`Scope.filter_rows`,
:func:`view_properties`). A refusal raises :class:`Forbidden`, which the app
turns into a 403 (JSON for callbacks) and an audit entry.

The table above is :data:`POLICY`: named actions x roles x the area's relation to the user (``own``: the
user's own LA, or the LAs of their own region for an account without an LA; ``region``: another LA of the
user's region, or the region's own totals; ``other``: anything else). A scope is built from it, and every
page, callback, download, pack and CLI command asks it through :meth:`Scope.allows` / :meth:`Scope.check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

Role = Literal["admin", "regional", "officer", "member"]
ROLES: tuple[str, ...] = ("admin", "regional", "officer", "member")

# ------------------------------------------------------------------ the access policy: action x role x relation

VIEW_AGGREGATES = "view LA aggregates"
VIEW_WARD_BREAKDOWNS = "view ward breakdowns"
VIEW_PROPERTY_ROWS = "view property rows"
VIEW_QUALITY_NOTES = "view data-quality notes"
MAKE_PACK = "make a pack for an area"
LOAD = "load"
UNDO = "undo"
MANAGE_ACCOUNTS = "manage accounts"
READ_AUDIT = "read the audit log"
#: Use the offline property check (a what-if on a postcode) and record a consultation.
CHECK_PROPERTY = "check a property"
#: Choose who receives the "what changed" e-mail of an LA after each load (and what role they read it as).
MANAGE_ALERTS = "manage e-mail alerts"

AREA_ACTIONS = (VIEW_AGGREGATES, VIEW_WARD_BREAKDOWNS, VIEW_PROPERTY_ROWS, VIEW_QUALITY_NOTES, MAKE_PACK)
STORE_ACTIONS = (LOAD, UNDO, MANAGE_ACCOUNTS, READ_AUDIT, CHECK_PROPERTY, MANAGE_ALERTS)
ACTIONS = AREA_ACTIONS + STORE_ACTIONS
OWN, REGION, OTHER = "own", "region", "other"
RELATIONS = (OWN, REGION, OTHER)

_ALL, _REGION, _OWN, _NONE = frozenset(RELATIONS), frozenset({OWN, REGION}), frozenset({OWN}), frozenset()

#: What each role may do, by the area's relation to the user. Store-wide actions (load, undo, accounts,
#: audit) have the same answer for every relation. Every (action, role) pair has an entry: a missing one is
#: a KeyError, never a silent yes.
POLICY: dict[tuple[str, str], frozenset[str]] = {
    (VIEW_AGGREGATES, "admin"): _ALL,
    (VIEW_AGGREGATES, "regional"): _REGION,
    (VIEW_AGGREGATES, "officer"): _REGION,
    (VIEW_AGGREGATES, "member"): _OWN,
    (VIEW_WARD_BREAKDOWNS, "admin"): _ALL,
    (VIEW_WARD_BREAKDOWNS, "regional"): _REGION,
    (VIEW_WARD_BREAKDOWNS, "officer"): _OWN,
    (VIEW_WARD_BREAKDOWNS, "member"): _NONE,
    (VIEW_PROPERTY_ROWS, "admin"): _ALL,
    (VIEW_PROPERTY_ROWS, "regional"): _REGION,
    (VIEW_PROPERTY_ROWS, "officer"): _OWN,
    (VIEW_PROPERTY_ROWS, "member"): _NONE,
    (VIEW_QUALITY_NOTES, "admin"): _ALL,
    (VIEW_QUALITY_NOTES, "regional"): _REGION,
    (VIEW_QUALITY_NOTES, "officer"): _OWN,
    (VIEW_QUALITY_NOTES, "member"): _NONE,
    (MAKE_PACK, "admin"): _ALL,
    (MAKE_PACK, "regional"): _REGION,
    (MAKE_PACK, "officer"): _REGION,
    (MAKE_PACK, "member"): _OWN,
    (LOAD, "admin"): _ALL,
    (LOAD, "regional"): _ALL,
    (LOAD, "officer"): _NONE,
    (LOAD, "member"): _NONE,
    (UNDO, "admin"): _ALL,
    (UNDO, "regional"): _ALL,
    (UNDO, "officer"): _NONE,
    (UNDO, "member"): _NONE,
    (MANAGE_ACCOUNTS, "admin"): _ALL,
    (MANAGE_ACCOUNTS, "regional"): _NONE,
    (MANAGE_ACCOUNTS, "officer"): _NONE,
    (MANAGE_ACCOUNTS, "member"): _NONE,
    (READ_AUDIT, "admin"): _ALL,
    (READ_AUDIT, "regional"): _NONE,
    (READ_AUDIT, "officer"): _NONE,
    (READ_AUDIT, "member"): _NONE,
    (CHECK_PROPERTY, "admin"): _ALL,
    (CHECK_PROPERTY, "regional"): _ALL,
    (CHECK_PROPERTY, "officer"): _ALL,
    (CHECK_PROPERTY, "member"): _NONE,
    (MANAGE_ALERTS, "admin"): _ALL,
    (MANAGE_ALERTS, "regional"): _NONE,
    (MANAGE_ALERTS, "officer"): _NONE,
    (MANAGE_ALERTS, "member"): _NONE,
}


def allowed(action: str, role: str, relation: str) -> bool:
    """The policy's answer; KeyError for an action or role the table does not name."""
    if relation not in RELATIONS:
        raise KeyError(f"unknown relation {relation!r}")
    return relation in POLICY[(action, role)]


def roles_allowed(action: str) -> tuple[str, ...]:
    """Roles that may do ``action`` somewhere (for the navigation: which pages to offer)."""
    return tuple(role for role in ROLES if POLICY[(action, role)])


#: Levels below LA: members never see breakdowns (nationality, age...) at these levels.
BELOW_LA = ("ward", "sector", "postcode", "property")
#: Ward counts shown to members are rounded to this base.
ROUND_BASE = 5


class Forbidden(Exception):
    """The signed-in user may not have this; becomes HTTP 403 and an audit entry."""

    code = 403

    def __init__(self, message: str = "You do not have access to this.", *, what: str | None = None):
        super().__init__(message)
        self.message = message
        self.what = what


class NotSignedIn(Exception):
    """No signed-in user (an expired session reaching a callback): becomes HTTP 401."""

    code = 401


@dataclass(frozen=True)
class Scope:
    """What one user may see. Build it with :func:`scope_for` (or :func:`current_scope` in a request)."""

    user: str
    role: str
    #: LAs whose aggregate figures (LA and ward level) may be seen.
    lad_codes: frozenset[str]
    #: Regions whose region-level totals may be seen.
    region_codes: frozenset[str]
    #: LAs whose property-level data (addresses, property points, sector counts, breakdowns below LA) may be seen.
    property_level_lads: frozenset[str]
    #: Disclosure control on every count (members).
    suppress: bool
    #: The LA to open pages on (the user's own LA), or None for a regional view.
    home_lad: str | None = None
    _parent: Mapping[str, tuple[str, str | None]] = field(default_factory=dict, repr=False, compare=False)
    #: The user's own LAs (their LA; their region's LAs for an account with a region but no LA; every LA for
    #: an account with neither) and the LAs and region codes of their region.
    own_lads: frozenset[str] = frozenset()
    region_lads: frozenset[str] = frozenset()
    own_regions: frozenset[str] = frozenset()

    # -- the policy
    def relation(self, area_code: object) -> str:
        """``own`` / ``region`` / ``other``: how an LA, ward or region code stands to this user."""
        parent = self._parent.get(area_code) if isinstance(area_code, str) else None
        if parent is None:
            return OTHER
        level, lad = parent
        if level == "region":  # an account with no LA of its own holds its region as its own area
            if area_code not in self.own_regions:
                return OTHER
            return REGION if self.home_lad else OWN
        if lad in self.own_lads:
            return OWN
        return REGION if lad in self.region_lads else OTHER

    def allows(self, action: str, area_code: object = None) -> bool:
        """May this user do ``action`` (for the area, when it is an area action)? Asks :data:`POLICY`."""
        if action in STORE_ACTIONS or area_code is None:
            rights = POLICY[(action, self.role)]
            return bool(rights) if area_code is None else False
        return allowed(action, self.role, self.relation(area_code))

    def check(self, action: str, area_code: object = None) -> None:
        """Raise :class:`Forbidden` unless the policy allows ``action`` (on ``area_code``)."""
        if not self.allows(action, area_code):
            what = _short(area_code) if area_code is not None else action
            raise Forbidden("Your account does not have access to this.", what=what)

    def lads_for(self, action: str, lads: Iterable[str] | None = None) -> frozenset[str]:
        """The LAs (of ``lads``, default every LA in the store) on which the policy allows ``action``."""
        codes = lads if lads is not None else [c for c, (level, _) in self._parent.items() if level == "lad"]
        return frozenset(c for c in codes if self.allows(action, c))

    # -- questions
    @property
    def key(self) -> tuple:
        """Hashable identity of what this scope allows: put it in every cache key."""
        return (
            self.role,
            self.lad_codes,
            self.region_codes,
            self.property_level_lads,
            self.suppress,
            self.own_lads,
            self.own_regions,
        )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def must_suppress(self) -> bool:
        return self.suppress

    def can_see_lad(self, code: str | None) -> bool:
        return code is not None and code in self.lad_codes

    def can_see_properties(self, lad_code: str | None) -> bool:
        return lad_code is not None and lad_code in self.property_level_lads

    def can_see_addresses(self, lad_code: str | None = None) -> bool:
        """Addresses and property points: of this LA, or (no LA given) of any LA at all."""
        if lad_code is None:
            return bool(self.property_level_lads)
        return self.can_see_properties(lad_code)

    def can_see_breakdown(self, level: str) -> bool:
        """Demographic breakdowns (nationality, age, gender, household) at this level."""
        return not (self.suppress and level in BELOW_LA)

    def allowed_lads(self, snapshot=None) -> list[str]:
        """LA codes this user may see, sorted; only those in ``snapshot`` (a :class:`~app.monitoring.Snapshot` or
        an areas frame) when given."""
        codes = self.lad_codes
        if snapshot is not None:
            areas = getattr(snapshot, "areas", snapshot)
            codes = codes & set(areas.loc[areas["level"] == "lad", "area_code"].astype(str))
        return sorted(codes)

    # -- checks on callback inputs: each raises Forbidden
    def check_lad(self, code: object) -> str:
        """``code`` must name an LA in scope; returns it. Use on every LA a callback receives."""
        if not isinstance(code, str) or code not in self.lad_codes:
            raise Forbidden("You do not have access to that local authority.", what=_short(code))
        return code

    def check_lads(self, codes: Iterable[object]) -> list[str]:
        return [self.check_lad(code) for code in codes]

    def lad_of(self, area_code: object) -> str | None:
        parent = self._parent.get(area_code) if isinstance(area_code, str) else None
        return None if parent is None else parent[1]

    def check_area(self, code: object) -> str:
        """``code`` must name a ward or LA in scope, or a region whose totals may be seen; returns it."""
        parent = self._parent.get(code) if isinstance(code, str) else None
        if parent is None:
            raise Forbidden("You do not have access to that area.", what=_short(code))
        level, lad = parent
        allowed = code in self.region_codes if level == "region" else lad in self.lad_codes
        if not allowed:
            raise Forbidden("You do not have access to that area.", what=code)
        return code

    def check_properties(self, area_code: object) -> str:
        """``area_code`` (an LA or ward) must be one whose property-level data the user may see."""
        self.check_area(area_code)
        lad = self.lad_of(area_code)
        if not self.can_see_properties(lad):
            raise Forbidden(
                "Property-level information is not available to your account for that area.", what=str(area_code)
            )
        return str(area_code)

    def can_see_ward_breakdown(self, area_code: object) -> bool:
        """A breakdown of one ward or LA's people below LA level (accommodation types of a ward...)."""
        return self.allows(VIEW_WARD_BREAKDOWNS, area_code)

    def can_see_quality_notes(self, lad_codes: Iterable[str]) -> bool:
        """The words of a data-quality note about a file covering ``lad_codes`` (an empty cover: every LA)."""
        codes = list(lad_codes) or [c for c, (level, _) in self._parent.items() if level == "lad"]
        return bool(codes) and all(self.allows(VIEW_QUALITY_NOTES, code) for code in codes)

    def check_breakdown(self, level: str) -> str:
        if not self.can_see_breakdown(level):
            raise Forbidden("Breakdowns below local-authority level are not available to your account.", what=level)
        return level

    def check_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden("Your account does not have access to this.", what=",".join(roles))

    # -- filters on what a callback returns
    def filter_rows(self, frame: pd.DataFrame, lad_col: str = "lad_code") -> pd.DataFrame:
        """Rows whose LA is in scope (rows with no LA only for admins)."""
        lads = frame[lad_col].astype("string")
        keep = lads.isin(self.lad_codes).fillna(False).astype(bool)
        if self.is_admin:
            keep |= lads.isna()
        return frame[keep.to_numpy()]

    def filter_properties(self, frame: pd.DataFrame, lad_col: str = "lad_code") -> pd.DataFrame:
        """Property rows the user may see (none for members). Prefer :func:`view_properties`, which audits."""
        lads = frame[lad_col].astype("string")
        return frame[lads.isin(self.property_level_lads).fillna(False).astype(bool).to_numpy()]

    def filter_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Monitoring-table rows (``level``, ``area_code``, ``lad_code``, ``month``, ``people``...) in scope.

        Adds ``suppressed`` (bool) and ``people_display`` (text). For members,
        ward counts are whole numbers rounded to 5, counts under 5 read
        "fewer than 5" with secondary suppression per LA and month,
        ``people`` is what is shown (missing when suppressed), ``share_of_limit``
        and ``headroom`` are recomputed from it for LAs and region and missing for
        wards (they would give the exact count back), ``unallocated`` is missing;
        ``status`` is kept (it tells a band, not a count).
        """
        level = table["level"].astype("string")
        area = table["area_code"].astype("string")
        lads = table["lad_code"].astype("string")
        keep = (level.ne("region") & lads.isin(self.lad_codes)) | (level.eq("region") & area.isin(self.region_codes))
        rows = table[keep.fillna(False).astype(bool).to_numpy()].copy()
        if not self.suppress:
            rows["suppressed"] = False
            rows["people_display"] = _whole_text(rows["people"])
            return _no_data_said(rows)
        return _no_data_said(_disclosure_controlled(rows))

    def protect_breakdown(
        self, table: pd.DataFrame, value_col: str, row_col: str, col_col: str, by: Sequence[str] = (), level: str = "la"
    ) -> pd.DataFrame:
        """A cross-table (e.g. LA x nationality) as this user may see it: checked level, and for members
        primary and secondary suppression with totals (:func:`app.cluster.disclosure.protect`)."""
        self.check_breakdown(level)
        if not self.suppress:
            return table
        from app.cluster import disclosure

        protected = disclosure.protect(table, value_col, row_col, col_col, by)
        return disclosure.published(protected, value_col)


def _short(value: object) -> str:
    return str(value)[:60]


NO_DATA, NO_DATA_TEXT = "no_data", "no data"


def _no_data(rows: pd.DataFrame) -> np.ndarray:
    return (
        rows["status"].astype("string").eq(NO_DATA).fillna(False).to_numpy(dtype=bool)
        if "status" in rows
        else np.zeros(len(rows), dtype=bool)
    )


def _no_data_said(rows: pd.DataFrame) -> pd.DataFrame:
    """Areas and months no loaded file covers: no figure, and the words "no data" (never 0)."""
    missing = _no_data(rows)
    if missing.any():
        rows.loc[missing, "people"] = np.nan
        rows.loc[missing, "people_display"] = NO_DATA_TEXT
        rows.loc[missing, "suppressed"] = False
    return rows


def _whole_text(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.map(lambda v: f"{v:,.0f}" if v == v else "").astype("string")


def _disclosure_controlled(rows: pd.DataFrame) -> pd.DataFrame:
    from app.cluster import disclosure

    rows["people_exact"] = disclosure.whole_counts(rows["people"])
    wards = rows[rows["level"].astype("string").eq("ward").to_numpy() & ~_no_data(rows)]
    reason = pd.Series("", index=rows.index, dtype="object")
    if len(wards):
        cells = pd.DataFrame(
            {
                "month": wards["month"].astype(str),
                "lad_code": wards["lad_code"].astype(str),
                "area_code": wards["area_code"].astype(str),
                "column": "people",
                "count": wards["people_exact"],
            }
        )
        protected = disclosure.secondary_suppress(cells, "count", "area_code", "column", by=["month", "lad_code"])
        ward_cells = protected[(protected["area_code"] != disclosure.TOTAL) & (protected["column"] == "people")]
        lookup = ward_cells.set_index(["month", "lad_code", "area_code"])["reason"]
        keys = pd.MultiIndex.from_frame(cells[["month", "lad_code", "area_code"]])
        reason.loc[wards.index] = lookup.reindex(keys).fillna("").to_numpy()
        totals = protected[(protected["area_code"] == disclosure.TOTAL) & (protected["column"] == "people")]
        hidden_totals = set(map(tuple, totals.loc[totals["suppressed"], ["month", "lad_code"]].to_numpy()))
        if hidden_totals:
            la_rows = rows[rows["level"].astype("string").eq("la")]
            pairs = list(zip(la_rows["month"].astype(str), la_rows["area_code"].astype(str)))
            hide = [pair in hidden_totals for pair in pairs]
            reason.loc[la_rows.index[hide]] = disclosure.SECONDARY
    small = disclosure.primary(rows["people_exact"]) & rows["level"].astype("string").ne("ward")
    reason[small.to_numpy()] = disclosure.PRIMARY
    is_ward = rows["level"].astype("string").eq("ward").to_numpy()
    shown = rows["people_exact"].astype("float64")
    shown = shown.where(~is_ward, disclosure.round_to(shown, ROUND_BASE))
    suppressed = reason.ne("")
    rows["people"] = shown.where(~suppressed.to_numpy())
    rows["suppressed"] = suppressed.to_numpy()
    text = _whole_text(rows["people"])
    text = text.where(reason.ne(disclosure.PRIMARY).to_numpy(), disclosure.fewer_than())
    rows["people_display"] = text.where(reason.ne(disclosure.SECONDARY).to_numpy(), disclosure.WITHHELD_TEXT)
    if "limit" in rows:
        # Ward shares and headroom would give the exact count back (share x limit): members get the status only.
        limit = pd.to_numeric(rows["limit"], errors="coerce").where(~is_ward)
        if "share_of_limit" in rows:
            rows["share_of_limit"] = (rows["people"] / limit).round(4)
        if "headroom" in rows:
            rows["headroom"] = (limit - rows["people"]).round(2)
    for column in ("unallocated",):
        if column in rows:
            rows[column] = np.nan
    return rows.drop(columns=["people_exact"])


# ------------------------------------------------------------------ building a scope


_index_cache: list[tuple[pd.DataFrame, tuple]] = []


def _area_index(areas: pd.DataFrame) -> tuple:
    """LA -> region, all LAs, all regions and every area's (level, LA), built once per areas table.

    Scopes are made on every request; the store's areas change only with a new snapshot.
    """
    for cached, index in _index_cache:
        if cached is areas:
            return index
    level = areas["level"].astype(str)
    codes = areas["area_code"].astype(str)
    las = areas[level == "lad"]
    la_region = dict(zip(las["area_code"].astype(str), las["region_code"].astype("string").fillna("")))
    all_las = frozenset(la_region)
    all_regions = frozenset(codes[level == "region"]) | {r for r in la_region.values() if r}
    lad = areas["lad_code"].astype("string")
    owner = codes.where(level == "lad", lad.astype(object).where(lad.notna(), None))
    owner = owner.where(level != "region", None)
    parent: dict[str, tuple[str, str | None]] = dict(zip(codes, zip(level, owner)))
    for region in all_regions:
        parent.setdefault(region, ("region", None))
    index = (la_region, all_las, all_regions, parent)
    _index_cache.insert(0, (areas, index))
    del _index_cache[4:]
    return index


def scope_for(user, areas: pd.DataFrame) -> Scope:
    """The scope of ``user`` (anything with ``username``, ``role``, ``lad_code``, ``region_code``) over the
    store's ``areas`` (``area_code``, ``level``, ``lad_code``, ``region_code``)."""
    role = getattr(user, "role", None)
    if role not in ROLES:
        raise Forbidden("Your account has no role: ask an administrator.")
    la_region, all_las, all_regions, parent = _area_index(areas)

    def region_las(region: str | None) -> frozenset[str]:
        return all_las if not region else frozenset(c for c, r in la_region.items() if r == region)

    own_lad = getattr(user, "lad_code", None) or None
    own_region = getattr(user, "region_code", None) or (la_region.get(own_lad) if own_lad else None) or None
    name = getattr(user, "username", "")
    in_region = region_las(own_region)
    regions = frozenset({own_region}) if own_region else all_regions
    if own_lad and own_lad not in all_las:  # not an LA of this store (a ward code, a typo): nothing, not everything
        own, in_region, regions = frozenset(), frozenset(), frozenset()
    elif own_lad:
        own = frozenset({own_lad})
    elif role in ("officer", "member") and not own_region:
        own, regions = frozenset(), frozenset()
    else:
        own = in_region
    scope = Scope(
        name,
        role,
        frozenset(),
        frozenset(),
        frozenset(),
        role == "member",
        own_lad if role in ("officer", "member") else None,
        parent,
        own_lads=own,
        region_lads=in_region - own,
        own_regions=regions,
    )
    lads = scope.lads_for(VIEW_AGGREGATES, all_las)
    region_codes = frozenset(r for r in all_regions if scope.allows(VIEW_AGGREGATES, r))
    return replace(
        scope,
        lad_codes=lads,
        region_codes=region_codes,
        property_level_lads=scope.lads_for(VIEW_PROPERTY_ROWS, all_las),
    )


# ------------------------------------------------------------------ inside a request


def current_user():
    """The signed-in account (loaded from the store for this request); raises :class:`NotSignedIn`."""
    from flask_login import current_user as user

    if not getattr(user, "is_authenticated", False):
        raise NotSignedIn("Your session has ended: sign in again.")
    return user


def current_scope() -> Scope:
    """The scope of the signed-in user over the current store, built once per request."""
    import flask

    cached = flask.g.get("dispersal_scope")
    if cached is not None:
        return cached
    areas = flask.current_app.config["DISPERSAL_AREAS"]()
    scope = scope_for(current_user(), areas)
    flask.g.dispersal_scope = scope
    return scope


def require(
    *roles: str,
    action: str | None = None,
    lad: object = None,
    area: object = None,
    properties_of: object = None,
    breakdown_level: str | None = None,
) -> Scope:
    """The current scope, after checking each thing given; raises :class:`Forbidden` (403) or :class:`NotSignedIn`.

    ``roles``: the user's role must be one of them (none given: any role); prefer ``action``.
    ``action``: a store-wide action of :data:`POLICY` (load, undo, manage accounts...) the user must be allowed.
    ``lad``/``area``: an LA / any area code taken from a callback input.
    ``properties_of``: an LA or ward whose property-level data the callback returns.
    ``breakdown_level``: the level of a demographic breakdown the callback returns.
    """
    scope = current_scope()
    if roles:
        scope.check_role(*roles)
    if action is not None:
        scope.check(action)
    if lad is not None:
        scope.check_lad(lad)
    if area is not None:
        scope.check_area(area)
    if properties_of is not None:
        scope.check_properties(properties_of)
    if breakdown_level is not None:
        scope.check_breakdown(breakdown_level)
    return scope


def view_properties(frame: pd.DataFrame, what: str, lad_col: str = "lad_code") -> pd.DataFrame:
    """Property rows the signed-in user may see, the view audited (who, what, how many rows; no addresses)."""
    scope = current_scope()
    visible = scope.filter_properties(frame, lad_col)
    if len(visible):
        from app.security import audit

        audit_event(audit.VIEW_PROPERTIES, what, {"rows": len(visible)})
    return visible


def audit_event(action: str, what: str | None = None, details: dict | None = None) -> None:
    """Record ``action`` by the signed-in user (or "anonymous") from this request's address."""
    import flask
    from flask_login import current_user as user

    from app.security import audit
    from app.store import db

    who = getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None
    engine = db.connect(flask.current_app.config["DISPERSAL_SETTINGS"].db_url)
    audit.record(
        engine,
        who or "anonymous",
        action,
        what,
        details,
        flask.request.remote_addr if flask.has_request_context() else None,
    )

"""Two years of asylum support in a synthetic region, written as users receive it, with the truth kept.

Why: tests and the demo need monthly Home Office files and quarterly provider
lists whose right answers are known. The model is small and explicit:

* *Places* hold people: dispersal properties (houses, flats, HMOs with 1-8
  bedspaces) at real synthetic postcode units, one initial-accommodation
  hostel, 2-3 contingency hotels, and "subsistence only" households living
  with friends at random postcodes (no property, never in a list).
* Each place has numbered *slots* with fixed people in them (nationality, age
  band, gender, household type, support type); in a month the first
  ``occupancy`` slots are present. A family house holds one family; an HMO
  holds unrelated single adults.
* Properties change only at quarter boundaries (added, handed back, capacity
  changed). Quarter-end occupancy is exactly what the provider lists say;
  in the two months before, occupancy drifts (people arrive and leave), so
  mid-quarter months differ a little from any list.

The invariant tests rely on: for every quarter-end month, the Home Office
dispersal count per (LA, sector) equals the summed ``occupied`` of that
quarter's listed in-use dispersal properties in that sector and LA, and the
ward truth is exactly the occupancy per ward.

The story (tuned on the LAs' populations, smallest first): one LA well over
the cluster limit (122 % rising to 136 %) with two wards far over it, one
approaching (85-92 %), one growing steadily (34 % to 76 %), the others
comfortably under (25-50 %). Each LA is given one of the three providers, two
LAs each, so that every provider layout is exercised. This is fiction: in
reality one provider holds the contract for a whole region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from app.config import CONTINGENCY, DISPERSAL, INITIAL, SUBSISTENCE
from app.synthetic import layouts
from app.synthetic.region import RegionFiles

PROVIDERS = ("Mears", "Serco", "Clearsprings")
LIMIT_RATIO = 200.0
AGE_BANDS = ("0-4", "5-17", "18-24", "25-34", "35-49", "50+")
#: Countries of origin with rough weights like the UK supported population.
NATIONALITIES = {
    "Afghanistan": 12,
    "Iran": 11,
    "Eritrea": 9,
    "Sudan": 8,
    "Iraq": 8,
    "Syria": 7,
    "Albania": 6,
    "Pakistan": 5,
    "Vietnam": 4,
    "Egypt": 3,
    "Ethiopia": 3,
    "Turkey": 3,
    "India": 3,
    "Bangladesh": 3,
    "Nigeria": 2,
    "Libya": 2,
    "Somalia": 2,
    "Yemen": 1.5,
    "Kuwait": 1.5,
    "C\u00f4te d'Ivoire": 1,
}
FAMILY_NATIONALITIES = {
    "Afghanistan": 14,
    "Iran": 12,
    "Iraq": 12,
    "Syria": 10,
    "Albania": 9,
    "Pakistan": 7,
    "Eritrea": 4,
    "Sudan": 4,
    "Turkey": 4,
    "Nigeria": 3,
    "Bangladesh": 3,
    "Egypt": 2,
    "Kuwait": 2,
    "Libya": 2,
    "C\u00f4te d'Ivoire": 1,
}
#: Property types: (probability, lowest and highest bedspaces, probability of holding a family).
PROPERTY_TYPES = {
    "House": (0.42, 2, 6, 0.7),
    "Flat": (0.3, 1, 3, 0.35),
    "HMO": (0.2, 4, 8, 0.0),
    "Maisonette": (0.08, 2, 4, 0.5),
}
_STREET_KINDS = ("Road", "Street", "Avenue", "Terrace", "Close", "Lane", "Grove", "Crescent", "Way", "Drive")
_STREET_WORDS = (
    "Acacia",
    "Albert",
    "Alma",
    "Beech",
    "Cambridge",
    "Chapel",
    "Church",
    "Clifton",
    "Coronation",
    "Craven",
    "Dale",
    "Devonshire",
    "Eastbourne",
    "Elm",
    "Garden",
    "Gladstone",
    "Grange",
    "Granville",
    "Hawthorn",
    "High",
    "Hope",
    "Jubilee",
    "Laburnum",
    "Lime",
    "Linthorpe",
    "Manor",
    "Market",
    "Mill",
    "Nelson",
    "Oxford",
    "Park",
    "Princess",
    "Queen",
    "Railway",
    "Rose",
    "School",
    "Station",
    "Stanley",
    "Union",
    "Victoria",
    "Walnut",
    "Waterloo",
    "Wellington",
    "Westbourne",
    "Willow",
    "Windsor",
    "York",
)


@dataclass(frozen=True)
class ActivityFiles:
    """What :func:`generate_activity` wrote: Home Office files, property lists with their provider, truth."""

    home_office: list[Path]
    properties: list[tuple[Path, str]]
    truth_dir: Path
    manifest: Path


# --- calendar -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    months: list[str]
    month_quarter: np.ndarray  # index into quarters, per month
    position: np.ndarray  # 1-3: the month's place in its calendar quarter
    quarters: list[str]

    @classmethod
    def of(cls, start: str, n: int) -> _Calendar:
        first = pd.Period(start, freq="M")
        periods = [first + i for i in range(n)]
        labels = [f"{p.year}Q{p.quarter}" for p in periods]
        quarters = list(dict.fromkeys(labels))
        return cls(
            months=[str(p) for p in periods],
            month_quarter=np.array([quarters.index(q) for q in labels]),
            position=np.array([(p.month - 1) % 3 + 1 for p in periods]),
            quarters=quarters,
        )

    @property
    def quarter_end_months(self) -> dict[int, int]:
        """Quarter index -> month index of its last month, for quarters that end inside the calendar."""
        return {int(q): m for m, q in enumerate(self.month_quarter) if self.position[m] == 3}


def quarter_start(quarter: str) -> date:
    return date(int(quarter[:4]), 3 * int(quarter[-1]) - 2, 1)


# --- geography and story --------------------------------------------------------------------


@dataclass
class _Geography:
    wards: pd.DataFrame
    lads: pd.DataFrame
    units: pd.DataFrame

    @classmethod
    def load(cls, files: RegionFiles) -> _Geography:
        wards = pd.read_csv(files.truth_dir / "wards.csv", dtype={"ward_code": str, "lad_code": str})
        lads = pd.read_csv(files.truth_dir / "lads.csv", dtype={"lad_code": str})
        units = pd.read_csv(files.truth_dir / "postcode_units.csv", dtype=str)
        return cls(wards, lads.sort_values("lad_code").reset_index(drop=True), units)


@dataclass
class _Story:
    role: dict[str, str]
    provider: dict[str, str]
    share: dict[str, np.ndarray]  # dispersal people / limit, per month
    suppressed_la: str
    hotspots: list[str]


def _story(rng: np.random.Generator, geo: _Geography, cal: _Calendar) -> _Story:
    by_size = geo.lads.sort_values(["population", "lad_code"])["lad_code"].tolist()
    roles = dict.fromkeys(by_size, "ok")
    for code, role in zip(by_size, ("over", "approaching", "growing")):
        roles[code] = role
    t = np.arange(len(cal.months))
    f = t / max(len(t) - 1, 1)
    season = np.sin(2 * np.pi * t / 12)
    share = {}
    for code in geo.lads["lad_code"]:
        role = roles[code]
        if role == "over":
            share[code] = 1.22 + 0.14 * f
        elif role == "approaching":
            share[code] = 0.9 + 0.03 * season
        elif role == "growing":
            share[code] = 0.34 + 0.42 * f
        else:
            share[code] = rng.uniform(0.35, 0.58) + 0.03 * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6.3))
    providers = {code: PROVIDERS[i % len(PROVIDERS)] for i, code in enumerate(geo.lads["lad_code"])}
    ok = [c for c in by_size if roles[c] == "ok"]
    over = next(c for c in by_size if roles[c] == "over")
    over_wards = geo.wards[geo.wards["lad_code"] == over].sort_values(["population", "ward_code"])
    hotspots = over_wards["ward_code"].iloc[rng.choice(max(len(over_wards) // 2, 2), size=2, replace=False)].tolist()
    return _Story(roles, providers, share, ok[0] if ok else by_size[-1], hotspots)


# --- places ---------------------------------------------------------------------------------


@dataclass
class _Places:
    """Everything that holds people, one row per place, with capacity per quarter and occupancy per month."""

    rows: list[dict] = field(default_factory=list)
    capacity: list[np.ndarray] = field(default_factory=list)  # per quarter; 0 = not in use
    end_occupancy: list[np.ndarray] = field(default_factory=list)  # per quarter, at its last month
    monthly: dict[int, np.ndarray] = field(default_factory=dict)  # occupancy per month set directly (non-dispersal)

    def add(self, n_quarters: int, **row: object) -> int:
        self.rows.append(row)
        self.capacity.append(np.zeros(n_quarters, dtype=np.int64))
        self.end_occupancy.append(np.zeros(n_quarters, dtype=np.int64))
        return len(self.rows) - 1


class _Addresses:
    """Unique, plausible addresses at given postcode units."""

    def __init__(self, rng: np.random.Generator, geo: _Geography):
        self.rng = rng
        self.used: set[tuple[str, str, str]] = set()
        n = len(geo.units)
        words = rng.integers(len(_STREET_WORDS), size=n)
        kinds = rng.integers(len(_STREET_KINDS), size=n)
        streets = [f"{_STREET_WORDS[w]} {_STREET_KINDS[k]}" for w, k in zip(words, kinds)]
        self.street = dict(zip(geo.units["postcode"], streets))
        self.ward_name = dict(zip(geo.wards["ward_code"], geo.wards["ward_name"]))
        self.town = {
            code: name.split(" and ")[0].removeprefix("North ")
            for code, name in zip(geo.lads["lad_code"], geo.lads["lad_name"])
        }

    def make(self, postcode: str, ward: str, lad: str, *, flat: bool, building: str | None = None) -> dict:
        street = self.street[postcode]
        for _ in range(1000):
            number = int(self.rng.integers(1, 200))
            if building:
                line1, line2 = building, f"{number} {street}"
            elif flat:
                line1, line2 = f"Flat {int(self.rng.integers(1, 9))}", f"{number} {street}"
            else:
                line1, line2 = f"{number} {street}", ""
            if (line1, line2, postcode) not in self.used:
                self.used.add((line1, line2, postcode))
                break
        locality = self.ward_name[ward] if self.rng.random() < 0.4 else ""
        return {"addr_line1": line1, "addr_line2": line2, "addr_line3": locality, "town": self.town[lad]}


def _pick_unit(rng: np.random.Generator, units_by_ward: dict[str, np.ndarray], ward: str) -> str:
    pool = units_by_ward[ward]
    return str(pool[rng.integers(len(pool))])


class _Builder:
    """Builds the places of one generation run."""

    def __init__(self, rng: np.random.Generator, geo: _Geography, cal: _Calendar, story: _Story):
        self.rng, self.geo, self.cal, self.story = rng, geo, cal, story
        self.places = _Places()
        self.addresses = _Addresses(rng, geo)
        self.units_by_ward = {w: g["postcode"].to_numpy() for w, g in geo.units.groupby("ward_code", sort=True)}
        self.sector_of = dict(zip(geo.units["postcode"], geo.units["postcode_sector"]))
        self.counter = dict.fromkeys(PROVIDERS, 0)
        self.nq = len(cal.quarters)

    def _ref(self, provider: str) -> str:
        self.counter[provider] += 1
        n = self.counter[provider]
        return {"Mears": f"MRS-{4000 + 7 * n:06d}", "Serco": str(100000 + 13 * n)}.get(provider, f"CRH-{n:05d}")

    def _date_before(self, quarter_index: int) -> date:
        start = quarter_start(self.cal.quarters[quarter_index])
        if quarter_index == 0:
            return start - timedelta(days=int(self.rng.integers(30, 5 * 365)))
        return start - timedelta(days=int(self.rng.integers(1, 28)))

    def _place(
        self,
        *,
        kind: str,
        lad: str,
        ward: str,
        postcode: str,
        property_type: str,
        household: str,
        provider: str | None,
        address: dict | None,
        first_quarter: int,
    ) -> int:
        return self.places.add(
            self.nq,
            kind=kind,
            lad_code=lad,
            ward_code=ward,
            postcode=postcode,
            postcode_sector=self.sector_of[postcode],
            property_type=property_type,
            household=household,
            provider=provider,
            property_ref=self._ref(provider) if provider else None,
            date_in_use=self._date_before(first_quarter) if provider else None,
            announced=bool(self.rng.random() < 0.6),
            **(address or {}),
        )

    # dispersal -----------------------------------------------------------------------------
    def dispersal(self) -> None:
        ends = self.cal.quarter_end_months
        for lad in self.geo.lads["lad_code"]:
            population = float(self.geo.lads.set_index("lad_code").at[lad, "population"])
            limit = population / LIMIT_RATIO
            share = self.story.share[lad]
            targets = [int(round(share[ends.get(q, self._last_month_of(q))] * limit)) for q in range(self.nq)]
            self._plan_la(lad, targets)

    def _last_month_of(self, quarter: int) -> int:
        return int(np.flatnonzero(self.cal.month_quarter == quarter)[-1])

    def _ward_weights(self, lad: str) -> tuple[np.ndarray, np.ndarray]:
        wards = self.geo.wards[self.geo.wards["lad_code"] == lad]
        weights = self.rng.lognormal(0.0, 0.55, size=len(wards)) * wards["population"].to_numpy() / 10_000
        hot = wards["ward_code"].isin(self.story.hotspots).to_numpy()
        if hot.any():
            weights[hot] = weights[~hot].sum() / 3
        return wards["ward_code"].to_numpy(), weights / weights.sum()

    def _new_property(self, lad: str, wards: np.ndarray, weights: np.ndarray, quarter: int) -> int:
        rng = self.rng
        ward = str(wards[rng.choice(len(wards), p=weights)])
        postcode = _pick_unit(rng, self.units_by_ward, ward)
        names = list(PROPERTY_TYPES)
        kind = names[rng.choice(len(names), p=[PROPERTY_TYPES[n][0] for n in names])]
        _, low, high, family = PROPERTY_TYPES[kind]
        address = self.addresses.make(postcode, ward, lad, flat=kind in ("Flat", "Maisonette"))
        idx = self._place(
            kind=DISPERSAL,
            lad=lad,
            ward=ward,
            postcode=postcode,
            property_type=kind,
            household="family" if rng.random() < family else "single",
            provider=self.story.provider[lad],
            address=address,
            first_quarter=quarter,
        )
        self.places.rows[idx]["bedspaces"] = int(rng.integers(low, high + 1))
        return idx

    def _plan_la(self, lad: str, targets: list[int]) -> None:
        rng, places = self.rng, self.places
        wards, weights = self._ward_weights(lad)
        active: list[int] = []
        for q, target in enumerate(targets):
            if q > 0:
                active = [p for p in active if rng.random() >= 0.05]
                for p in active:
                    if rng.random() < 0.05:
                        row = places.rows[p]
                        row["bedspaces"] = int(np.clip(row["bedspaces"] + rng.choice([-1, 1]), 1, 8))
            while active and sum(places.rows[p]["bedspaces"] for p in active) * 0.9 > target * 1.12:
                active.pop(int(rng.integers(len(active))))
            while sum(places.rows[p]["bedspaces"] for p in active) * 0.9 < target:
                active.append(self._new_property(lad, wards, weights, q))
            caps = np.array([places.rows[p]["bedspaces"] for p in active])
            occupancy = self._fill(caps, target)
            for p, cap, occ in zip(active, caps, occupancy):
                places.capacity[p][q] = cap
                places.end_occupancy[p][q] = occ

    def _fill(self, caps: np.ndarray, target: int) -> np.ndarray:
        """Quarter-end occupancy: mostly full, a few voids, summing exactly to ``target``."""
        rng = self.rng
        occ = caps - rng.binomial(caps, 0.07)
        occ[rng.random(len(caps)) < 0.03] = 0
        diff = target - int(occ.sum())
        while diff > 0:
            room = np.flatnonzero(occ < caps)
            occ[room[rng.integers(len(room))]] += 1
            diff -= 1
        while diff < 0:
            taken = np.flatnonzero(occ > 0)
            occ[taken[rng.integers(len(taken))]] -= 1
            diff += 1
        return occ

    # initial accommodation, hotels, subsistence --------------------------------------------
    def _site(
        self,
        lad: str,
        *,
        kind: str,
        property_type: str,
        building: str,
        capacity: int,
        quarters: range,
        occupancy: tuple[float, float],
    ) -> None:
        rng = self.rng
        wards = self.geo.wards[self.geo.wards["lad_code"] == lad].sort_values(["population", "ward_code"])
        ward = str(wards["ward_code"].iloc[-1 - int(rng.integers(3))])
        postcode = _pick_unit(rng, self.units_by_ward, ward)
        address = self.addresses.make(postcode, ward, lad, flat=False, building=building)
        idx = self._place(
            kind=kind,
            lad=lad,
            ward=ward,
            postcode=postcode,
            property_type=property_type,
            household="mixed",
            provider=self.story.provider[lad],
            address=address,
            first_quarter=quarters.start,
        )
        self.places.rows[idx]["bedspaces"] = capacity
        walk = np.cumsum(rng.normal(0, 0.04, size=len(self.cal.months)))
        level = np.clip(np.mean(occupancy) + walk, *occupancy)
        monthly = np.round(level * capacity).astype(np.int64)
        in_use = np.isin(self.cal.month_quarter, list(quarters))
        self.places.monthly[idx] = np.where(in_use, monthly, 0)
        for q in quarters:
            self.places.capacity[idx][q] = capacity
            last = np.flatnonzero(self.cal.month_quarter == q)[-1]
            self.places.end_occupancy[idx][q] = monthly[last]

    def sites(self) -> None:
        roles = self.story.role
        lads = self.geo.lads.sort_values(["population", "lad_code"])["lad_code"].tolist()
        ok = [c for c in lads if roles[c] == "ok"] or lads
        growing = next((c for c in lads if roles[c] == "growing"), ok[0])
        nq = self.nq
        self._site(
            ok[-1],
            kind=INITIAL,
            property_type="Hostel",
            building="Northmoor House",
            capacity=300,
            quarters=range(nq),
            occupancy=(0.5, 0.97),
        )
        self._site(
            ok[-1],
            kind=CONTINGENCY,
            property_type="Hotel",
            building="The Station Hotel",
            capacity=200,
            quarters=range(max(nq // 2, 1)),
            occupancy=(0.7, 0.97),
        )
        self._site(
            ok[-2 if len(ok) > 1 else 0],
            kind=CONTINGENCY,
            property_type="Hotel",
            building="The Moorland Lodge Hotel",
            capacity=160,
            quarters=range(nq),
            occupancy=(0.7, 0.97),
        )
        if nq > 2:
            self._site(
                growing,
                kind=CONTINGENCY,
                property_type="Hotel",
                building="Riverside Court Hotel",
                capacity=180,
                quarters=range(2, nq),
                occupancy=(0.6, 0.95),
            )

    def subsistence(self, households: int) -> None:
        rng, n_months = self.rng, len(self.cal.months)
        wards = self.geo.wards
        p = wards["population"].to_numpy() / wards["population"].sum()
        for _ in range(households):
            w = int(rng.choice(len(wards), p=p))
            ward, lad = str(wards["ward_code"].iat[w]), str(wards["lad_code"].iat[w])
            size = 1 if rng.random() < 0.75 else int(rng.integers(2, 5))
            idx = self._place(
                kind=SUBSISTENCE,
                lad=lad,
                ward=ward,
                postcode=_pick_unit(rng, self.units_by_ward, ward),
                property_type="",
                household="single" if size == 1 else "family",
                provider=None,
                address=None,
                first_quarter=0,
            )
            self.places.rows[idx]["bedspaces"] = size
            start = int(rng.integers(-n_months // 2, n_months))
            stop = start + int(rng.integers(min(4, n_months), n_months + 1))
            months = np.arange(n_months)
            self.places.monthly[idx] = np.where((months >= start) & (months < stop), size, 0)


def _monthly_occupancy(places: _Places, cal: _Calendar, rng: np.random.Generator) -> np.ndarray:
    """Occupancy per place and month: exact at quarter ends, drifting towards them in between."""
    capacity = np.vstack(places.capacity)
    ends = np.vstack(places.end_occupancy)
    previous = np.zeros_like(ends)
    previous[:, 0] = ends[:, 0]
    if ends.shape[1] > 1:
        previous[:, 1:] = np.where(capacity[:, :-1] > 0, ends[:, :-1], np.round(0.6 * ends[:, 1:]))
    q, k = cal.month_quarter, cal.position
    base = previous[:, q] + (ends[:, q] - previous[:, q]) * (k / 3.0)
    noise = rng.choice([-1, 0, 0, 0, 0, 0, 0, 1], size=base.shape)
    occ = np.clip(np.round(base) + noise, 0, capacity[:, q]).astype(np.int64)
    occ[:, k == 3] = ends[:, q[k == 3]]
    for idx, series in places.monthly.items():
        occ[idx] = series
    return occ


# --- people ---------------------------------------------------------------------------------


def _draw(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    names = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _singles(rng: np.random.Generator, n: int, section4: float) -> dict[str, np.ndarray]:
    return {
        "nationality": _draw(rng, NATIONALITIES, n),
        "age_band": _draw(rng, {"18-24": 35, "25-34": 40, "35-49": 20, "50+": 5}, n),
        "gender": np.where(rng.random(n) < 0.88, "Male", "Female"),
        "household_type": np.full(n, "Single"),
        "support_type": np.where(rng.random(n) < section4, "Section 4", "Section 95"),
    }


def _family(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    nationality = _draw(rng, FAMILY_NATIONALITIES, 1)[0]
    lone_parent = rng.random() < 0.15
    adults = 1 if lone_parent or size == 1 else 2
    first = "Female" if lone_parent else "Male"
    genders = [first, "Female"][:adults] + list(np.where(rng.random(size) < 0.5, "Male", "Female")[: size - adults])
    ages = list(_draw(rng, {"25-34": 55, "35-49": 40, "50+": 5}, adults))
    ages += list(_draw(rng, {"0-4": 40, "5-17": 50, "18-24": 10}, size - adults))
    support = "Section 4" if rng.random() < 0.03 else "Section 95"
    return {
        "nationality": np.full(size, nationality),
        "age_band": np.array(ages),
        "gender": np.array(genders),
        "household_type": np.full(size, "Family"),
        "support_type": np.full(size, support),
    }


def _slots(rng: np.random.Generator, places: _Places) -> pd.DataFrame:
    """Fixed people in each place's slots (slot 0 first in, last out)."""
    frames = []
    for idx, row in enumerate(places.rows):
        size = int(max(places.capacity[idx].max(), row["bedspaces"]))
        if row["household"] == "family":
            people = _family(rng, size)
        else:
            people = _singles(rng, size, section4=0.12 if row["kind"] == DISPERSAL else 0.0)
            if row["kind"] == INITIAL:
                people["support_type"] = np.where(rng.random(size) < 0.3, "Section 98", "Section 95")
            elif row["kind"] == CONTINGENCY:
                people["support_type"] = np.where(rng.random(size) < 0.08, "Section 98", "Section 95")
        frames.append(pd.DataFrame({"place": idx, "slot": np.arange(size), **people}))
    return pd.concat(frames, ignore_index=True)


def _person_months(places: _Places, slots: pd.DataFrame, occupancy: np.ndarray, cal: _Calendar) -> pd.DataFrame:
    """One row per person present per month."""
    present = occupancy[slots["place"].to_numpy()] > slots["slot"].to_numpy()[:, None]
    slot_idx, month_idx = np.nonzero(present)
    rows = pd.DataFrame(places.rows)
    people = slots.iloc[slot_idx].reset_index(drop=True)
    place = people["place"].to_numpy()
    for column in ("lad_code", "ward_code", "postcode_sector"):
        people[column] = rows[column].to_numpy()[place]
    people["accommodation_type"] = rows["kind"].to_numpy()[place]
    people["month"] = np.array(cal.months)[month_idx]
    return people


# --- writing --------------------------------------------------------------------------------

GROUP_KEYS = ["month", "lad_code", *layouts.GROUP_FIELDS]


def _groups(person_months: pd.DataFrame) -> pd.DataFrame:
    return person_months.groupby(GROUP_KEYS, sort=True).size().rename("people").reset_index()


def _ho_layout(index: int, month_index: int, suppressed: bool) -> str:
    if suppressed:
        return list(layouts.SUPPRESSED_HO_LAYOUTS)[month_index % 2]
    exact = list(layouts.EXACT_HO_LAYOUTS)
    return exact[(index + month_index // 6) % len(exact)]


def _write_home_office(
    out_dir: Path, groups: pd.DataFrame, geo: _Geography, cal: _Calendar, story: _Story, rng: np.random.Generator
) -> tuple[list[Path], list[dict]]:
    folder = out_dir / "home_office"
    folder.mkdir(parents=True, exist_ok=True)
    names = dict(zip(geo.lads["lad_code"], geo.lads["lad_name"]))
    exact_las = [c for c in geo.lads["lad_code"] if c != story.suppressed_la]
    by_key = {key: g for key, g in groups.groupby(["month", "lad_code"], sort=False)}
    paths, manifest = [], []
    for lad in geo.lads["lad_code"]:
        suppressed = lad == story.suppressed_la
        for m, month in enumerate(cal.months):
            data = by_key.get((month, lad), groups.iloc[:0]).drop(columns=["month", "lad_code"])
            layout = _ho_layout(exact_las.index(lad) if not suppressed else 0, m, suppressed)
            stem = folder / f"HO_{names[lad]}_{month}"
            if suppressed:
                writer, marker = layouts.SUPPRESSED_HO_LAYOUTS[layout]
                data = data.groupby(layouts.SUPPRESSED_FIELDS, sort=True)["people"].sum().reset_index()
            else:
                writer, marker = layouts.EXACT_HO_LAYOUTS[layout], None
            path = writer(
                data.reset_index(drop=True), stem, month=month, la_name=names[lad], la_code=lad, rng=rng, marker=marker
            )
            paths.append(path)
            manifest.append(
                {
                    "kind": "home_office",
                    "path": path.relative_to(out_dir).as_posix(),
                    "month": month,
                    "quarter": "",
                    "provider": "",
                    "layout": layout,
                    "la_code": lad,
                    "suppressed": suppressed,
                    "marker": marker or "",
                }
            )
    return paths, manifest


def _property_table(places: _Places, cal: _Calendar, q: int, names: dict[str, str]) -> pd.DataFrame:
    """Every property listed for quarter ``q``: in use or void, handed back since last quarter, or proposed."""
    listed = []
    nq = len(cal.quarters)
    for idx, row in enumerate(places.rows):
        if row["provider"] is None:
            continue
        cap = places.capacity[idx]
        if cap[q] > 0:
            occupied = int(places.end_occupancy[idx][q])
            status, beds = ("in use" if occupied > 0 else "void"), int(cap[q])
        elif q > 0 and cap[q - 1] > 0:
            status, beds, occupied = "handed back", int(cap[q - 1]), 0
        elif q + 1 < nq and cap[q + 1] > 0 and cap[: q + 1].max() == 0 and row["announced"]:
            status, beds, occupied = "proposed", int(cap[q + 1]), 0
        else:
            continue
        listed.append(
            {
                **row,
                "status": status,
                "bedspaces": beds,
                "occupied": occupied,
                "date_in_use": row["date_in_use"] if status != "proposed" else None,
                "lad_name": names[row["lad_code"]],
                "accommodation_type": row["kind"],
            }
        )
    return pd.DataFrame(listed)


TRUTH_PROPERTY_COLUMNS = [
    "provider",
    "property_ref",
    "addr_line1",
    "addr_line2",
    "addr_line3",
    "town",
    "postcode",
    "postcode_sector",
    "ward_code",
    "lad_code",
    "property_type",
    "accommodation_type",
    "bedspaces",
    "occupied",
    "status",
    "date_in_use",
]


def _write_properties(
    out_dir: Path, places: _Places, geo: _Geography, cal: _Calendar, story: _Story, rng: np.random.Generator
) -> tuple[list[tuple[Path, str]], list[dict]]:
    folder, truth = out_dir / "properties", out_dir / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    names = dict(zip(geo.lads["lad_code"], geo.lads["lad_name"]))
    written, manifest = [], []
    for q in sorted(cal.quarter_end_months):
        quarter = cal.quarters[q]
        table = _property_table(places, cal, q, names)
        table = table.sort_values(["provider", "lad_code", "property_ref"], kind="stable").reset_index(drop=True)
        table[TRUTH_PROPERTY_COLUMNS].to_csv(truth / f"properties_{quarter}.csv", index=False, lineterminator="\n")
        for provider in PROVIDERS:
            props = table[table["provider"] == provider].reset_index(drop=True)
            if props.empty:
                continue
            suffix = ".csv" if provider == "Clearsprings" and q % 4 == 3 else ".xlsx"
            path = folder / f"{provider}_{quarter}{suffix}"
            la_names = sorted(props["lad_name"].unique())
            layouts.PROVIDER_LAYOUTS[provider](props, path, quarter=quarter, la_names=la_names, rng=rng)
            written.append((path, provider))
            manifest.append(
                {
                    "kind": "properties",
                    "path": path.relative_to(out_dir).as_posix(),
                    "month": "",
                    "quarter": quarter,
                    "provider": provider,
                    "layout": f"{provider.lower()}{suffix}",
                    "la_code": ";".join(sorted(props["lad_code"].unique())),
                    "suppressed": False,
                    "marker": "",
                }
            )
    return written, manifest


def _write_truth(
    truth: Path, person_months: pd.DataFrame, groups: pd.DataFrame, geo: _Geography, cal: _Calendar, story: _Story
) -> None:
    types = [DISPERSAL, INITIAL, CONTINGENCY, SUBSISTENCE]
    grid = pd.MultiIndex.from_product(
        [cal.months, geo.wards["ward_code"], types], names=["month", "ward_code", "accommodation_type"]
    )
    ward = person_months.groupby(["month", "ward_code", "accommodation_type"]).size().reindex(grid, fill_value=0)
    ward = ward.rename("people").reset_index()
    ward.insert(2, "lad_code", ward["ward_code"].map(dict(zip(geo.wards["ward_code"], geo.wards["lad_code"]))))
    ward.to_csv(truth / "ward_month.csv", index=False, lineterminator="\n")
    la = ward.groupby(["month", "lad_code", "accommodation_type"], sort=False)["people"].sum().reset_index()
    la = la.sort_values(["month", "lad_code", "accommodation_type"], kind="stable")
    la.insert(2, "lad_name", la["lad_code"].map(dict(zip(geo.lads["lad_code"], geo.lads["lad_name"]))))
    la.to_csv(truth / "la_month.csv", index=False, lineterminator="\n")
    groups.to_csv(truth / "home_office_groups.csv", index=False, lineterminator="\n")
    roles = geo.lads[["lad_code", "lad_name", "population"]].copy()
    roles["role"] = roles["lad_code"].map(story.role)
    roles["provider"] = roles["lad_code"].map(story.provider)
    roles["suppressed_home_office"] = roles["lad_code"].eq(story.suppressed_la)
    roles["hotspot_wards"] = np.where(roles["role"].eq("over"), ";".join(story.hotspots), "")
    roles.to_csv(truth / "la_roles.csv", index=False, lineterminator="\n")


def generate_activity(
    region: RegionFiles | Path, out_dir: Path, *, seed: int = 1, start: str = "2024-10", months: int = 24
) -> ActivityFiles:
    """Write ``months`` of Home Office files and the quarterly provider lists, with their truth and a manifest."""
    files = region if isinstance(region, RegionFiles) else RegionFiles.in_dir(Path(region))
    out_dir = Path(out_dir)
    truth = out_dir / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 95])
    geo, cal = _Geography.load(files), _Calendar.of(start, months)
    story = _story(rng, geo, cal)
    builder = _Builder(rng, geo, cal, story)
    builder.dispersal()
    builder.sites()
    builder.subsistence(households=max(10, int(sum(r["bedspaces"] for r in builder.places.rows) * 0.055)))
    places = builder.places
    occupancy = _monthly_occupancy(places, cal, rng)
    person_months = _person_months(places, _slots(rng, places), occupancy, cal)
    groups = _groups(person_months)
    _write_truth(truth, person_months, groups, geo, cal, story)
    ho_paths, ho_manifest = _write_home_office(out_dir, groups, geo, cal, story, rng)
    property_paths, property_manifest = _write_properties(out_dir, places, geo, cal, story, rng)
    manifest = out_dir / "manifest.csv"
    pd.DataFrame(ho_manifest + property_manifest).to_csv(manifest, index=False, lineterminator="\n")
    return ActivityFiles(ho_paths, property_paths, truth, manifest)


# --- national scale, for the benchmarks -------------------------------------------------------


def _national_pairs(region: RegionFiles) -> pd.DataFrame:
    """(sector, LA) pairs of the national geography with their number of postcodes."""
    sector_wards = pd.read_csv(region.truth_dir / "sector_wards.csv", dtype={"ward_code": str})
    wards = pd.read_csv(region.truth_dir / "wards.csv", dtype={"ward_code": str, "lad_code": str})
    pairs = sector_wards.merge(wards[["ward_code", "lad_code"]], on="ward_code")
    return pairs.groupby(["postcode_sector", "lad_code"], sort=True)["n_postcodes"].sum().reset_index()


def generate_national_month(
    out_dir: Path, region: RegionFiles, *, seed: int = 1, rows: int = 75_000, month: str = "2025-03"
) -> tuple[Path, Path]:
    """One canonical long monthly file for the national geography, as CSV and as XLSX (same content)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 75])
    pairs = _national_pairs(region)
    weight = pairs["n_postcodes"].to_numpy(dtype=float)
    chunks, have = [], 0
    while have < rows:
        n = int((rows - have) * 1.3) + 100
        pick = rng.choice(len(pairs), size=n, p=weight / weight.sum())
        family = rng.random(n) < 0.35
        draw = pd.DataFrame(
            {
                "postcode_sector": pairs["postcode_sector"].to_numpy()[pick],
                "lad_code": pairs["lad_code"].to_numpy()[pick],
                "support_type": _draw(rng, {"Section 95": 90, "Section 4": 7, "Section 98": 3}, n),
                "accommodation_type": _draw(rng, {DISPERSAL: 82, INITIAL: 5, CONTINGENCY: 9, SUBSISTENCE: 4}, n),
                "nationality": _draw(rng, NATIONALITIES, n),
                "age_band": np.where(
                    family,
                    _draw(rng, dict.fromkeys(AGE_BANDS, 1), n),
                    _draw(rng, {"18-24": 35, "25-34": 40, "35-49": 20, "50+": 5}, n),
                ),
                "gender": np.where(rng.random(n) < np.where(family, 0.5, 0.88), "Male", "Female"),
                "household_type": np.where(family, "Family", "Single"),
                "people": 1 + rng.geometric(0.6, size=n) - 1,
            }
        )
        chunks.append(draw)
        merged = pd.concat(chunks, ignore_index=True).drop_duplicates(["lad_code", *layouts.GROUP_FIELDS])
        chunks, have = [merged], len(merged)
    table = chunks[0].iloc[:rows].sort_values(["lad_code", *layouts.GROUP_FIELDS], kind="stable")
    canonical = table.assign(
        month=month,
        local_authority=table["lad_code"],
        accommodation_type=table["accommodation_type"].map(layouts.HO_ACCOMMODATION),
    )[layouts.CANONICAL_HEADER]
    stem = out_dir / f"HO_national_{month}"
    csv_path = stem.with_suffix(".csv")
    canonical.to_csv(csv_path, index=False, lineterminator="\n")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    ws.append(layouts.CANONICAL_HEADER)
    for row in canonical.itertuples(index=False):
        ws.append([*row[:-1], int(row[-1])])
    xlsx_path = layouts.save_workbook(wb, stem.with_suffix(".xlsx"))
    return csv_path, xlsx_path


def generate_property_list(
    out_dir: Path,
    region: RegionFiles,
    *,
    n: int = 35_000,
    provider: str = "Mears",
    seed: int = 1,
    quarter: str = "2025Q1",
) -> Path:
    """One ``n``-property list in ``provider``'s layout, at units of the (national) geography."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 35])
    units = pd.read_csv(region.truth_dir / "postcode_units.csv", dtype=str)
    lads = pd.read_csv(region.truth_dir / "lads.csv", dtype={"lad_code": str})
    names = dict(zip(lads["lad_code"], lads["lad_name"]))
    pick = units.iloc[rng.choice(len(units), size=n)].reset_index(drop=True)
    kinds = list(PROPERTY_TYPES)
    kind = np.array(kinds)[rng.choice(len(kinds), size=n, p=[PROPERTY_TYPES[k][0] for k in kinds])]
    low = np.array([PROPERTY_TYPES[k][1] for k in kind])
    high = np.array([PROPERTY_TYPES[k][2] for k in kind])
    beds = rng.integers(low, high + 1)
    occupied = beds - rng.binomial(beds, 0.08)
    status = np.where(occupied > 0, "in use", "void")
    words = np.array(_STREET_WORDS)[rng.integers(len(_STREET_WORDS), size=n)]
    street_kinds = np.array(_STREET_KINDS)[rng.integers(len(_STREET_KINDS), size=n)]
    flat = np.isin(kind, ["Flat", "Maisonette"])
    numbers = rng.integers(1, 200, size=n)
    street = [f"{num} {w} {k}" for num, w, k in zip(numbers, words, street_kinds)]
    start = quarter_start(quarter)
    props = pd.DataFrame(
        {
            "property_ref": [_national_ref(provider, i) for i in range(n)],
            "addr_line1": np.where(flat, [f"Flat {f}" for f in rng.integers(1, 9, size=n)], street),
            "addr_line2": np.where(flat, street, ""),
            "addr_line3": "",
            "town": pick["lad_code"].map(names).str.split(" and ").str[0].to_numpy(),
            "postcode": pick["postcode"].to_numpy(),
            "lad_name": pick["lad_code"].map(names).to_numpy(),
            "property_type": kind,
            "bedspaces": beds,
            "occupied": np.where(status == "in use", occupied, 0),
            "status": status,
            "accommodation_type": DISPERSAL,
            "date_in_use": [start - timedelta(days=int(d)) for d in rng.integers(1, 5 * 365, size=n)],
        }
    )
    suffix = ".xlsx"
    path = out_dir / f"{provider}_national_{quarter}{suffix}"
    return layouts.PROVIDER_LAYOUTS[provider](props, path, quarter=quarter, la_names=["all local authorities"], rng=rng)


def _national_ref(provider: str, i: int) -> str:
    return {"Mears": f"MRS-{i + 1:06d}", "Serco": str(100000 + i)}.get(provider, f"CRH-{i + 1:05d}")


@dataclass
class ReceivedFiles:
    """The files of :data:`layouts.RECEIVED_HO_LAYOUTS` (by layout name) for one month, the property list in LA
    sections, and their truth: the groups every monthly file holds and the properties of the list."""

    home_office: dict[str, Path]
    properties: Path
    truth: pd.DataFrame
    property_truth: pd.DataFrame
    month: str
    quarter: str


def generate_received_files(
    out_dir: Path, region: RegionFiles, *, seed: int = 1, month: str = "2025-03", n_las: int = 3, rows_per_la: int = 40
) -> ReceivedFiles:
    """One month for ``n_las`` LAs of the region in every layout councils really receive, with the truth."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 9])
    lads = pd.read_csv(region.truth_dir / "lads.csv", dtype={"lad_code": str})
    names = dict(zip(lads["lad_code"], lads["lad_name"]))
    pairs = _national_pairs(region)
    # A sector shared by two LAs would make "people per LA and sector" depend on the apportioning; keep to the rest.
    shared = pairs["postcode_sector"].duplicated(keep=False)
    pairs = pairs[~shared]
    chosen = sorted(pairs["lad_code"].unique())[:n_las]
    frames = []
    for code in chosen:
        sectors = pairs.loc[pairs["lad_code"] == code, "postcode_sector"].to_numpy()
        n = rows_per_la * 3
        family = rng.random(n) < 0.35
        draw = pd.DataFrame(
            {
                "lad_code": code,
                "postcode_sector": sectors[rng.integers(len(sectors), size=n)],
                "support_type": _draw(rng, {"Section 95": 90, "Section 4": 7, "Section 98": 3}, n),
                "accommodation_type": _draw(rng, {DISPERSAL: 82, INITIAL: 5, CONTINGENCY: 9, SUBSISTENCE: 4}, n),
                "nationality": _draw(rng, NATIONALITIES, n),
                "age_band": np.where(
                    family,
                    _draw(rng, dict.fromkeys(AGE_BANDS, 1), n),
                    _draw(rng, {"18-24": 35, "25-34": 40, "35-49": 20, "50+": 5}, n),
                ),
                "gender": np.where(rng.random(n) < np.where(family, 0.5, 0.88), "Male", "Female"),
                "household_type": np.where(family, "Family", "Single"),
                "people": 1 + rng.geometric(0.5, size=n) - 1,
            }
        )
        frames.append(draw.drop_duplicates(layouts.GROUP_FIELDS).head(rows_per_la))
    truth = pd.concat(frames, ignore_index=True).sort_values(["lad_code", *layouts.GROUP_FIELDS], kind="stable")
    truth = truth.reset_index(drop=True)
    paths = {}
    for name, writer in layouts.RECEIVED_HO_LAYOUTS.items():
        suffix = ".csv" if name.endswith("_csv") else ".xlsx"
        paths[name] = writer(truth, out_dir / f"received_{name}{suffix}", month=month, la_names=names, rng=rng)
    quarter = f"{month[:4]}Q{(int(month[5:]) - 1) // 3 + 1}"
    units = pd.read_csv(region.truth_dir / "postcode_units.csv", dtype=str)
    units = units[units["lad_code"].isin(chosen[:2])]
    pick = units.iloc[rng.choice(len(units), size=min(30, len(units)), replace=False)].reset_index(drop=True)
    beds = rng.integers(1, 7, size=len(pick))
    occupied = beds - rng.binomial(beds, 0.1)
    props = (
        pd.DataFrame(
            {
                "property_ref": [f"PL-{i + 1:04d}" for i in range(len(pick))],
                "addr_line1": [
                    f"{n} {w} Road"
                    for n, w in zip(
                        rng.integers(1, 200, size=len(pick)),
                        np.array(_STREET_WORDS)[rng.integers(len(_STREET_WORDS), size=len(pick))],
                    )
                ],
                "addr_line2": "",
                "addr_line3": "",
                "town": pick["lad_code"].map(names).to_numpy(),
                "postcode": pick["postcode"].to_numpy(),
                "lad_code": pick["lad_code"].to_numpy(),
                "lad_name": pick["lad_code"].map(names).to_numpy(),
                "bedspaces": beds,
                "occupied": np.where(occupied > 0, occupied, 0),
                "status": np.where(occupied > 0, "in use", "void"),
            }
        )
        .sort_values(["lad_name", "property_ref"], kind="stable")
        .reset_index(drop=True)
    )
    prop_path = layouts.write_la_sections(
        props,
        out_dir / f"received_la_sections_{quarter}.xlsx",
        quarter=quarter,
        la_names=sorted(props["lad_name"].unique()),
        rng=rng,
    )
    return ReceivedFiles(paths, prop_path, truth, props, month, quarter)


__all__ = [
    "ActivityFiles",
    "ReceivedFiles",
    "generate_activity",
    "generate_national_month",
    "generate_property_list",
    "generate_received_files",
]

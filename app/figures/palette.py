"""Status words and colours: the one place a status becomes a word, a colour or a legend entry.

Every map, chart, static map and pack takes its thresholds from :class:`~app.config.Settings`
(``approaching``; the limit is 1.0 of itself), so a change of setting changes the status, the colours,
the legends and the words together.
"""

from __future__ import annotations

from app.cluster.position import APPROACHING, BREACH, OK, UNKNOWN

DEFAULT_APPROACHING = 0.8
LIMIT = 1.0
#: Colours stop here; larger shares take the darkest colour (the hover gives the true figure).
SCALE_MAX = 1.5
INK = "#0b0c0c"
#: Where an area with no data sits on the colour scale: below zero, in its own grey step, never "0 %".
NO_DATA_Z = -0.15
NO_DATA_COLOUR = "#b1b4b6"

#: The store holds no file for the area and month: no data, never zero.
NO_DATA = "no_data"
STATUS_WORDS = {
    NO_DATA: "No data: no file loaded for this month",
    BREACH: "Over the limit",
    APPROACHING: "Approaching the limit",
    OK: "Within the limit",
    UNKNOWN: "No population figure",
}
#: How the status of each level may be read.
FLAG_WORDS = {"ward": "local indicator", "la": "official flag", "region": "regional total"}
#: Static (print) maps: a grey and a hatching per status, so status never relies on colour.
PRINT_STYLE = {
    OK: ("#ffffff", ""),
    APPROACHING: ("#c8c8c8", "..."),
    BREACH: ("#707070", "////"),
    UNKNOWN: ("#ffffff", "xx"),
    NO_DATA: ("#ffffff", "--"),
}
#: ColorBrewer YlOrBr: lightness falls monotonically, so the order reads without colour vision.
_YLORBR = ("#fff7bc", "#fec44f", "#ec7014", "#993404", "#4d1a02")


def word(status: object) -> str:
    return STATUS_WORDS.get(str(status), STATUS_WORDS[UNKNOWN])


def status_words(status: str, level: str) -> str:
    """A status in words with what kind of flag it is, e.g. "Over the limit — local indicator"."""
    return f"{word(status)} — {FLAG_WORDS.get(level, level)}"


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def limit_words(ratio: float = 200.0) -> str:
    """The national limit in words, from the settings' ratio: "1 person per 200 residents"."""
    return f"1 person per {ratio:,.0f} residents"


def approaching_words(approaching: float = DEFAULT_APPROACHING) -> str:
    """The legend entry of the approaching band, e.g. "Approaching the limit (80% or more)"."""
    return f"{STATUS_WORDS[APPROACHING]} ({percent(approaching)} or more)"


def steps(approaching: float = DEFAULT_APPROACHING) -> tuple[tuple[float, float, str], ...]:
    """The stepped scale on the share of the limit, with breaks at ``approaching`` and the limit."""
    low = min(0.4, approaching / 2)
    return (
        (0.0, low, _YLORBR[0]),
        (low, approaching, _YLORBR[1]),
        (approaching, LIMIT, _YLORBR[2]),
        (LIMIT, 1.2, _YLORBR[3]),
        (1.2, SCALE_MAX, _YLORBR[4]),
    )


def colour_scale(approaching: float = DEFAULT_APPROACHING) -> list[list]:
    """The stepped colour scale on ``[NO_DATA_Z, SCALE_MAX]`` as plotly stops (each step's colour twice).

    The first step, below zero, is the grey of "no data".
    """
    span = SCALE_MAX - NO_DATA_Z
    stops: list[list] = []
    for low, high, colour in ((NO_DATA_Z, 0.0, NO_DATA_COLOUR), *steps(approaching)):
        stops += [[round((low - NO_DATA_Z) / span, 6), colour], [round((high - NO_DATA_Z) / span, 6), colour]]
    return stops


def step_colour(share: float, approaching: float = DEFAULT_APPROACHING) -> str | None:
    """The colour the map gives a share of the limit (None when unknown)."""
    if share is None or share != share:
        return None
    for _low, high, colour in steps(approaching):
        if share < high:
            return colour
    return steps(approaching)[-1][2]


def band_share(approaching: float = DEFAULT_APPROACHING) -> dict[str, float]:
    """A share inside each status band: members' maps are coloured by band, never by a share that would give
    a ward's count back, and in the same colours as everyone else's."""
    return {OK: approaching / 4, APPROACHING: (approaching + LIMIT) / 2, BREACH: (LIMIT + 1.2) / 2}


def colour_bar(flag: str, approaching: float = DEFAULT_APPROACHING, *, bands: bool = False) -> dict:
    """The map's colour bar: a % scale, or (``bands``: members) the status bands in words; "no data" first."""
    if bands:
        shares = band_share(approaching)
        return {
            "title": {"text": f"Status<br>({flag})", "side": "top"},
            "tickvals": [NO_DATA_Z / 2, shares[OK], shares[APPROACHING], shares[BREACH]],
            "ticktext": ["no data", STATUS_WORDS[OK], STATUS_WORDS[APPROACHING], STATUS_WORDS[BREACH]],
            "thickness": 14,
            "len": 0.75,
            "x": 1.0,
        }
    low = steps(approaching)[0][1]
    return {
        "title": {"text": f"Share of the limit<br>({flag})", "side": "top"},
        "tickvals": [NO_DATA_Z / 2, 0, low, approaching, LIMIT, 1.2, SCALE_MAX],
        "ticktext": [
            "no data",
            "0%",
            percent(low),
            f"{percent(approaching)} approaching",
            "100% limit",
            "120%",
            "150% or more",
        ],
        "thickness": 14,
        "len": 0.75,
        "x": 1.0,
    }

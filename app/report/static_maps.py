"""Static maps and charts for the printed pack, drawn with matplotlib (Agg) from the store's geometry.

No network: no tiles, no base map. Packs are printed in black and white, so status never relies on
colour: each status has its own grey and hatching, over-limit and approaching wards carry a number keyed
to the wards table, and each map has a legend, a scale bar and a north arrow. Geometry is projected to a
transverse Mercator centred on the area, so the scale bar is true and grid north is true north.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import Transformer

from app.figures import palette

#: (fill, hatch) per status: light to dark, each with its own pattern (:data:`app.figures.palette.PRINT_STYLE`).
STYLE = palette.PRINT_STYLE
INK = palette.INK
plt.rcParams.update({"font.family": "DejaVu Sans", "hatch.linewidth": 0.6, "pdf.fonttype": 42})


def _shapes(frame: pd.DataFrame) -> pd.Series:
    """GeoJSON text per area -> shapely geometry, indexed by area code."""
    if frame.empty:
        return pd.Series(dtype=object)
    geoms = shapely.from_geojson(np.array(frame["geojson"].astype(str).tolist(), dtype=object))
    return pd.Series(geoms, index=frame["area_code"].astype(str).to_numpy())


def _projector(shapes: pd.Series):
    lon0, lat0 = shapely.centroid(shapely.union_all(shapes.to_numpy())).coords[0] if len(shapes) else (0.0, 0.0)
    crs = f"+proj=tmerc +lat_0={lat0:.5f} +lon_0={lon0:.5f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def project(geoms: pd.Series) -> pd.Series:
        out = shapely.transform(geoms.to_numpy(), lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        return pd.Series(out, index=geoms.index)

    return project, transformer


def _path(geom) -> MplPath | None:
    """A compound path (exteriors and holes) for a polygon or multipolygon."""
    polygons = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
    vertices, codes = [], []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            vertices.append(xy)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY])
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _draw(ax, geoms: pd.Series, fill="none", hatch="", edge=INK, width=0.4, zorder=1) -> None:
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        path = _path(geom)
        if path is not None:
            ax.add_patch(
                PathPatch(path, facecolor=fill, edgecolor=edge, hatch=hatch or None, linewidth=width, zorder=zorder)
            )


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^n metres) near a quarter of the map's width."""
    target = max(span / 4, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(s * power for s in (1, 2, 5) if s * power <= target)


def _scale_bar(ax, xmin, xmax, ymin, ymax) -> None:
    length = _nice_length(xmax - xmin)
    x0, y0 = xmin + 0.04 * (xmax - xmin), ymin + 0.04 * (ymax - ymin)
    height = 0.012 * (ymax - ymin)
    half = length / 2
    ax.add_patch(Rectangle((x0, y0), half, height, facecolor=INK, edgecolor=INK, linewidth=0.8, zorder=5))
    ax.add_patch(Rectangle((x0 + half, y0), half, height, facecolor="white", edgecolor=INK, linewidth=0.8, zorder=5))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((x0, "0"), (x0 + length, label)):
        ax.text(
            x,
            y0 + 2.2 * height,
            text,
            ha="center",
            va="bottom",
            fontsize=7,
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
        )


def _north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.96),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        zorder=6,
        arrowprops={"arrowstyle": "-|>", "facecolor": INK, "edgecolor": INK, "linewidth": 1.2},
    )


def _legend(ax, statuses: list[str], points: bool, new_points: bool, approaching: float) -> None:
    words = {**palette.STATUS_WORDS, "approaching": palette.approaching_words(approaching)}
    handles = [
        Patch(facecolor=STYLE[s][0], edgecolor=INK, hatch=STYLE[s][1], label=words[s])
        for s in ("breach", "approaching", "ok", "no_data", "unknown")
        if s in statuses and s in STYLE
    ]
    if points:
        handles.append(plt.Line2D([], [], linestyle="", marker="o", markersize=3, color=INK, label="Property in use"))
    if new_points:
        handles.append(
            plt.Line2D(
                [],
                [],
                linestyle="",
                marker="^",
                markersize=6,
                markerfacecolor="white",
                markeredgecolor=INK,
                label="New property this quarter",
            )
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False, borderaxespad=0)


def _figure_bytes(fig, dpi: int) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def status_map(
    rows: pd.DataFrame,
    geometry: pd.DataFrame,
    *,
    outlines: pd.DataFrame | None = None,
    points: pd.DataFrame | None = None,
    title: str = "",
    level_words: str = "local indicator",
    width_in: float = 7.0,
    dpi: int = 170,
    approaching: float = palette.DEFAULT_APPROACHING,
) -> bytes:
    """A PNG map of areas by status (the legend names the settings' ``approaching`` threshold).

    ``rows``: ``area_code``, ``status``, ``label`` (text drawn on the area, e.g. a number keyed to a table;
    "" for none). ``geometry``/``outlines``: ``area_code``, ``geojson``. ``points``: ``lon``, ``lat``,
    ``change`` ("new" or anything else); omit for a pack that must show no property points.
    """
    shapes = _shapes(geometry)
    shapes = shapes[shapes.index.isin(rows["area_code"].astype(str))]
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.8))
    ax.set_axis_off()
    ax.set_aspect("equal")
    if shapes.empty:
        ax.text(0.5, 0.5, "No boundaries loaded for these areas.", ha="center", va="center", transform=ax.transAxes)
        return _figure_bytes(fig, dpi)
    project, transformer = _projector(shapes)
    projected = project(shapes)
    status = rows.set_index(rows["area_code"].astype(str))["status"].astype(str).reindex(projected.index)
    status = status.where(status.isin(STYLE), "unknown")
    for name, (fill, hatch) in STYLE.items():
        chosen = projected[(status == name).to_numpy()]
        _draw(ax, chosen, fill=fill, hatch=hatch, width=0.35, zorder=1)
    if outlines is not None and len(outlines):
        _draw(ax, project(_shapes(outlines)), width=1.4, zorder=3)
    xmin, ymin, xmax, ymax = shapely.total_bounds(projected.to_numpy())
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - 3 * pad, xmax + pad, ymax + pad
    has_points = points is not None and len(points) > 0
    has_new = has_points and bool((points["change"] == "new").any())
    if has_points:
        x, y = transformer.transform(points["lon"].to_numpy(float), points["lat"].to_numpy(float))
        new = (points["change"] == "new").to_numpy()
        ax.scatter(x[~new], y[~new], s=3, c=INK, linewidths=0, zorder=4)
        if new.any():
            ax.scatter(x[new], y[new], s=28, marker="^", facecolors="white", edgecolors=INK, linewidths=0.9, zorder=4)
    labels = rows[(rows["label"].astype(str) != "") & rows["area_code"].astype(str).isin(projected.index)]
    inside = shapely.point_on_surface(projected.reindex(labels["area_code"].astype(str)).to_numpy())
    for point, text in zip(inside, labels["label"].astype(str)):
        ax.text(
            point.x,
            point.y,
            text,
            ha="center",
            va="center",
            fontsize=6.5,
            fontweight="bold",
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": INK, "linewidth": 0.5},
        )
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    _scale_bar(ax, xmin, xmax, ymin, ymax)
    _north_arrow(ax)
    _legend(ax, sorted(set(status)), has_points, has_new, approaching)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    ax.text(
        0.0, -0.02, f"Status: {level_words}. Numbers: see the table.", transform=ax.transAxes, fontsize=6.5, va="top"
    )
    return _figure_bytes(fig, dpi)


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":")


def trend_chart(
    trend: pd.DataFrame,
    *,
    by_share: bool,
    title: str = "",
    width_in: float = 7.0,
    dpi: int = 170,
    approaching: float = palette.DEFAULT_APPROACHING,
) -> bytes:
    """A PNG line chart: people against the limit (one area) or share of the limit per area (several).

    ``trend``: ``month``, ``area_name``, ``people``, ``limit``, ``share_of_limit``. Lines differ by marker
    and dash as well as shade, so they read in black and white.
    """
    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.42))
    months = sorted(trend["month"].astype(str).unique())
    x = {m: i for i, m in enumerate(months)}
    if by_share:
        for i, (name, area) in enumerate(trend.sort_values("month").groupby("area_name", sort=True)):
            ax.plot(
                area["month"].map(x),
                area["share_of_limit"] * 100,
                marker=MARKERS[i % len(MARKERS)],
                linestyle=DASHES[(i // len(MARKERS)) % len(DASHES)],
                color=str(0.55 * (i % 3) / 2),
                markersize=3.5,
                linewidth=1.2,
                label=str(name),
                markerfacecolor="white",
            )
        ax.axhline(100, color=INK, linewidth=1.6)
        ax.axhline(approaching * 100, color=INK, linewidth=0.8, linestyle="--")
        ax.text(0, 101, "Limit", ha="left", va="bottom", fontsize=7)
        ax.text(
            0, approaching * 100 - 1, f"Approaching ({palette.percent(approaching)})", ha="left", va="top", fontsize=7
        )
        ax.set_ylabel("Share of the limit (%)")
        ax.set_ylim(bottom=0)
    else:
        area = trend.sort_values("month")
        ax.plot(
            area["month"].map(x),
            area["people"],
            marker="o",
            color=INK,
            linewidth=1.8,
            markersize=4,
            label="People supported",
        )
        ax.plot(area["month"].map(x), area["limit"], color=INK, linewidth=1.2, linestyle="-", label="Limit")
        ax.plot(
            area["month"].map(x),
            area["limit"] * approaching,
            color=INK,
            linewidth=0.8,
            linestyle="--",
            label=f"Approaching ({palette.percent(approaching)} of the limit)",
        )
        ax.set_ylabel("People")
        ax.set_ylim(bottom=0)
    ax.set_xticks(range(len(months)), months, rotation=45, ha="right", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return _figure_bytes(fig, dpi)
